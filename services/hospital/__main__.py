from rxsim.messaging.http import serve

if __name__ == "__main__":
    serve("hospital")
