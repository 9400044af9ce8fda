"""What the citizen app knows and decides, as plain data and functions: each citizen's inbox
of prescriptions, their latest status, and the choice of a pharmacy, by a real citizen
(checked here) or a simulated one (timed here). No Kafka and no clock: the app does the I/O.

A prescription is forgotten as the coordinator forgets it: once it has ended and its issue is
`kept` ago (its validity and `[retention] days_after_validity`); one offered and never heard of
again, `kept` after its validity ends; one in flight, never. The inbox of a long run holds what
is in flight and the retention, not the run's history; a forgotten prescription is not in the
citizen's list and reads as not found (404), as at the coordinator.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rxsim.domain.reference.country import Country
from rxsim.domain.states import TERMINAL, supersedes
from rxsim.messaging.due import DueIndex
from rxsim.scenario import Behaviour, Scenario, clock
from schemas.envelope import Envelope
from schemas.events import (
    Fulfilment,
    PharmacyChosen,
    PrescriptionAvailable,
    RequestRefused,
    State,
    StatusChanged,
)
from services.citizen_app.behaviour import Choice, choose


@dataclass(frozen=True)
class Context:
    country: Country
    behaviour: Behaviour
    seed: int


def context_for(scenario: Scenario) -> Context:
    return Context(scenario.country, scenario.behaviour, scenario.seed)


@dataclass(frozen=True)
class Passed:
    """One state a prescription went through, as rx.status told it."""

    state: str
    at: datetime  # the event's time
    reason: str | None = None

    def shown(self) -> dict[str, Any]:
        return {"state": self.state, "at": self.at.isoformat(), "reason": self.reason}


@dataclass
class Inbox:
    """Every citizen's prescriptions as the app last heard of them, in memory."""

    # How long after its issue an ended prescription is kept (real time; None: for ever).
    kept: timedelta | None = None
    by_citizen: dict[str, dict[str, PrescriptionAvailable]] = field(default_factory=dict)
    correlation: dict[str, str] = field(default_factory=dict)  # prescription id -> submission
    latest: dict[str, StatusChanged] = field(default_factory=dict)  # prescription id ->
    # When the latest status and offer were published: an older one never overwrites them.
    latest_at: dict[str, datetime] = field(default_factory=dict)  # prescription id ->
    offered_at: dict[str, datetime] = field(default_factory=dict)  # prescription id ->
    refused: dict[str, RequestRefused] = field(default_factory=dict)  # the last refused choice
    chosen_at: dict[str, datetime] = field(default_factory=dict)  # the last choice sent
    # Every state each prescription went through, oldest first: the app draws the order's
    # progress from it (a failed delivery attempt shows, though a later state replaced it).
    history: dict[str, list[Passed]] = field(default_factory=dict)  # prescription id ->
    # Prescriptions refused before they reached the app (never offered): the citizen still sees
    # that one was written for them, and why it cannot be used.
    rejected: dict[str, dict[str, StatusChanged]] = field(default_factory=dict)  # cccd -> id ->
    citizen_of: dict[str, str] = field(default_factory=dict)  # prescription id -> cccd
    _forgetting: DueIndex[str] = field(default_factory=DueIndex, repr=False)  # by when

    def forget_finished(self, now: datetime) -> list[str]:
        """Forget the prescriptions due at `now` that are not in flight (ended, or offered and
        never heard of again); their ids."""
        forgotten = []
        for pid in self._forgetting.due(now):
            status = self.latest.get(pid)
            if status is not None and status.state not in TERMINAL:
                continue  # in flight: due again when its end comes
            self._forget(pid)
            forgotten.append(pid)
        return forgotten

    def forget_after(self, pid: str, since: datetime) -> None:
        """`pid` may be forgotten `kept` after `since`, if it is not in flight then."""
        if self.kept is not None:
            self._forgetting.set(pid, since + self.kept)

    def _forget(self, pid: str) -> None:
        for by_id in (
            self.correlation, self.latest, self.latest_at, self.offered_at, self.refused,
            self.chosen_at, self.history,
        ):  # fmt: skip
            by_id.pop(pid, None)
        cccd = self.citizen_of.pop(pid, None)
        if cccd is None:
            return
        for by_citizen in (self.by_citizen, self.rejected):
            theirs = by_citizen.get(cccd)
            if theirs is not None:
                theirs.pop(pid, None)
                if not theirs:
                    del by_citizen[cccd]

    def find(self, cccd: str, prescription_id: str) -> PrescriptionAvailable | None:
        return self.by_citizen.get(cccd, {}).get(prescription_id)

    def listing(self, cccd: str) -> list[dict[str, Any]]:
        """Everything the citizen's app shows: offered prescriptions, then refused ones."""
        shown = [self.view(rx) for rx in self.by_citizen.get(cccd, {}).values()]
        refused = self.rejected.get(cccd, {})
        return shown + [rejected_view(status) for pid, status in refused.items()]

    def read(self, cccd: str, prescription_id: str) -> dict[str, Any] | None:
        rx = self.find(cccd, prescription_id)
        if rx is not None:
            return self.view(rx)
        refused = self.rejected.get(cccd, {}).get(prescription_id)
        return rejected_view(refused) if refused is not None else None

    def view(self, rx: PrescriptionAvailable) -> dict[str, Any]:
        """The prescription as the citizen sees it: what was issued, and where it stands."""
        status = self.latest.get(rx.prescription_id)
        refused = self.refused.get(rx.prescription_id)
        return {
            **rx.model_dump(mode="json"),
            "state": status.state.value if status else State.AVAILABLE.value,
            "pharmacy_id": status.pharmacy_id if status else None,
            "reason": status.reason if status else None,
            "reason_code": status.reason_code if status else None,
            "fulfilment": status.fulfilment.value if status and status.fulfilment else None,
            "refused": refused.model_dump(mode="json") if refused else None,
            "history": [step.shown() for step in self.history.get(rx.prescription_id, [])],
        }


def rejected_view(status: StatusChanged) -> dict[str, Any]:
    """A prescription refused by the national rules, as its patient sees it: no drugs to
    take anywhere, only who wrote it and why it was refused."""
    return {
        "prescription_id": status.prescription_id,
        "facility_code": status.facility_code,
        "items": [],
        "state": status.state.value,
        "reason": status.reason,
        "reason_code": status.reason_code,
        "issued_at": status.issued_at.isoformat() if status.issued_at else None,
        "refused": None,
        "history": [],
    }


@dataclass(frozen=True)
class ChoiceDue:
    """A simulated citizen has made up their mind; the app waits `Timer.after` first."""

    rx: PrescriptionAvailable
    choice: Choice


Timer = clock.Timer[ChoiceDue]


@dataclass
class Outcome:
    out: list[PharmacyChosen] = field(default_factory=list)  # to citizen.choices
    timers: list[Timer] = field(default_factory=list)


def on_available(inbox: Inbox, event: Envelope, rx: PrescriptionAvailable, ctx: Context) -> Outcome:
    """citizen.inbox: show the prescription; a simulated citizen starts deciding. An offer
    delivered again, or older than the one shown, changes nothing."""
    offered = inbox.offered_at.get(rx.prescription_id)
    if offered is not None and event.time <= offered:
        return Outcome()
    inbox.offered_at[rx.prescription_id] = event.time
    inbox.by_citizen.setdefault(rx.citizen_id, {})[rx.prescription_id] = rx
    inbox.rejected.get(rx.citizen_id, {}).pop(rx.prescription_id, None)  # sent again, and good
    inbox.correlation[rx.prescription_id] = event.correlationid
    inbox.citizen_of[rx.prescription_id] = rx.citizen_id
    if rx.prescription_id not in inbox.latest:
        # No status yet, and its end may never come: then as long after its validity ends.
        inbox.forget_after(rx.prescription_id, rx.valid_until)
    if not rx.simulated:
        return Outcome()
    choice = choose(rx, ctx.country, ctx.behaviour, ctx.seed)
    if choice is None:
        return Outcome()  # this citizen never collects: the prescription will expire
    return Outcome(timers=[Timer(choice.after, ChoiceDue(rx, choice))])


def on_status(inbox: Inbox, event: Envelope, status: StatusChanged, ctx: Context) -> Outcome:
    """rx.status: remember the latest state, or a refused choice, unless it is about another
    submission that re-used the code (a rejected duplicate must not overwrite the citizen's
    prescription), or older than the one known (a replay must not move the prescription
    backwards)."""
    pid = status.prescription_id
    if inbox.correlation.get(pid, event.correlationid) != event.correlationid:
        return Outcome()
    # When the coordinator forgets it, if it has ended by then.
    inbox.forget_after(pid, status.issued_at or event.time)
    if status.state == State.REJECTED and status.citizen_id and pid not in inbox.correlation:
        inbox.rejected.setdefault(status.citizen_id, {})[pid] = status
        inbox.citizen_of[pid] = status.citizen_id
        return Outcome()
    if status.refused is not None:
        if status.refused.request == "choice":  # the state stays; the citizen sees why
            inbox.refused[pid] = status.refused
        return Outcome()
    passed = Passed(status.state.value, event.time, status.reason)
    steps = inbox.history.setdefault(pid, [])
    if passed not in steps:  # a status delivered twice is one step
        steps.append(passed)
        steps.sort(key=lambda step: step.at)
    known = inbox.latest.get(pid)
    if known is None or supersedes(known.state, inbox.latest_at[pid], status.state, event.time):
        inbox.latest[pid], inbox.latest_at[pid] = status, event.time
    return Outcome()


def on_chosen(inbox: Inbox, event: Envelope, choice: PharmacyChosen, ctx: Context) -> Outcome:
    """citizen.choices, read back: a choice already sent for the offer shown is not sent
    again (after a restart, before its status arrives)."""
    known = inbox.chosen_at.get(choice.prescription_id)
    if known is None or event.time > known:
        inbox.chosen_at[choice.prescription_id] = event.time
    return Outcome()


def waiting(inbox: Inbox, prescription_id: str) -> bool:
    """Still the citizen's to place: AVAILABLE (or no status yet), and no choice sent since
    the latest offer (a pharmacy that declines makes a new offer)."""
    status = inbox.latest.get(prescription_id)
    if status is not None and status.state != State.AVAILABLE:
        return False
    chosen, offered = inbox.chosen_at.get(prescription_id), inbox.offered_at.get(prescription_id)
    return chosen is None or offered is None or chosen < offered


def still_pending(inbox: Inbox, timers: list[Timer]) -> list[Timer]:
    """Of the simulated choices a replay of the inbox asked for, those still to make: a
    restarted app re-arms them (the choice is the same, from the scenario's seed)."""
    return [t for t in timers if waiting(inbox, t.then.rx.prescription_id)]


def choice_due(inbox: Inbox, step: ChoiceDue, ctx: Context) -> Outcome:
    """Send the simulated citizen's choice, if the prescription is still theirs to place."""
    if not waiting(inbox, step.rx.prescription_id):
        return Outcome()
    choice = step.choice
    rx = step.rx  # a simulated citizen is the patient
    return Outcome(
        [chosen(rx, rx.citizen_id, choice.pharmacy_id, choice.fulfilment, choice.address)]
    )


def chosen(
    rx: PrescriptionAvailable,
    by: str,
    pharmacy_id: str,
    fulfilment: Fulfilment,
    address: str | None,
) -> PharmacyChosen:
    """The choice of the citizen `by` (a CCCD: the token's, never one copied from the
    prescription, so that the coordinator checks who chose, not what was chosen)."""
    return PharmacyChosen(
        prescription_id=rx.prescription_id,
        citizen_id=by,
        pharmacy_id=pharmacy_id,
        fulfilment=fulfilment,
        address=address,
    )


def refusal(
    inbox: Inbox, rx: PrescriptionAvailable, pharmacy_id: str, fulfilment: Fulfilment, ctx: Context
) -> tuple[int, str] | None:
    """Why a real citizen's choice is refused (HTTP status, message), or None to send it."""
    state = inbox.view(rx)["state"]
    if state != State.AVAILABLE:
        return 409, (
            f"prescription {rx.prescription_id} is {state}; "
            "a pharmacy can be chosen only while it is AVAILABLE"
        )
    if pharmacy_id not in ctx.country.pharmacy_by_id:
        return 422, f"unknown pharmacy {pharmacy_id!r}; see GET /pharmacies"
    if fulfilment == Fulfilment.DELIVERY and not rx.home_delivery_allowed:
        return 422, (
            "home delivery is not allowed for this prescription (controlled drugs): choose pickup"
        )
    return None


Handler = Callable[[Inbox, Envelope, Any, Context], Outcome]
# Who handles what, by the type of the decoded event data.
HANDLERS: dict[type, Handler] = {
    PrescriptionAvailable: on_available,
    StatusChanged: on_status,
    PharmacyChosen: on_chosen,
}
