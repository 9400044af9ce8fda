from rxsim.messaging.http import serve
from rxsim.messaging.settings import get_settings
from rxsim.tools.dashboard.app import NAME, bootstrap

if __name__ == "__main__":
    serve(NAME, bootstrap(get_settings()))
