import uvicorn

from rxsim.settings import get_settings

if __name__ == "__main__":
    settings = get_settings()
    uvicorn.run(
        "services.citizen_app.app:api",
        host=settings.host,
        port=settings.port_of("citizen_app"),
        log_level="info",
    )
