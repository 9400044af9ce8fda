from rxsim.messaging.http import serve
from rxsim.messaging.settings import get_settings
from rxsim.scenario import load
from services.citizen_app.app import bootstrap

if __name__ == "__main__":
    settings = get_settings()
    serve("citizen_app", bootstrap(settings, load(settings.scenario, settings.speedup)))
