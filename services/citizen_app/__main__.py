from rxsim.messaging.http import serve

if __name__ == "__main__":
    from services.citizen_app.app import api

    serve("citizen_app", api)
