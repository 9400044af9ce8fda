"""The answers a route gives besides its own, as OpenAPI `responses` entries with their body
models: each service's document names every status a route can answer and what comes with it,
so a client generated from it (or schemathesis) is not surprised by a 404 or a 409."""

from typing import Any

from pydantic import BaseModel, Field

Responses = dict[int | str, dict[str, Any]]


class ErrorBody(BaseModel):
    """A refusal raised as FastAPI's HTTPException: what went wrong, in words."""

    detail: str


class InvalidPlace(BaseModel):
    """One faulty place of a request: where (`loc`) and why, never the value sent."""

    type: str
    loc: list[str | int]
    msg: str


class InvalidRequestBody(BaseModel):
    """FastAPI's 422 as `rxsim.messaging.http.answer_invalid_requests` gives it."""

    detail: list[InvalidPlace]


class UnprocessableBody(BaseModel):
    """A route whose own rules also answer 422: a faulty place per item, or one sentence."""

    detail: list[InvalidPlace] | str


class ReadinessBody(BaseModel):
    status: str = Field(description='"ready" or "not ready"')
    reason: str | None = Field(default=None, description="why not ready")
    lag: dict[str, int] = Field(description="events not yet handled, by topic")


def error(description: str) -> dict[str, Any]:
    """A status answered by an HTTPException: `{"detail": "…"}`."""
    return {"description": description, "model": ErrorBody}


INVALID_REQUEST: Responses = {
    422: {
        "description": "the request breaks its schema: each faulty place and why, without "
        "what was sent",
        "model": InvalidRequestBody,
    }
}
