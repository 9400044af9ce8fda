from rxsim.messaging.streams import run_worker
from services.coordinator.app import app

if __name__ == "__main__":
    run_worker(app)
