"""The hospital's FHIR edge takes a Bundle as FHIR JSON only: any other media type is refused
with 415 and an OperationOutcome before the body is read, and recorded as refused; JSON, with or
without FHIR's parameters, is taken. Through the hospital's own routes, with a fake publisher."""

from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rxsim.messaging import tokens
from rxsim.messaging.audit import Auditor
from rxsim.messaging.codec import now
from rxsim.messaging.security import answer_refusals
from rxsim.messaging.tokens import Role
from rxsim.scenario import load
from services.hospital.api import FHIR_JSON, refusal_outcome, routes
from services.hospital.desk import Desk
from services.hospital.status_view import StatusView
from tests.support import factories as make
from tests.unit.test_hospital_desk import FakePublisher

SECRET = "a-secret-for-these-tests-only-0123456789"


@pytest.fixture
def hospital() -> tuple[TestClient, list[bytes]]:
    audited: list[bytes] = []

    async def record(_: str, __: bytes, value: bytes) -> None:
        audited.append(value)

    desk = Desk(load("pilot"), FakePublisher(), StatusView())  # type: ignore[arg-type]
    api = FastAPI()
    auditor = Auditor("hospital", record)
    answer_refusals(api, auditor, refusal_outcome, FHIR_JSON)
    api.include_router(routes(desk, auditor, SECRET))
    return TestClient(api), audited


def post(http: TestClient, content_type: str | None) -> Any:
    token = tokens.issue(SECRET, Role.FACILITY, make.ONBOARDED_HOSPITAL.code, now())
    headers = {"Authorization": f"Bearer {token}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return http.post("/prescriptions", content=orjson.dumps(make.bundle()), headers=headers)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
def test_a_bundle_of_another_media_type_is_refused_with_415(
    hospital: tuple[TestClient, list[bytes]], content_type: str | None
) -> None:
    http, audited = hospital

    answer = post(http, content_type)

    assert answer.status_code == 415, answer.text
    assert answer.headers["content-type"] == FHIR_JSON
    [issue] = answer.json()["issue"]
    assert (issue["code"], issue["details"]["coding"][0]["code"]) == (
        "not-supported",
        "UNSUPPORTED_MEDIA_TYPE",
    )
    [record] = [orjson.loads(value)["data"]["audit_event"] for value in audited]
    assert (record["outcome"], record["outcomeDesc"]) == ("4", "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize(
    "content_type",
    ["application/fhir+json", "application/json", "application/fhir+json; fhirVersion=4.0"],
)
def test_a_bundle_as_json_is_taken(
    hospital: tuple[TestClient, list[bytes]], content_type: str
) -> None:
    http, _ = hospital

    answer = post(http, content_type)

    assert answer.status_code == 202, answer.text
