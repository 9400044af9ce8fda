from rxsim.messaging.settings import get_settings
from rxsim.messaging.streams import run_worker
from services.pharmacy.bootstrap import bootstrap

if __name__ == "__main__":
    run_worker(bootstrap(get_settings()))
