"""The citizen's page: the VNeID health book's prescriptions screen, as a static page shipped in
this package (web/) that calls the app's own JSON API with the citizen's token. It holds no
state of its own on the server: signing in, the token and every refusal are the API's."""

from pathlib import Path

from fastapi import FastAPI

from rxsim.messaging import http

WEB = Path(__file__).with_name("web")
PAGE_PATH = "/app"


def add_page(api: FastAPI) -> None:
    http.add_page(api, PAGE_PATH, WEB, "citizen-page")
