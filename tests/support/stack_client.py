"""What a test needs to drive the stack as an integration engineer would: its HTTP APIs and
the events on its topics."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from rxsim import fhir
from rxsim.messaging.tokens import Role
from rxsim.tools.live import parse
from rxsim.tools.stack import Stack
from rxsim.tools.topic_reader import read
from schemas.topics import ALL_TOPICS, RX_AUDIT

T = TypeVar("T")
# The scenario the stack fixture runs: the pilot, with clinics onboarded too.
STACK_SCENARIO = Path(__file__).with_name("stack-scenario.toml")


def eventually(
    fetch: Callable[[], T], until: Callable[[T], bool], what: str, timeout: float = 60.0
) -> T:
    """Call `fetch` until its result satisfies `until`; fail naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if until(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}; last seen: {result!r}")
        time.sleep(0.2)


class StackClient:
    """The stack's APIs, and the credentials each kind of caller holds: a test says whose
    token it sends (`operator`, `facility(code)`, `pharmacy(id)`, `citizen(cccd)`)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.http = {
            name: httpx.Client(base_url=url, timeout=10) for name, url in stack.urls().items()
        }
        self.signed_in: dict[str, tuple[float, dict[str, str]]] = {}  # cccd -> when, header

    def __getitem__(self, service: str) -> httpx.Client:
        return self.http[service]

    @property
    def operator(self) -> dict[str, str]:
        return self.stack.auth()

    def facility(self, code: str) -> dict[str, str]:
        return self.stack.auth(Role.FACILITY, code)

    def pharmacy(self, pharmacy_id: str) -> dict[str, str]:
        return self.stack.auth(Role.PHARMACY, pharmacy_id)

    def citizen(self, cccd: str) -> dict[str, str]:
        """Signed in as this citizen through the app's simulated VNeID sign-in (again once the
        token is older than 10 of its 15 minutes)."""
        known = self.signed_in.get(cccd)
        if known is not None and time.monotonic() - known[0] < 600:
            return known[1]
        app = self["citizen_app"]
        sent = app.post("/auth/otp", json={"cccd": cccd})
        assert sent.status_code == 202, sent.text
        code = sent.json()["simulated_code"]
        answer = app.post("/auth/token", json={"cccd": cccd, "code": code})
        assert answer.status_code == 200, answer.text
        header = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        self.signed_in[cccd] = (time.monotonic(), header)
        return header

    def as_issuer(self, bundle: dict[str, Any]) -> dict[str, str]:
        """The token of the Bundle's own facility, as its hospital system holds it."""
        return self.facility(fhir.facility_code(bundle) or "")

    def post_prescription(self, bundle: dict[str, Any]) -> dict[str, Any]:
        response = self["hospital"].post(
            "/prescriptions", json=bundle, headers=self.as_issuer(bundle)
        )
        assert response.status_code == 202, response.text
        return dict(response.json())

    def submission(self, submission_id: str) -> dict[str, Any]:
        answer = self["hospital"].get(f"/submissions/{submission_id}", headers=self.operator)
        return dict(answer.json())

    def wait_for_state(
        self, submission_id: str, state: str, timeout: float = 60.0
    ) -> dict[str, Any]:
        return eventually(
            lambda: self.submission(submission_id),
            lambda submission: submission["state"] == state,
            f"submission {submission_id} to reach {state}",
            timeout,
        )

    def wait_for_citizen(self, cccd: str, code: str, state: str = "AVAILABLE") -> None:
        """The citizen app follows its own topics, behind or ahead of the hospital's view: wait
        until it shows the prescription in `state`, as a person refreshing the app would."""
        eventually(
            lambda: self["citizen_app"].get(
                f"/citizens/{cccd}/prescriptions/{code}", headers=self.citizen(cccd)
            ),
            lambda response: response.status_code == 200 and response.json()["state"] == state,
            f"the citizen app to show {code} as {state}",
        )

    def post_until_available(self, bundle: dict[str, Any], cccd: str, code: str) -> str:
        """Post a prescription and wait until the hospital and the citizen app both show it
        AVAILABLE: it has gone all the way from hospital to citizen. Its submission id."""
        submission_id = str(self.post_prescription(bundle)["submission_id"])
        self.wait_for_state(submission_id, "AVAILABLE")
        self.wait_for_citizen(cccd, code)
        return submission_id

    def events(self, correlation_id: str) -> list[tuple[str, dict[str, Any]]]:
        """Every event of one story on every topic, in time order, read by assignment."""
        found = [
            (record.topic, event)
            for record in read(self.stack.bootstrap, [t.name for t in ALL_TOPICS])
            if (event := parse(record.value)) and event.get("correlationid") == correlation_id
        ]
        return sorted(found, key=lambda pair: pair[1]["time"])

    def audited(
        self, who: str, request: str, reason: str, prescription_id: str | None = None
    ) -> int:
        """How many refusals of `request` (the route, as "GET /stats") to `who` (a CCCD, a
        facility, a pharmacy, "operator", or the address of a caller without a token) for
        `reason` are recorded on rx.audit (about `prescription_id`, if given)."""
        count = 0
        for record in read(self.stack.bootstrap, [RX_AUDIT.name]):
            data = (parse(record.value) or {}).get("data") or {}
            event = data.get("audit_event") or {}
            if prescription_id is not None and data.get("prescription_id") != prescription_id:
                continue
            asked = [e.get("description") for e in event.get("entity", [])]
            caller = event.get("agent", [{}])[0].get("who", {}).get("identifier", {})
            if (
                caller.get("value") == who
                and request in asked
                and event.get("outcomeDesc") == (reason)
            ):
                count += 1
        return count
