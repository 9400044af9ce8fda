from rxsim.messaging.http import serve
from rxsim.messaging.settings import get_settings
from services.citizen_app.bootstrap import bootstrap

if __name__ == "__main__":
    serve("citizen_app", bootstrap(get_settings()))
