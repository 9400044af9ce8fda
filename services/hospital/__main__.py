from rxsim.messaging.http import serve
from rxsim.messaging.settings import get_settings
from services.hospital.bootstrap import bootstrap

if __name__ == "__main__":
    serve("hospital", bootstrap(get_settings()))
