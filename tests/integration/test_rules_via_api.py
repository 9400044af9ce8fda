"""Each national rule seen from a hospital: a prescription with one element broken is taken
in (202), and its submission ends REJECTED with the rule's reason code and the element named.
And the facility's signature seen from a hospital system that publishes on rx.issued itself:
what is unsigned, signed with a key the coordinator does not hold, or changed after signing is
refused on rx.status with its reason code."""

import copy
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome

from rxsim import fhir
from rxsim.domain.reference.country import DRUGS
from rxsim.fhir import signing
from rxsim.messaging import codec
from rxsim.scenario import load
from rxsim.tools import hostile
from rxsim.tools.live import parse
from rxsim.tools.stack import Stack
from rxsim.tools.topic_reader import read
from schemas import topics
from tests.support.rule_faults import FAULTS, Bundle, Fault, Place, prescription
from tests.support.stack_client import STACK_SCENARIO, StackClient, eventually

pytestmark = pytest.mark.integration
SCENARIO = load(str(STACK_SCENARIO))  # the scenario the stack fixture runs


FACILITIES = list(SCENARIO.country.hospital_by_code.values())
ONBOARDED = [h for h in FACILITIES if h.code in SCENARIO.onboarded_facilities]
NO_BEDS = next(h for h in ONBOARDED if not h.inpatient_beds)  # the stack onboards clinics
PLACE = Place(
    hospital=next(h for h in ONBOARDED if h.inpatient_beds),
    not_onboarded=next(h for h in FACILITIES if h.code not in SCENARIO.onboarded_facilities),
    no_beds=NO_BEDS,
)
# Rules the pilot scenario applies: a rule switched off there cannot be seen refusing.
APPLIED = [
    fault
    for fault in FAULTS
    if getattr(SCENARIO.rules, fault.switch)
    and all(getattr(SCENARIO.rules, k) == v for k, v in fault.rules.items())
]


@pytest.fixture(scope="module")
def client(stack: Stack) -> StackClient:
    return StackClient(stack)


def test_the_unbroken_prescription_is_accepted(client: StackClient) -> None:
    submitted = client.post_prescription(prescription(PLACE, seed=99))

    client.wait_for_state(submitted["submission_id"], "AVAILABLE")


@pytest.mark.parametrize("fault", APPLIED, ids=lambda f: f.reason_code)
def test_each_rule_refuses_its_fault_through_the_hospital_api(
    client: StackClient, fault: Fault
) -> None:
    # Given a prescription breaking one rule, When the hospital posts it
    submitted = client.post_prescription(fault.build(PLACE))
    # Then the coordinator rejects it with that rule's reason code, naming the element
    rejected = client.wait_for_state(submitted["submission_id"], "REJECTED")
    assert rejected["reason_code"] == fault.reason_code, rejected["reason"]
    assert f"{fault.expression}: " in rejected["reason"]
    # ...and in a FHIR OperationOutcome whose first issue names the element and the reason code
    OperationOutcome.model_validate(rejected["outcome"])
    first = rejected["outcome"]["issue"][0]
    assert first["details"]["coding"][0]["code"] == fault.reason_code
    assert first["expression"][0].endswith(fault.expression)


def test_every_rule_on_in_the_pilot_is_exercised() -> None:
    assert {f.reason_code for f in FAULTS} - {f.reason_code for f in APPLIED} == {
        "DIAGNOSIS_UNKNOWN"  # off by default: a scenario may accept any valid ICD-10 code
    }


# Straight onto rx.issued, as a hospital system on the national bus sends: the coordinator
# takes only what the issuing facility signed, unchanged.
def send_straight(client: StackClient, bundle: Bundle, signature: str | None) -> str:
    """Publish `bundle` on rx.issued with `signature`; the submission id (its correlation)."""
    code = str(fhir.prescription_code(bundle))
    event = codec.new_event(
        topics.RX_ISSUED,
        source="urn:test:hospital-system",
        subject=code,
        data=bundle,
        signature=signature,
    )
    sent = hostile.Hostile(
        "a prescription", topics.RX_ISSUED.name, code.encode(), codec.encode(event)
    )
    hostile.produce(client.stack.bootstrap, [sent])
    return str(event["id"])


def last_status(client: StackClient, submission_id: str, state: str) -> dict[str, Any]:
    """The rx.status of that submission that reached `state`, once it is there."""

    def statuses() -> list[dict[str, Any]]:
        return [
            event["data"]
            for record in read(client.stack.bootstrap, [topics.RX_STATUS.name])
            if (event := parse(record.value)) and event.get("correlationid") == submission_id
        ]

    found = eventually(
        statuses, lambda seen: any(s["state"] == state for s in seen), f"{submission_id} {state}"
    )
    return next(s for s in found if s["state"] == state)


def a_fresh_prescription() -> Bundle:
    return prescription(PLACE, seed=uuid.uuid4().int)


def test_a_prescription_signed_by_its_facility_becomes_available(client: StackClient) -> None:
    bundle = a_fresh_prescription()
    signature = signing.simulated_signature(bundle, SCENARIO.seed, validated=True)
    last_status(client, send_straight(client, bundle, signature), "AVAILABLE")


def test_an_unsigned_prescription_is_refused(client: StackClient) -> None:
    submission = send_straight(client, a_fresh_prescription(), None)
    assert last_status(client, submission, "REJECTED")["reason_code"] == "SIGNATURE_MISSING"


def test_a_key_the_registry_does_not_hold_is_refused(client: StackClient) -> None:
    bundle = a_fresh_prescription()
    other_stack = signing.simulated_signature(bundle, SCENARIO.seed + 1, validated=True)
    rejected = last_status(client, send_straight(client, bundle, other_stack), "REJECTED")
    assert rejected["reason_code"] == "SIGNATURE_UNKNOWN_KEY"


def _drug(entry: dict[str, Any]) -> None:
    coding = entry["medicationCodeableConcept"]["coding"][0]
    other = next(
        d for d in DRUGS if d.type_letter == "c" and d.registration_number != coding["code"]
    )
    coding["code"] = other.registration_number  # another drug of the national register


def _quantity(entry: dict[str, Any]) -> None:
    entry["dispenseRequest"]["quantity"]["value"] *= 3


def _patient(entry: dict[str, Any]) -> None:
    entry["identifier"][0]["value"] = "001099012345"


def _prescriber(entry: dict[str, Any]) -> None:
    entry["identifier"][0]["value"] = "000001/HNO-CCHN"


TAMPERING = [
    ("MedicationRequest", _drug),
    ("MedicationRequest", _quantity),
    ("Patient", _patient),
    ("Practitioner", _prescriber),
]


@pytest.mark.parametrize(
    ("resource_type", "tamper"), TAMPERING, ids=lambda x: getattr(x, "__name__", "")[1:]
)
def test_a_prescription_changed_after_signing_is_refused_and_the_real_one_still_goes_through(
    client: StackClient, resource_type: str, tamper: Callable[[dict[str, Any]], None]
) -> None:
    # Given a prescription its hospital signed, changed on the way
    bundle = a_fresh_prescription()
    signature = signing.simulated_signature(bundle, SCENARIO.seed, validated=True)
    tampered = copy.deepcopy(bundle)
    tamper(
        next(
            e["resource"]
            for e in tampered["entry"]
            if e["resource"]["resourceType"] == resource_type
        )
    )
    assert tampered != bundle
    # When it reaches the coordinator, Then it is refused on rx.status, saying why
    rejected = last_status(client, send_straight(client, tampered, signature), "REJECTED")
    assert rejected["reason_code"] == "SIGNATURE_INVALID"
    assert rejected["outcome"]["issue"][0]["expression"] == ["envelope.signature"]
    # ...and the prescription as signed still becomes available under its code
    last_status(client, send_straight(client, bundle, signature), "AVAILABLE")
