import logging

from rxsim.messaging.http import serve
from rxsim.messaging.settings import get_settings
from services.pharmacy.bootstrap import SERVICE, bootstrap

if __name__ == "__main__":
    # What the pharmacy says of its partitions and steps goes to its log; uvicorn configures
    # only its own.
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s] %(levelname)s %(name)s: %(message)s"
    )
    serve(SERVICE, bootstrap(get_settings()))
