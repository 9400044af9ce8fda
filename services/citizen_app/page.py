"""The citizen's page: the VNeID health book's prescriptions screen, as a static page shipped in
this package (web/) that calls the app's own JSON API with the citizen's token. It holds no
state of its own on the server: signing in, the token and every refusal are the API's."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

WEB = Path(__file__).with_name("web")
PAGE_PATH = "/app"
# The token lives in the tab's sessionStorage, so no script but the page's own may run, and no
# other site may frame it or read where it came from.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def add_page(api: FastAPI) -> None:
    api.mount(f"{PAGE_PATH}/static", StaticFiles(directory=WEB), name="citizen-page-static")

    @api.get(PAGE_PATH, include_in_schema=False)
    async def citizen_page() -> FileResponse:
        """The page itself; what it shows comes from the JSON API."""
        return FileResponse(
            WEB / "index.html", media_type="text/html; charset=utf-8", headers=HEADERS
        )

    @api.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse(PAGE_PATH)
