"""The audit record of a read or a change through an API: a valid FHIR AuditEvent saying who,
what, whose, when and with what outcome; a refusal inside the route is recorded as refused and
still raised; a read that cannot be recorded is not answered."""

from datetime import UTC, datetime

import orjson
import pytest
from fastapi import HTTPException
from fhir.resources.R4B.auditevent import AuditEvent

from rxsim.domain.reasons import Reason
from rxsim.domain.systems import SYSTEM_CCCD, SYSTEM_PRESCRIPTION_CODE
from rxsim.fhir.audit import Action, Audited, Outcome, audit_event
from rxsim.messaging.audit import Auditor
from rxsim.messaging.tokens import Caller, Refused, Role
from schemas import topics

CCCD, STRANGER = "001085001234", "079190009876"
AT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def identifiers(event: dict) -> dict[str, str]:
    return {
        e["what"]["identifier"]["system"]: e["what"]["identifier"]["value"]
        for e in event.get("entity", [])
        if "what" in e
    }


def test_a_read_is_a_valid_fhir_audit_event_naming_who_whose_and_what() -> None:
    audited = Audited(
        at=AT,
        service="citizen_app",
        caller_role="citizen",
        caller=STRANGER,
        action=Action.READ,
        what="GET /citizens/{cccd}/prescriptions",
        outcome=Outcome.REFUSED,
        reason_code="OTHER_CITIZEN",
        prescription_id="01001abc-c",
        citizen_id=CCCD,
    )

    event = audit_event(audited)

    AuditEvent.model_validate(event)  # raises on anything R4B does not allow
    assert (event["action"], event["outcome"], event["outcomeDesc"]) == ("R", "4", "OTHER_CITIZEN")
    assert event["recorded"] == AT.isoformat()
    [agent] = event["agent"]
    assert agent["who"]["identifier"] == {"system": SYSTEM_CCCD, "value": STRANGER}
    assert identifiers(event) == {SYSTEM_CCCD: CCCD, SYSTEM_PRESCRIPTION_CODE: "01001abc-c"}
    assert event["source"]["observer"]["display"] == "rxsim/citizen_app"


def test_a_change_by_a_system_without_a_patient_is_valid_too() -> None:
    audited = Audited(AT, "hospital", "operator", "operator", Action.EXECUTE, "POST /generator")

    event = audit_event(audited)

    AuditEvent.model_validate(event)
    assert (event["action"], event["outcome"]) == ("E", "0")
    assert "outcomeDesc" not in event and identifiers(event) == {}


class Sent:
    def __init__(self, fail: bool = False) -> None:
        self.records: list[dict] = []
        self.fail = fail

    async def __call__(self, topic: str, key: bytes, value: bytes) -> None:
        if self.fail:
            raise ConnectionError("the broker does not answer")
        assert topic == topics.RX_AUDIT.name
        self.records.append(orjson.loads(value))


CITIZEN = Caller(Role.CITIZEN, STRANGER)


async def test_a_refusal_raised_inside_is_recorded_as_refused_and_still_raised() -> None:
    sent = Sent()
    auditor = Auditor("citizen_app", sent)

    with pytest.raises(Refused):
        async with auditor.recording(CITIZEN, Action.READ, "GET x", citizen_id=CCCD):
            raise Refused(403, Reason.OTHER_CITIZEN, "not yours")

    [record] = sent.records
    assert record["data"]["citizen_id"] == CCCD and record["subject"] == CCCD
    event = record["data"]["audit_event"]
    assert (event["outcome"], event["outcomeDesc"]) == ("4", "OTHER_CITIZEN")


async def test_what_is_learnt_inside_is_recorded_and_a_404_says_not_found() -> None:
    sent = Sent()
    auditor = Auditor("coordinator", sent)
    operator = Caller(Role.OPERATOR, "operator")

    async with auditor.recording(operator, Action.READ, "GET y", prescription_id="p1") as entry:
        entry.citizen_id = CCCD
    with pytest.raises(HTTPException):
        async with auditor.recording(operator, Action.READ, "GET y", prescription_id="p2"):
            raise HTTPException(404, "no such prescription")

    found, missing = (r["data"] for r in sent.records)
    assert (found["prescription_id"], found["citizen_id"]) == ("p1", CCCD)
    assert found["audit_event"]["outcome"] == "0"
    assert missing["audit_event"]["outcomeDesc"] == "NOT_FOUND"


async def test_a_read_that_cannot_be_recorded_is_refused_and_a_change_is_not_undone() -> None:
    auditor = Auditor("citizen_app", Sent(fail=True))
    done = []

    with pytest.raises(Refused) as refused:
        async with auditor.recording(CITIZEN, Action.READ, "GET z", citizen_id=STRANGER):
            done.append("read")
    async with auditor.recording(CITIZEN, Action.UPDATE, "POST z", citizen_id=STRANGER):
        done.append("changed")

    assert (refused.value.status, refused.value.reason) == (503, Reason.AUDIT_UNAVAILABLE)
    assert done == ["read", "changed"]
