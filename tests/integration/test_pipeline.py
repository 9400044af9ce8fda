"""Prescriptions driven down every path of the pipeline through the real services, over real
HTTP and a real broker, checking final states and the events on the topics."""

import random
from collections.abc import Iterator
from typing import Any

import pytest
from fhir.resources.R4B.medicationdispense import MedicationDispense

from rxsim.domain.reference.country import DRUG_BY_CODE
from rxsim.fhir import bundles, synthetic
from rxsim.scenario import load
from rxsim.tools.stack import Stack
from tests.support.stack_client import STACK_SCENARIO, StackClient, eventually

pytestmark = pytest.mark.integration

SCENARIO = load(str(STACK_SCENARIO))
COUNTRY = SCENARIO.country
HANOI_HOSPITAL = COUNTRY.hospital_by_code["01001"]
NOT_ONBOARDED_HOSPITAL = COUNTRY.hospital_by_code["31001"]  # Hải Phòng: not in the pilot
AMOXICILLIN = DRUG_BY_CODE["VD-25123-18"]
rng = random.Random()


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[StackClient]:
    yield StackClient(stack)


def a_prescription(hospital: Any = HANOI_HOSPITAL, code: str | None = None) -> dict[str, Any]:
    citizen = rng.choice([c for c in COUNTRY.citizens if c.province == hospital.province])
    return synthetic.prescription(
        rng,
        code=code or bundles.new_code(rng, hospital.code),
        hospital=hospital,
        citizen=citizen,
        drugs=[AMOXICILLIN],
        simulated=False,
    )


def citizen_of(bundle: dict[str, Any]) -> str:
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    return str(patient["identifier"][0]["value"])


def pharmacy_with(client: StackClient, in_stock: bool) -> str:
    # Any pharmacy in the country may fill a prescription, so look everywhere.
    for pharmacy in client["pharmacy"].get("/pharmacies").json():
        stock = f"/pharmacies/{pharmacy['id']}/stock"
        units = client["pharmacy"].get(stock, headers=client.operator).json()
        if (units[AMOXICILLIN.registration_number] > 1000) == in_stock:
            return str(pharmacy["id"])
    raise AssertionError(f"no pharmacy with in_stock={in_stock} in the scenario")


def choose(
    client: StackClient,
    bundle: dict[str, Any],
    code: str,
    pharmacy_id: str,
    fulfilment: str = "delivery",
) -> None:
    body: dict[str, Any] = {"pharmacy_id": pharmacy_id, "fulfilment": fulfilment}
    if fulfilment == "delivery":
        body["address"] = "12 Lý Thường Kiệt, Hà Nội"
    client.wait_for_citizen(citizen_of(bundle), code)
    cccd = citizen_of(bundle)
    response = client["citizen_app"].post(
        f"/citizens/{cccd}/prescriptions/{code}/choice", json=body, headers=client.citizen(cccd)
    )
    assert response.status_code == 202, response.text


def states(client: StackClient, submission_id: str) -> list[str]:
    return [
        event["data"]["state"]
        for topic, event in client.events(submission_id)
        if topic == "rx.status"
    ]


def test_prescription_is_delivered_home(client: StackClient) -> None:
    # Given a valid prescription from an onboarded hospital
    bundle = a_prescription()
    sent = client.post_prescription(bundle)
    code = sent["prescription_id"]
    client.wait_for_state(sent["submission_id"], "AVAILABLE")
    # ...which the citizen sees in the app
    client.wait_for_citizen(citizen_of(bundle), code)
    cccd = citizen_of(bundle)
    seen = (
        client["citizen_app"]
        .get(f"/citizens/{cccd}/prescriptions", headers=client.citizen(cccd))
        .json()
    )
    # (the stack is shared: another test may have prescribed for this citizen too)
    assert code in [rx["prescription_id"] for rx in seen]
    # When the citizen chooses home delivery from a pharmacy that has the drug
    choose(client, bundle, code, pharmacy_with(client, in_stock=True))
    # Then it is delivered, and the story on the topics is complete and in order
    client.wait_for_state(sent["submission_id"], "DELIVERED")
    story = client.events(sent["submission_id"])
    topics_in_order = [topic for topic, _ in story]
    assert topics_in_order[0] == "rx.issued"
    for topic in ("citizen.inbox", "citizen.choices", "pharmacy.orders", "pharmacy.events"):
        assert topic in topics_in_order
    moves = states(client, sent["submission_id"])
    assert moves[:6] == [
        "VALIDATED",
        "AVAILABLE",
        "ORDERED",
        "ACCEPTED",
        "DISPENSED",
        "OUT_FOR_DELIVERY",
    ]
    assert moves[-1] == "DELIVERED"
    dispensed = next(
        e for t, e in story if t == "pharmacy.events" and e["data"]["kind"] == "dispensed"
    )
    for dispense in dispensed["data"]["dispenses"]:
        MedicationDispense.model_validate(dispense)
    record = client["coordinator"].get(f"/prescriptions/{code}", headers=client.operator)
    assert record.json()["citizen_id"] == citizen_of(bundle)[:3] + "*" * 9  # not whose it is
    assert citizen_of(bundle) not in record.text
    history = record.json()["history"]
    assert history[0]["state"] == "ISSUED"
    assert history[-1]["state"] == "DELIVERED"


def test_prescription_is_picked_up_at_the_counter(client: StackClient) -> None:
    bundle = a_prescription()
    sent = client.post_prescription(bundle)
    code = sent["prescription_id"]
    client.wait_for_state(sent["submission_id"], "AVAILABLE")
    pharmacy = pharmacy_with(client, in_stock=True)
    choose(client, bundle, code, pharmacy, fulfilment="pickup")
    client.wait_for_state(sent["submission_id"], "DISPENSED")

    response = eventually(
        lambda: client["pharmacy"].post(
            f"/pharmacies/{pharmacy}/pickups/{code}", headers=client.pharmacy(pharmacy)
        ),
        lambda response: response.status_code == 202,
        "the pharmacy to hold the dispensed order",
    )

    assert response.json()["status"] == "picked_up"
    client.wait_for_state(sent["submission_id"], "PICKED_UP")
    assert "OUT_FOR_DELIVERY" not in states(client, sent["submission_id"])


def test_declined_order_goes_back_to_the_citizen_who_chooses_again(client: StackClient) -> None:
    bundle = a_prescription()
    sent = client.post_prescription(bundle)
    code = sent["prescription_id"]
    client.wait_for_state(sent["submission_id"], "AVAILABLE")
    empty = pharmacy_with(client, in_stock=False)

    choose(client, bundle, code, empty)

    declined = eventually(
        lambda: client.submission(sent["submission_id"]),
        lambda submission: submission["reason_code"] == "PHARMACY_DECLINED",
        "the pharmacy to decline",
    )
    assert declined["state"] == "AVAILABLE"
    assert "Amoxicillin" in declined["reason"]
    mine = eventually(
        lambda: client["citizen_app"].get(
            f"/citizens/{citizen_of(bundle)}/prescriptions/{code}",
            headers=client.citizen(citizen_of(bundle)),
        ),
        lambda response: bool(response.json()["declined_by"]),
        "the citizen app to learn of the decline",
    ).json()
    assert mine["declined_by"] == [empty]
    choose(client, bundle, code, pharmacy_with(client, in_stock=True))
    client.wait_for_state(sent["submission_id"], "DELIVERED")


@pytest.mark.parametrize(
    ("make", "reason_code"),
    [
        (lambda: a_prescription(NOT_ONBOARDED_HOSPITAL), "FACILITY_NOT_ONBOARDED"),
        (
            lambda: a_prescription(code=bundles.new_code(rng, "01001").upper()),
            "PRESCRIPTION_CODE_FORMAT",
        ),
        (lambda: a_prescription(code=bundles.new_code(rng, "79001")), "PRESCRIPTION_CODE_FACILITY"),
    ],
)
def test_coordinator_rejects_with_a_reason(
    client: StackClient, make: Any, reason_code: str
) -> None:
    sent = client.post_prescription(make())
    rejected = client.wait_for_state(sent["submission_id"], "REJECTED")
    assert rejected["reason_code"] == reason_code
    assert rejected["reason"]


def test_duplicate_code_is_rejected_and_the_original_goes_on(client: StackClient) -> None:
    first = a_prescription()
    original = client.post_prescription(first)
    client.wait_for_state(original["submission_id"], "AVAILABLE")

    again = client.post_prescription(a_prescription(code=original["prescription_id"]))

    rejected = client.wait_for_state(again["submission_id"], "REJECTED")
    assert rejected["reason_code"] == "DUPLICATE_CODE"
    assert "Đơn thuốc đã được sử dụng trước đó" in rejected["reason"]
    assert client.submission(original["submission_id"])["state"] == "AVAILABLE"
    by_code = (
        client["hospital"]
        .get(f"/prescriptions/{original['prescription_id']}", headers=client.as_issuer(first))
        .json()
    )
    assert by_code["submission_id"] == original["submission_id"]


def test_prescription_never_chosen_expires(client: StackClient) -> None:
    sent = client.post_prescription(a_prescription())
    expired = client.wait_for_state(sent["submission_id"], "EXPIRED", timeout=90)
    assert expired["reason_code"] == "VALIDITY_OVER"
    assert states(client, sent["submission_id"]) == ["VALIDATED", "AVAILABLE", "EXPIRED"]


def test_prescriber_cancels_before_dispensing(client: StackClient) -> None:
    bundle = a_prescription()
    sent = client.post_prescription(bundle)
    client.wait_for_state(sent["submission_id"], "AVAILABLE")

    response = client["hospital"].post(
        f"/prescriptions/{sent['prescription_id']}/cancel",
        json={"reason": "wrong dose"},
        headers=client.as_issuer(bundle),
    )

    assert response.status_code == 202
    cancelled = client.wait_for_state(sent["submission_id"], "CANCELLED")
    assert cancelled["reason"] == "wrong dose"


def test_cancelling_what_a_pharmacy_holds_waits_for_the_pharmacy_to_return_it(
    client: StackClient,
) -> None:
    # Given a prescription a pharmacy has accepted and is preparing
    bundle = a_prescription()
    sent = client.post_prescription(bundle)
    code = sent["prescription_id"]
    client.wait_for_state(sent["submission_id"], "AVAILABLE")
    pharmacy = pharmacy_with(client, in_stock=True)
    stock_before = (
        client["pharmacy"]
        .get(f"/pharmacies/{pharmacy}/stock", headers=client.pharmacy(pharmacy))
        .json()
    )
    choose(client, bundle, code, pharmacy, fulfilment="pickup")
    client.wait_for_state(sent["submission_id"], "ACCEPTED")
    # When the prescriber cancels it
    response = client["hospital"].post(
        f"/prescriptions/{code}/cancel",
        json={"reason": "đổi thuốc"},
        headers=client.as_issuer(bundle),
    )
    assert response.status_code == 202
    # Then it waits for the pharmacy, which returns it to stock: cancelled, never dispensed
    client.wait_for_state(sent["submission_id"], "CANCELLED")
    moves = states(client, sent["submission_id"])
    assert moves[-2:] == ["PENDING_CANCELLATION", "CANCELLED"]
    assert "DISPENSED" not in moves
    returned = [e for t, e in client.events(sent["submission_id"]) if t == "pharmacy.events"]
    assert returned[-1]["data"]["kind"] == "returned"
    stock_after = (
        client["pharmacy"]
        .get(f"/pharmacies/{pharmacy}/stock", headers=client.pharmacy(pharmacy))
        .json()
    )
    drug = AMOXICILLIN.registration_number
    assert stock_after[drug] == stock_before[drug]
