"""rx.cancel carries a real FHIR R4 MedicationRequest, status cancelled: what the hospital sends
is valid to fhir.resources (R4B, a validator rxsim's builders do not use), and the contract takes
what another hospital system would send, a published MedicationRequest cancelled."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.medicationrequest import MedicationRequest
from pydantic import ValidationError

from rxsim import fhir
from rxsim.domain.systems import SYSTEM_PRESCRIPTION_CODE
from rxsim.messaging import codec
from rxsim.scenario import load
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import CancellationRequested
from services.hospital.desk import Desk
from services.hospital.status_view import StatusView
from tests.support import factories as make
from tests.unit.test_hospital_desk import ISSUER, FakePublisher

HL7 = Path(__file__).parents[1] / "data" / "hl7-r4-examples"


def sent_cancellation(*, restarted: bool) -> dict[str, Any]:
    """The data of the rx.cancel the hospital sends for a prescription it issued (`restarted`:
    after reading its rx.issued back from the broker, as a restarted hospital does)."""

    async def cancel() -> dict[str, Any]:
        desk = Desk(load("pilot"), FakePublisher(), StatusView())  # type: ignore[arg-type]
        code, submission_id = await desk.submit(make.bundle(), ISSUER)
        if restarted:
            [(_, _, bundle, _)] = desk.publisher.sent  # type: ignore[attr-defined]
            desk = Desk(load("pilot"), FakePublisher(), StatusView())  # type: ignore[arg-type]
            issued = codec.new_event(
                topics.RX_ISSUED, source="rxsim/hospital", subject=code, data=bundle,
                event_id=submission_id,
            )  # fmt: skip
            await desk.receive(topics.RX_ISSUED, Envelope.model_validate(issued), bundle)
        await desk.cancel(desk.view.submissions[submission_id], "Kê nhầm liều (wrong dose)")
        [*_, (topic, key, data, _)] = desk.publisher.sent  # type: ignore[attr-defined]
        assert (topic, key) == (topics.RX_CANCEL.name, code)
        return dict(data.model_dump(mode="json", exclude_none=True))

    return asyncio.run(cancel())


@pytest.mark.parametrize("restarted", [False, True])
def test_the_hospital_sends_a_valid_cancelled_medication_request(restarted: bool) -> None:
    sent = sent_cancellation(restarted=restarted)

    request = MedicationRequest.model_validate(sent)  # raises on any FHIR R4 fault

    assert (request.status, request.intent) == ("cancelled", "order")
    assert request.statusReason.text == "Kê nhầm liều (wrong dose)"
    assert request.medicationCodeableConcept is not None and request.subject is not None
    assert request.groupIdentifier.system == SYSTEM_PRESCRIPTION_CODE


def test_a_cancellation_of_a_prescription_not_held_is_still_valid_fhir() -> None:
    sent = fhir.cancellation("01001abcdefg-c", "bác sĩ đổi thuốc")
    MedicationRequest.model_validate(sent.model_dump(mode="json", exclude_none=True))


def published_cancelled(name: str) -> dict[str, Any]:
    """One of HL7's published MedicationRequests, cancelled by another hospital system and
    named by its prescription code."""
    request = json.loads((HL7 / name).read_text("utf-8"))
    return {
        **request,
        "status": "cancelled",
        "statusReason": {"coding": [{"code": "clarif"}], "text": "prescriber changed the dose"},
        "identifier": [{"system": SYSTEM_PRESCRIPTION_CODE, "value": "01001abcdefg-c"}],
    }


@pytest.mark.parametrize("name", sorted(p.name for p in HL7.glob("MedicationRequest-*.json")))
def test_the_contract_takes_what_another_hospital_system_sends(name: str) -> None:
    data = published_cancelled(name)
    MedicationRequest.model_validate(data)  # it is valid FHIR

    event = codec.new_event(
        topics.RX_CANCEL, source="his/other", subject="01001abcdefg-c", data=data
    )
    [decoded] = [codec.decode(topics.RX_CANCEL, codec.encode(event))]

    assert isinstance(decoded[1], CancellationRequested)
    assert decoded[1].prescription_id == "01001abcdefg-c"
    assert decoded[1].reason == "prescriber changed the dose"


@pytest.mark.parametrize(
    "fault",
    [
        lambda r: {k: v for k, v in r.items() if k != "identifier"},  # names no prescription
        lambda r: {k: v for k, v in r.items() if not k.startswith("medication")},
        lambda r: {k: v for k, v in r.items() if k != "intent"},
        lambda r: {**r, "status": "active"},  # not a cancellation
    ],
)
def test_the_contract_refuses_what_does_not_withdraw_a_named_prescription(fault: Any) -> None:
    with pytest.raises(ValidationError):
        CancellationRequested.model_validate(
            fault(published_cancelled("MedicationRequest-medrx0311.json"))
        )
