import logging

from rxsim.messaging.http import serve
from rxsim.messaging.settings import get_settings
from services.coordinator.bootstrap import SERVICE, bootstrap

if __name__ == "__main__":
    # What the coordinator says of its decisions and its partitions (restores, rewinds, held
    # events) goes to its log; uvicorn configures only its own.
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s] %(levelname)s %(name)s: %(message)s"
    )
    serve(SERVICE, bootstrap(get_settings()))
