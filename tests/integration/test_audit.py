"""Every read of a citizen's data and every change asked for through the real services leaves
a FHIR AuditEvent on rx.audit, refused ones too, and `rxsim audit` gives a citizen's or a
prescription's whole trail: who, what, when, the outcome, and the coordinator's state changes."""

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from rxsim.cli.main import app
from rxsim.domain.reference.country import DRUG_BY_CODE
from rxsim.fhir import synthetic
from rxsim.scenario import load
from rxsim.tools.stack import Stack
from tests.integration.conftest import NewCode
from tests.support.stack_client import STACK_SCENARIO, StackClient, eventually

pytestmark = pytest.mark.integration

COUNTRY = load(str(STACK_SCENARIO)).country
HANOI = COUNTRY.hospital_by_code["01001"]
OTHER_HOSPITAL = next(h for h in COUNTRY.hospitals if h.province != HANOI.province)
# Citizens no other test of the stack uses, so that their trails are this test's alone.
PATIENT, STRANGER = [c for c in COUNTRY.citizens if c.province == HANOI.province][7:9]


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[StackClient]:
    yield StackClient(stack)


def trail(client: StackClient, tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    """`rxsim audit … --json`, as a person runs it; the AuditEvents of its Bundle."""
    out = tmp_path / "trail.json"
    result = CliRunner().invoke(
        app,
        ["audit", *args, "--bootstrap", client.stack.bootstrap, "--json", str(out)],
        terminal_width=250,
    )
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text())
    Bundle.model_validate(bundle)  # a FHIR R4B searchset Bundle of valid AuditEvents
    return [entry["resource"] for entry in bundle["entry"]]


def who(event: dict[str, Any]) -> str:
    return str(event["agent"][0]["who"]["identifier"]["value"])


def request(event: dict[str, Any]) -> str:
    return next(e["description"] for e in event["entity"] if "description" in e)


def test_each_read_and_each_refusal_about_a_citizen_is_in_their_audit_trail(
    client: StackClient, new_code: NewCode, tmp_path: Path
) -> None:
    # Given the patient's prescription, in their app
    code = new_code(HANOI.code)
    bundle = synthetic.prescription(
        random.Random(), code=code, hospital=HANOI, citizen=PATIENT,
        drugs=[DRUG_BY_CODE["VD-25123-18"]], simulated=False,
    )  # fmt: skip
    client.post_until_available(bundle, PATIENT.cccd, code)
    theirs = f"/citizens/{PATIENT.cccd}/prescriptions"

    # When the patient reads it, a stranger tries to, so does someone without a token, the
    # operator reads the coordinator's record, and another hospital tries to cancel it
    assert client["citizen_app"].get(theirs, headers=client.citizen(PATIENT.cccd)).is_success
    stranger = client["citizen_app"].get(f"{theirs}/{code}", headers=client.citizen(STRANGER.cccd))
    anonymous = client["citizen_app"].get(theirs)
    operator = client["coordinator"].get(f"/prescriptions/{code}", headers=client.operator)
    other = client["hospital"].post(
        f"/prescriptions/{code}/cancel", headers=client.facility(OTHER_HOSPITAL.code)
    )
    answered = (stranger.status_code, anonymous.status_code, operator.status_code)
    assert (*answered, other.status_code) == (403, 401, 200, 403)

    # Then the patient's trail names each, with who asked and what came of it
    one = "GET /citizens/{cccd}/prescriptions/{prescription_id}"
    wanted = {
        (HANOI.code, "POST /prescriptions", "0", None),
        (PATIENT.cccd, "GET /citizens/{cccd}/prescriptions", "0", None),
        (STRANGER.cccd, one, "4", "OTHER_CITIZEN"),
        # refused before the route: no token, so known by its address only
        ("127.0.0.1", "GET /citizens/{cccd}/prescriptions", "4", "TOKEN_MISSING"),
        ("operator", "GET /prescriptions/{prescription_id}", "0", None),
    }

    def asked(events: list[dict[str, Any]]) -> set[tuple[str, str, str, str | None]]:
        return {(who(e), request(e), e["outcome"], e.get("outcomeDesc")) for e in events}

    events = eventually(
        lambda: trail(client, tmp_path, "--citizen", PATIENT.cccd),
        lambda events: wanted <= asked(events),
        "the reads and refusals in the patient's audit trail",
    )
    # and the coordinator's state changes, as the coordinator's own
    changes = [request(e) for e in events if who(e) == "coordinator"]
    assert "VALIDATED → AVAILABLE" in changes, changes
    # and a prescription's trail has the other hospital's refused cancellation, which did
    # not name the patient (the hospital cannot know whose prescription it is not)
    by_code = trail(client, tmp_path, "--prescription", code)
    refused = [
        e
        for e in by_code
        if who(e) == OTHER_HOSPITAL.code and e.get("outcomeDesc") == "OTHER_FACILITY"
    ]
    assert [request(e) for e in refused] == ["POST /prescriptions/{prescription_id}/cancel"]


def test_the_audit_command_says_plainly_what_it_needs(client: StackClient) -> None:
    nobody = f"{random.randrange(10**12):012d}"  # a CCCD no test (nor fuzzing) asked about
    no_one = CliRunner().invoke(app, ["audit", "--bootstrap", client.stack.bootstrap])
    nothing = CliRunner().invoke(
        app, ["audit", "--citizen", nobody, "--bootstrap", client.stack.bootstrap]
    )

    assert no_one.exit_code == 2 and "--prescription CODE or --citizen CCCD" in no_one.output
    assert nothing.exit_code == 1 and f"no audit record about citizen {nobody}" in (nothing.output)
