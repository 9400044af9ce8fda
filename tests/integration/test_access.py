"""Who may do what, tried through the real services: each abuse that once worked (a stranger
reading or redirecting someone's prescription, a hospital acting as another, anyone running
the operator's endpoints) is refused with its status and reason code, and changes nothing."""

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from rxsim import fhir
from rxsim.domain.reference.country import DRUG_BY_CODE
from rxsim.fhir import signing, synthetic
from rxsim.messaging import codec, tokens
from rxsim.messaging.tokens import Role
from rxsim.scenario import load
from rxsim.tools import hostile
from rxsim.tools.stack import Stack
from schemas import topics
from schemas.events import Fulfilment, Item, OrderPlaced, PharmacyChosen
from tests.integration.conftest import NewCode
from tests.support.stack_client import STACK_SCENARIO, StackClient, eventually

pytestmark = pytest.mark.integration

COUNTRY = load(str(STACK_SCENARIO)).country
HANOI = COUNTRY.hospital_by_code["01001"]
OTHER_HOSPITAL = next(h for h in COUNTRY.hospitals if h.province != HANOI.province)
PATIENT, STRANGER = [c for c in COUNTRY.citizens if c.province == HANOI.province][:2]
PHARMACY = COUNTRY.pharmacies[0].id
rng = random.Random()


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[StackClient]:
    yield StackClient(stack)


def available(client: StackClient, code: str) -> str:
    """A prescription of HANOI for PATIENT, in the patient's app; its submission id."""
    bundle = synthetic.prescription(
        rng, code=code, hospital=HANOI, citizen=PATIENT, drugs=[DRUG_BY_CODE["VD-25123-18"]],
        simulated=False,
    )  # fmt: skip
    return client.post_until_available(bundle, PATIENT.cccd, code)


def recorded(
    client: StackClient, who: str, request: str, reason: str, code: str | None = None
) -> None:
    """The refusal is on record in the audit (rx.audit), as `rxsim audit` shows it."""
    eventually(
        lambda: client.audited(who, request, reason, code),
        bool,
        f"{who}'s refused {request} ({reason}) in the audit",
    )


def reason(response: httpx.Response) -> str:
    return str(response.json()["reason_code"])


def fhir_reason(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/fhir+json")
    [issue] = response.json()["issue"]
    return str(issue["details"]["coding"][0]["code"])


def test_a_stranger_cannot_list_someone_elses_prescriptions(
    client: StackClient, new_code: NewCode
) -> None:
    code = new_code(HANOI.code)
    available(client, code)
    theirs = f"/citizens/{PATIENT.cccd}/prescriptions"

    as_stranger = client["citizen_app"].get(theirs, headers=client.citizen(STRANGER.cccd))
    anonymous = client["citizen_app"].get(theirs)

    assert (as_stranger.status_code, reason(as_stranger)) == (403, "OTHER_CITIZEN")
    assert code not in as_stranger.text
    assert (anonymous.status_code, reason(anonymous)) == (401, "TOKEN_MISSING")
    assert anonymous.headers["www-authenticate"] == "Bearer"
    mine = client["citizen_app"].get(theirs, headers=client.citizen(PATIENT.cccd))
    assert code in [rx["prescription_id"] for rx in mine.json()]
    recorded(client, STRANGER.cccd, "GET /citizens/{cccd}/prescriptions", "OTHER_CITIZEN")


def test_a_stranger_cannot_choose_delivery_of_someone_elses_prescription(
    client: StackClient, new_code: NewCode
) -> None:
    # Given the patient's prescription, waiting in their app
    code = new_code(HANOI.code)
    submission = available(client, code)
    to_me = {"pharmacy_id": PHARMACY, "fulfilment": "delivery", "address": "the stranger's"}
    stranger = client.citizen(STRANGER.cccd)

    # When a stranger chooses home delivery to their own address, by the patient's CCCD or
    # by their own
    by_theirs = client["citizen_app"].post(
        f"/citizens/{PATIENT.cccd}/prescriptions/{code}/choice", json=to_me, headers=stranger
    )
    by_mine = client["citizen_app"].post(
        f"/citizens/{STRANGER.cccd}/prescriptions/{code}/choice", json=to_me, headers=stranger
    )

    # Then both are refused, and nothing was chosen
    assert (by_theirs.status_code, reason(by_theirs)) == (403, "OTHER_CITIZEN")
    assert by_mine.status_code == 404  # not in the stranger's app: nothing to choose
    assert client.submission(submission)["state"] == "AVAILABLE"
    assert "citizen.choices" not in [topic for topic, _ in client.events(submission)]
    choice = "POST /citizens/{cccd}/prescriptions/{prescription_id}/choice"
    recorded(client, STRANGER.cccd, choice, "OTHER_CITIZEN", code)
    recorded(client, STRANGER.cccd, choice, "NOT_FOUND", code)


def test_the_coordinator_refuses_a_choice_made_in_another_citizens_name(
    client: StackClient, new_code: NewCode
) -> None:
    # Given the patient's prescription, and a system that writes on citizen.choices itself
    code = new_code(HANOI.code)
    submission = available(client, code)
    choice = PharmacyChosen(
        prescription_id=code,
        citizen_id=STRANGER.cccd,
        pharmacy_id=PHARMACY,
        fulfilment=Fulfilment.DELIVERY,
        address="the stranger's",
    )
    event = codec.new_event(
        topics.CITIZEN_CHOICES,
        source="rxsim/citizen_app",
        subject=code,
        data=choice,
        correlation_id=submission,
    )

    # When it sends a choice in the stranger's name
    message = hostile.Hostile(
        "a stranger's choice", topics.CITIZEN_CHOICES.name, code.encode(), codec.encode(event)
    )
    hostile.produce(client.stack.bootstrap, [message])

    # Then the coordinator refuses it, saying why, and the prescription stays where it was
    shown = eventually(
        lambda: client.submission(submission),
        lambda found: bool(found["refused"]),
        f"the refused choice of {code}",
    )
    [refused] = shown["refused"]
    assert (refused["request"], refused["reason_code"]) == ("choice", "NOT_THE_PATIENT")
    assert refused["event_id"] == event["id"]
    assert shown["state"] == "AVAILABLE"


def test_a_hospital_cannot_post_as_another_facility(client: StackClient, new_code: NewCode) -> None:
    code = new_code(HANOI.code)
    bundle = synthetic.prescription(
        rng, code=code, hospital=HANOI, citizen=PATIENT, drugs=[DRUG_BY_CODE["VD-25123-18"]],
        simulated=False,
    )  # fmt: skip

    as_other = client["hospital"].post(
        "/prescriptions", json=bundle, headers=client.facility(OTHER_HOSPITAL.code)
    )
    as_operator = client["hospital"].post("/prescriptions", json=bundle, headers=client.operator)

    assert (as_other.status_code, fhir_reason(as_other)) == (403, "OTHER_FACILITY")
    assert (as_operator.status_code, fhir_reason(as_operator)) == (403, "WRONG_AUDIENCE")
    unknown = client["hospital"].get(f"/prescriptions/{code}", headers=client.operator)
    assert unknown.status_code == 404  # nothing was sent
    recorded(client, OTHER_HOSPITAL.code, "POST /prescriptions", "OTHER_FACILITY", code)
    recorded(client, "operator", "POST /prescriptions", "WRONG_AUDIENCE")


def test_a_hospital_cannot_cancel_or_read_another_facilitys_prescription(
    client: StackClient, new_code: NewCode
) -> None:
    code = new_code(HANOI.code)
    submission = available(client, code)
    other = client.facility(OTHER_HOSPITAL.code)

    cancel = client["hospital"].post(f"/prescriptions/{code}/cancel", headers=other)
    read = client["hospital"].get(f"/submissions/{submission}", headers=other)

    assert (cancel.status_code, fhir_reason(cancel)) == (403, "OTHER_FACILITY")
    assert (read.status_code, fhir_reason(read)) == (403, "OTHER_FACILITY")
    own = client["hospital"].get(f"/submissions/{submission}", headers=client.facility(HANOI.code))
    assert own.json()["state"] == "AVAILABLE"
    assert all(topic != "rx.cancel" for topic, _ in client.events(submission))
    cancelling = "POST /prescriptions/{prescription_id}/cancel"
    recorded(client, OTHER_HOSPITAL.code, cancelling, "OTHER_FACILITY", code)
    recorded(
        client, OTHER_HOSPITAL.code, "GET /submissions/{submission_id}", "OTHER_FACILITY", code
    )


def test_the_coordinator_refuses_a_cancellation_its_facility_did_not_sign(
    client: StackClient, new_code: NewCode
) -> None:
    # Given a prescription waiting in the patient's app
    code = new_code(HANOI.code)
    submission = available(client, code)
    request = fhir.cancellation(code, "not the prescriber")
    event = codec.new_event(
        topics.RX_CANCEL, source="rxsim/hospital", subject=code, data=request,
        correlation_id=submission,
    )  # fmt: skip

    # When anyone who reaches the broker writes an unsigned cancellation on rx.cancel
    message = hostile.Hostile(
        "an unsigned cancellation", topics.RX_CANCEL.name, code.encode(), codec.encode(event)
    )
    hostile.produce(client.stack.bootstrap, [message])

    # Then the coordinator refuses it, and the prescription stays where it was
    shown = eventually(
        lambda: client.submission(submission),
        lambda found: bool(found["refused"]),
        f"the refused cancellation of {code}",
    )
    [refused] = shown["refused"]
    assert (refused["request"], refused["reason_code"]) == ("cancel", "SIGNATURE_MISSING")
    assert shown["state"] == "AVAILABLE"


def an_order(code: str, drug_code: str = "VD-25123-18", quantity: float = 10) -> dict[str, Any]:
    """An order as the coordinator would place it at PHARMACY, for pickup."""
    drug = DRUG_BY_CODE[drug_code]
    order = OrderPlaced(
        prescription_id=code,
        pharmacy_id=PHARMACY,
        fulfilment=Fulfilment.PICKUP,
        items=[Item(drug_code=drug_code, name=drug.name, quantity=quantity, unit=drug.unit)],
        task=fhir.fulfilment_task(code, PHARMACY, datetime.now(UTC)),
        medication_requests=[{"resourceType": "MedicationRequest", "status": "active"}],
    )
    return order.model_dump(mode="json", exclude_none=True)


MORPHINE = next(code for code, drug in DRUG_BY_CODE.items() if drug.generic == "morphine")
FORGED_ORDERS = {
    "unsigned": (None, {}, "SIGNATURE_MISSING"),
    "ten times the quantity": ("coordinator", {"quantity": 100}, "SIGNATURE_INVALID"),
    "morphine instead": ("coordinator", {"drug_code": MORPHINE}, "SIGNATURE_INVALID"),
    "signed by a hospital": (HANOI.code, {}, "SIGNATURE_FACILITY_MISMATCH"),
}


@pytest.mark.parametrize(
    ("signer", "changed", "reason_code"), FORGED_ORDERS.values(), ids=list(FORGED_ORDERS)
)
def test_a_pharmacy_declines_an_order_the_coordinator_did_not_sign_and_dispenses_nothing(
    client: StackClient,
    new_code: NewCode,
    signer: str | None,
    changed: dict[str, Any],
    reason_code: str,
) -> None:
    # Given a real prescription, waiting in the patient's app
    code = new_code(HANOI.code)
    submission = available(client, code)
    # And an order for it, signed as the stack's coordinator (or a hospital) signs, if at all,
    # then changed on the way
    order = an_order(code)
    seed = load(str(STACK_SCENARIO)).seed
    signature = signing.simulated_signer(seed, signer).sign(order) if signer is not None else None
    sent = an_order(code, **changed)
    story = str(uuid.uuid4())  # this forgery's own correlation id: others write forgeries too
    event = codec.new_event(
        topics.PHARMACY_ORDERS, source="rxsim/coordinator", subject=code, data=sent,
        correlation_id=story, signature=signature,
    )  # fmt: skip

    # When anyone who reaches the broker writes it on pharmacy.orders
    message = hostile.Hostile(
        "a forged order", topics.PHARMACY_ORDERS.name, PHARMACY.encode(), codec.encode(event)
    )
    hostile.produce(client.stack.bootstrap, [message])

    # Then the pharmacy declines it, saying why, and takes, sells and prepares nothing for it
    def reports() -> list[dict[str, Any]]:
        return [e["data"] for t, e in client.events(story) if t == topics.PHARMACY_EVENTS.name]

    [declined] = eventually(reports, bool, f"the pharmacy's answer to the forged order of {code}")
    assert (declined["kind"], declined.get("reason_code")) == ("declined", reason_code)
    assert declined["prescription_id"] == code
    # And the real prescription is not touched: still waiting for the patient's choice
    assert client.submission(submission)["state"] == "AVAILABLE"
    assert [r["kind"] for r in reports()] == ["declined"]


OPERATORS_ONLY = [  # service, method, path, and the route it takes (as the audit names it)
    ("hospital", "POST", "/generator/runs", "/generator/runs"),
    ("hospital", "GET", "/generator/runs/current", "/generator/runs/current"),
    ("coordinator", "GET", "/stats", "/stats"),
    ("coordinator", "GET", "/prescriptions/01001abcdefg-c", "/prescriptions/{prescription_id}"),
    ("pharmacy", "GET", f"/pharmacies/{PHARMACY}/stock", "/pharmacies/{pharmacy_id}/stock"),
]


@pytest.mark.parametrize(("service", "method", "path", "route"), OPERATORS_ONLY)
def test_operator_endpoints_refuse_anyone_without_an_operator_token(
    client: StackClient, service: str, method: str, path: str, route: str
) -> None:
    def ask(headers: dict[str, str]) -> httpx.Response:
        return client[service].request(method, path, json={"count": 1}, headers=headers)

    citizen_token = client.citizen(PATIENT.cccd)
    request = f"{method} {route}"
    before = client.audited("127.0.0.1", request, "TOKEN_MISSING")
    anonymous, forged = ask({}), ask({"Authorization": "Bearer not.a.token"})
    as_citizen = ask(citizen_token)

    assert (anonymous.status_code, reason_of(anonymous)) == (401, "TOKEN_MISSING")
    assert (forged.status_code, reason_of(forged)) == (401, "TOKEN_INVALID")
    assert (as_citizen.status_code, reason_of(as_citizen)) == (403, "WRONG_AUDIENCE")
    assert citizen_token["Authorization"].removeprefix("Bearer ") not in as_citizen.text
    if method == "GET":  # an operator gets in (a run is not started here: it would load all)
        assert ask(client.operator).status_code in (200, 404)
    # and whoever tried is on record: known by address without a token, by token with one
    eventually(
        lambda: client.audited("127.0.0.1", request, "TOKEN_MISSING"),
        lambda count: count > before,
        f"the refused {request} without a token in the audit",
    )
    recorded(client, PATIENT.cccd, request, "WRONG_AUDIENCE")


def reason_of(response: httpx.Response) -> str:
    """The reason code, from the hospital's OperationOutcome or another service's JSON."""
    if response.headers["content-type"].startswith("application/fhir+json"):
        return fhir_reason(response)
    return reason(response)


def test_a_pharmacy_records_pickups_at_its_own_counter_only(client: StackClient) -> None:
    other = COUNTRY.pharmacies[1].id

    response = client["pharmacy"].post(
        f"/pharmacies/{PHARMACY}/pickups/01001abcdefg-c", headers=client.pharmacy(other)
    )

    assert (response.status_code, reason(response)) == (403, "OTHER_PHARMACY")
    pickup = "POST /pharmacies/{pharmacy_id}/pickups/{prescription_id}"
    recorded(client, other, pickup, "OTHER_PHARMACY", "01001abcdefg-c")


def test_a_one_time_code_signs_in_once_and_a_wrong_one_says_why(client: StackClient) -> None:
    app = client["citizen_app"]
    sent = app.post("/auth/otp", json={"cccd": STRANGER.cccd}).json()
    right = sent["simulated_code"]
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    refused = app.post("/auth/token", json={"cccd": STRANGER.cccd, "code": wrong})
    signed_in = app.post("/auth/token", json={"cccd": STRANGER.cccd, "code": right})
    again = app.post("/auth/token", json={"cccd": STRANGER.cccd, "code": right})

    assert (refused.status_code, reason(refused)) == (400, "CODE_WRONG")
    assert signed_in.status_code == 200
    assert signed_in.json()["token_type"] == "bearer"
    assert (again.status_code, reason(again)) == (400, "CODE_NOT_SENT")


# Open to all: health, sign-in, and what a citizen needs before choosing (the pharmacies, their
# provinces, and whether one has a prescription's drugs: yes or no, never how many).
OPEN_PATHS = {
    "/healthz",
    "/readyz",
    "/auth/otp",
    "/auth/token",
    "/pharmacies",
    "/provinces",
    "/pharmacies/{pharmacy_id}/availability",
}


@pytest.mark.parametrize("service", ["hospital", "coordinator", "pharmacy", "citizen_app"])
def test_every_openapi_document_declares_the_token_each_route_takes(
    client: StackClient, service: str
) -> None:
    document: dict[str, Any] = client[service].get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]

    assert all(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = [name for need in operation.get("security", []) for name in need]
            assert (path in OPEN_PATHS) == (declared == []), f"{method} {path}: {declared}"
            assert set(declared) <= set(schemes)


def test_a_citizen_token_past_its_lifetime_is_refused(client: StackClient) -> None:
    issued_long_ago = datetime.now(UTC) - tokens.LIFETIME[Role.CITIZEN] - timedelta(minutes=1)
    old = tokens.issue(
        client.stack.settings.token_secret, Role.CITIZEN, PATIENT.cccd, issued_long_ago
    )

    response = client["citizen_app"].get(
        f"/citizens/{PATIENT.cccd}/prescriptions", headers={"Authorization": f"Bearer {old}"}
    )

    assert (response.status_code, reason(response)) == (401, "TOKEN_EXPIRED")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_a_token_of_another_kind_names_no_one_here(client: StackClient) -> None:
    """A facility's token is no citizen's, even with a 12-digit subject."""
    pretending = client.stack.auth(Role.FACILITY, PATIENT.cccd)

    response = client["citizen_app"].get(
        f"/citizens/{PATIENT.cccd}/prescriptions", headers=pretending
    )

    assert (response.status_code, reason(response)) == (403, "WRONG_AUDIENCE")
