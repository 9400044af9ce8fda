import uvicorn

from rxsim.settings import get_settings

if __name__ == "__main__":
    settings = get_settings()
    uvicorn.run(
        "services.hospital.app:api",
        host=settings.host,
        port=settings.port_of("hospital"),
        log_level="info",
    )
