"""Redelivery through the real stack: a few prescriptions are run to terminal states, then every
record of every topic a service consumes is produced again (same partition, key and bytes,
newest first within each partition, so each consumer ends on an old event), and nothing may
change: the coordinator's records, the pharmacies' stock, the citizen's and the hospital's
views, and the events of those prescriptions (no new dispensed, delivered or refusal)."""

import random
from collections.abc import Iterator
from typing import Any

import pytest

from rxsim.domain.reference.country import DRUG_BY_CODE
from rxsim.fhir import synthetic
from rxsim.scenario import load
from rxsim.tools.live import parse
from rxsim.tools.replay import replay, wait_until_quiet
from rxsim.tools.stack import Stack
from rxsim.tools.topic_reader import read
from schemas.topics import ALL_TOPICS
from tests.integration.conftest import NewCode
from tests.support.stack_client import STACK_SCENARIO, StackClient, eventually

pytestmark = pytest.mark.integration

COUNTRY = load(str(STACK_SCENARIO)).country
HANOI = COUNTRY.hospital_by_code["01001"]
NOT_ONBOARDED = COUNTRY.hospital_by_code["31001"]
AMOXICILLIN = DRUG_BY_CODE["VD-25123-18"]
rng = random.Random()


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[StackClient]:
    yield StackClient(stack)


def send(client: StackClient, code: str, hospital: Any = HANOI) -> tuple[str, str]:
    """Post a prescription; its submission id and its citizen."""
    citizen = rng.choice([c for c in COUNTRY.citizens if c.province == hospital.province])
    bundle = synthetic.prescription(
        rng, code=code, hospital=hospital, citizen=citizen, drugs=[AMOXICILLIN], simulated=False
    )
    return client.post_prescription(bundle)["submission_id"], citizen.cccd


def in_stock(client: StackClient) -> str:
    for pharmacy in client["pharmacy"].get("/pharmacies").json():
        stock = f"/pharmacies/{pharmacy['id']}/stock"
        units = client["pharmacy"].get(stock, headers=client.operator).json()
        if units[AMOXICILLIN.registration_number] > 1000:
            return str(pharmacy["id"])
    raise AssertionError("no pharmacy with amoxicillin in stock")


def choose(client: StackClient, cccd: str, code: str, pharmacy: str, fulfilment: str) -> None:
    body: dict[str, Any] = {"pharmacy_id": pharmacy, "fulfilment": fulfilment}
    if fulfilment == "delivery":
        body["address"] = "12 Lý Thường Kiệt, Hà Nội"
    client.wait_for_citizen(cccd, code)
    response = client["citizen_app"].post(
        f"/citizens/{cccd}/prescriptions/{code}/choice", json=body, headers=client.citizen(cccd)
    )
    assert response.status_code == 202, response.text


def snapshot(
    client: StackClient, codes: list[str], submissions: list[str], citizens: list[str]
) -> dict[str, Any]:
    def get(service: str, path: str, headers: dict[str, str]) -> Any:
        response = client[service].get(path, headers=headers)
        return response.status_code, response.json()

    def get_as_operator(service: str, path: str) -> Any:
        return get(service, path, client.operator)

    def get_as_citizen(cccd: str) -> Any:
        return get("citizen_app", f"/citizens/{cccd}/prescriptions", client.citizen(cccd))

    pharmacies = [p["id"] for p in client["pharmacy"].get("/pharmacies").json()]
    return {
        "coordinator": {
            code: get_as_operator("coordinator", f"/prescriptions/{code}") for code in codes
        },
        "stock": {p: get_as_operator("pharmacy", f"/pharmacies/{p}/stock") for p in pharmacies},
        "citizen": {c: get_as_citizen(c) for c in citizens},
        "hospital": {s: client.submission(s)["state"] for s in submissions},
    }


def event_ids(client: StackClient, submissions: list[str]) -> dict[str, list[str]]:
    """Distinct events of these submissions, as `topic type state-or-kind` per event id: a
    replayed record keeps its id, anything a service decides anew has a new one."""
    found: dict[str, str] = {}
    for record in read(client.stack.bootstrap, [t.name for t in ALL_TOPICS]):
        event = parse(record.value) or {}
        if event.get("correlationid") in submissions:
            data = event.get("data") or {}
            what = data.get("state") or data.get("kind") or ""
            found[event["id"]] = f"{record.topic} {what}".strip()
    by_what: dict[str, list[str]] = {}
    for event_id, what in found.items():
        by_what.setdefault(what, []).append(event_id)
    return {what: sorted(ids) for what, ids in sorted(by_what.items())}


def test_replaying_every_consumed_topic_changes_nothing(
    client: StackClient, new_code: NewCode
) -> None:
    # Given prescriptions in every kind of terminal state, and a refusal of each kind
    delivered_code, picked_code = new_code(HANOI.code), new_code(HANOI.code)
    cancelled_code, refused_code = new_code(HANOI.code), new_code(NOT_ONBOARDED.code)
    delivered, delivered_cccd = send(client, delivered_code)
    picked, picked_cccd = send(client, picked_code)
    cancelled, cancelled_cccd = send(client, cancelled_code)
    refused, _ = send(client, refused_code, NOT_ONBOARDED)
    duplicate, _ = send(client, delivered_code)  # the same code again: DUPLICATE_CODE
    client.wait_for_state(refused, "REJECTED")
    client.wait_for_state(duplicate, "REJECTED")
    pharmacy = in_stock(client)
    choose(client, delivered_cccd, delivered_code, pharmacy, "delivery")
    choose(client, picked_cccd, picked_code, pharmacy, "pickup")
    client.wait_for_citizen(cancelled_cccd, cancelled_code)
    cancel = client["hospital"].post(
        f"/prescriptions/{cancelled_code}/cancel",
        json={"reason": "đổi thuốc"},
        headers=client.facility(HANOI.code),
    )
    assert cancel.status_code == 202, cancel.text
    client.wait_for_state(picked, "DISPENSED")
    eventually(
        lambda: client["pharmacy"].post(
            f"/pharmacies/{pharmacy}/pickups/{picked_code}", headers=client.pharmacy(pharmacy)
        ),
        lambda response: response.status_code == 202,
        "the pharmacy to hold the dispensed order for pickup",
    )
    for submission, state in [(delivered, "DELIVERED"), (picked, "PICKED_UP")]:
        client.wait_for_state(submission, state)
    client.wait_for_state(cancelled, "CANCELLED")
    for cccd, code, state in [
        (delivered_cccd, delivered_code, "DELIVERED"),
        (picked_cccd, picked_code, "PICKED_UP"),
        (cancelled_cccd, cancelled_code, "CANCELLED"),
    ]:
        client.wait_for_citizen(cccd, code, state)
    submissions = [delivered, picked, cancelled, refused, duplicate]
    codes = [delivered_code, picked_code, cancelled_code, refused_code]
    citizens = [delivered_cccd, picked_cccd, cancelled_cccd]
    wait_until_quiet(client.stack.bootstrap)
    before = snapshot(client, codes, submissions, citizens)
    events_before = event_ids(client, submissions)

    # When every record the services consume is delivered again
    assert replay(client.stack.bootstrap) > 0
    wait_until_quiet(client.stack.bootstrap)

    # Then nothing changed, and nothing new was said about these prescriptions
    after = snapshot(client, codes, submissions, citizens)
    for part in before:
        assert after[part] == before[part], f"the replay changed the {part} view"
    assert event_ids(client, submissions) == events_before, "the replay made new events"
    # And a delivered prescription still cannot be chosen again in the app
    again = client["citizen_app"].post(
        f"/citizens/{delivered_cccd}/prescriptions/{delivered_code}/choice",
        json={"pharmacy_id": pharmacy, "fulfilment": "pickup"},
        headers=client.citizen(delivered_cccd),
    )
    assert again.status_code == 409, again.text
