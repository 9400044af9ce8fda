"""What a service says about a request does not repeat the personal data in it: a 422 names
each faulty place without echoing what was sent, and every log line masks CCCDs (access
lines carry them in URL paths)."""

import json
import logging

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from rxsim.domain.privacy import masked
from rxsim.messaging.http import MaskPersonalData, answer_invalid_requests
from schemas.events import Fulfilment, State
from services.coordinator.record import as_the_operator_sees
from tests.support import factories as make

CCCD = "001085012345"


def test_a_422_names_the_faulty_place_and_echoes_nothing_sent() -> None:
    class Choice(BaseModel):
        cccd: str = Field(pattern=r"^\d{12}$")
        address: str = Field(max_length=10)

    api = FastAPI()
    answer_invalid_requests(api)

    @api.post("/choice")
    def choose(body: Choice) -> dict[str, str]:
        return {}

    sent = {"cccd": f"{CCCD}X", "address": "12 Lý Thường Kiệt, Hà Nội"}
    response = TestClient(api).post("/choice", json=sent)

    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "cccd"], ["body", "address"]]
    assert CCCD not in response.text and "Lý Thường Kiệt" not in response.text
    missing = TestClient(api).post("/choice", json={"address": "Hà Nội"})
    assert "Hà Nội" not in missing.text  # a missing field's error would carry the whole body


def test_cccds_are_masked_in_every_log_line_but_their_province() -> None:
    assert masked(f"GET /citizens/{CCCD}/prescriptions HTTP/1.1") == (
        "GET /citizens/001*********/prescriptions HTTP/1.1"
    )
    assert masked("prescription 01001gitom4y-c, 1234567890123 units") == (
        "prescription 01001gitom4y-c, 1234567890123 units"  # 13 digits: no CCCD
    )
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s"', ("127.0.0.1", "GET",
        f"/citizens/{CCCD}/prescriptions"), None,
    )  # fmt: skip
    assert MaskPersonalData().filter(record)
    assert CCCD not in record.getMessage() and "/citizens/001*********/" in record.getMessage()


def test_the_operator_sees_where_a_prescription_went_not_whose_it_is() -> None:
    record = make.record_in(State.DELIVERED, fulfilment=Fulfilment.DELIVERY)
    assert record.address and record.patient_name and record.citizen_id

    shown = as_the_operator_sees(record)

    text = json.dumps(shown, ensure_ascii=False)
    assert record.citizen_id not in text and record.patient_name not in text
    assert record.address not in text
    assert shown["citizen_id"] == record.citizen_id[:3] + "*" * 9
    assert shown["state"] == "DELIVERED" and shown["history"][-1]["state"] == "DELIVERED"
    assert shown["pharmacy_id"] == record.pharmacy_id
