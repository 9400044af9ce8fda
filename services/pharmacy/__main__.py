from rxsim.messaging.settings import get_settings
from rxsim.messaging.streams import run_worker
from rxsim.scenario import load
from services.pharmacy.app import bootstrap

if __name__ == "__main__":
    settings = get_settings()
    run_worker(bootstrap(settings, load(settings.scenario, settings.speedup)))
