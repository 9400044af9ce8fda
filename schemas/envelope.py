"""The CloudEvents 1.0 envelope (structured JSON mode) every rxsim event travels in."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    """One event. `data` holds FHIR JSON or a lean event body, checked by the topic's model."""

    model_config = ConfigDict(extra="allow")  # CloudEvents extensions are allowed

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    subject: str = Field(min_length=1, description="the prescription id (code)")
    time: datetime
    datacontenttype: str = "application/json"
    dataschema: str
    correlationid: str = Field(
        min_length=1, description="id of the submission that began the story"
    )
    causationid: str | None = Field(
        default=None, description="id of the event that caused this one"
    )
    signature: str | None = Field(
        default=None,
        description="on rx.issued, the issuing facility's signature of the Bundle, and on "
        "rx.cancel, the same facility's signature of the cancellation; on pharmacy.orders "
        "and pharmacy.cancellations, the coordinator's signature of the order or the "
        "cancellation (its header's facility is `coordinator`), which the pharmacy checks "
        "before it takes either: a JWS "
        "(RFC 7515) in compact form with a detached payload, HEADER..SIGNATURE, alg EdDSA, "
        "over the JCS (RFC 8785) form of `data`; its protected header names the facility "
        "and the key id (the key's RFC 7638 thumbprint)",
    )
    data: dict[str, Any]
