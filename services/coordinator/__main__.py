from rxsim.messaging.http import serve
from rxsim.messaging.settings import get_settings
from services.coordinator.bootstrap import SERVICE, bootstrap

if __name__ == "__main__":
    serve(SERVICE, bootstrap(get_settings()))
