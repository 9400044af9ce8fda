"""The views the hospital and the citizen app build from the topics forget a prescription as
the coordinator forgets it, once it has ended and its retention is over, so what they hold in a
long run does not grow with the run: the state left after 10,000 finished prescriptions is the
state left after 1,000; and a prescription still in flight is never forgotten."""

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from rxsim.messaging.due import DueIndex
from rxsim.messaging.limits import Limit, RateLimiter
from rxsim.scenario import load
from schemas import topics
from schemas.events import State
from services.citizen_app import inbox as decisions
from services.citizen_app.inbox import Inbox
from services.citizen_app.signin import CODE_LIFETIME, SignIn
from services.hospital import runs
from services.hospital.desk import Desk
from services.hospital.status_view import StatusView
from tests.support import factories as make

from .test_citizen_behaviour import available
from .test_citizen_inbox import CTX
from .test_hospital_desk import FakePublisher

KEPT = timedelta(seconds=5)  # issue -> forgotten, once ended (validity and retention, scaled)
EVERY = timedelta(milliseconds=20)  # 50 prescriptions a second
TAKES = timedelta(seconds=2)  # issue -> its end
IN_FLIGHT = 3  # prescriptions that never end in the run


def entries(held: Any) -> int:
    """How many entries a view holds: every dict, list and set in it, nested ones included
    (a citizen's prescriptions, a submission's history, the heap of what falls due)."""
    if isinstance(held, dict):
        return len(held) + sum(entries(value) for value in held.values())
    if isinstance(held, list | set | tuple):
        return len(held) + sum(entries(value) for value in held)
    if isinstance(held, DueIndex) or dataclasses.is_dataclass(held):
        return sum(entries(value) for value in vars(held).values())
    return 0


def code(i: int) -> str:
    return f"01001{i:07d}-c"


def run(
    count: int, step: Callable[[int, datetime], None], forget: Callable[[datetime], object]
) -> datetime:
    """`count` prescriptions, one every EVERY, each ending TAKES after its issue, the first
    IN_FLIGHT never; a sweep every simulated second, as the services' timers do. The time the
    last one was issued."""
    issued = make.T0
    for i in range(count):
        issued = make.T0 + i * EVERY
        step(i, issued)
        if i % 50 == 0:
            forget(issued)
    return issued


# --- the hospital -------------------------------------------------------------------------


def hospital(count: int) -> tuple[StatusView, runs.RunBook]:
    view, book = StatusView(kept=KEPT), runs.RunBook()

    def step(i: int, at: datetime) -> None:
        sid = f"submission-{i}"
        view.submitted(sid, code(i), at, make.ONBOARDED_HOSPITAL.code)
        book.issued("run-1", sid, code(i), at)
        if i % 10 == 0:  # a planned cancellation sent
            book.cancel_sent.add(sid)
        view.apply(*make.status(correlation_id=sid, code=code(i), state=State.AVAILABLE, at=at))
        if i >= IN_FLIGHT:  # its end is read as it comes: a run's statuses are not in order
            end = make.status(
                correlation_id=sid, code=code(i), state=State.DELIVERED, at=at + TAKES
            )
            view.apply(*end)

    def forget(now: datetime) -> None:
        for sid in view.forget_finished(now):
            book.forget(sid)

    run(count, step, forget)
    return view, book


def test_the_hospitals_view_holds_as_much_after_10_000_finished_prescriptions_as_after_1_000():
    small, large = hospital(1_000), hospital(10_000)

    assert entries(large) == entries(small)
    assert 0 < len(large[0].submissions) < 1_000  # the last KEPT of them, and those in flight


def test_the_hospital_never_forgets_a_submission_in_flight() -> None:
    view, book = hospital(10_000)

    for i in range(IN_FLIGHT):
        assert view.submissions[f"submission-{i}"].state == State.AVAILABLE.value
        assert view.by_code(code(i)) is view.submissions[f"submission-{i}"]
        assert f"submission-{i}" in book.generated
    assert book.issued_by_run["run-1"] == 10_000  # a resumed run still knows how many it sent


def test_an_ended_submission_is_kept_for_its_retention_then_reads_as_not_found() -> None:
    view = StatusView(kept=KEPT)
    view.submitted("s", code(1), make.T0)
    view.apply(*make.status(correlation_id="s", code=code(1), state=State.EXPIRED, at=make.T0))

    assert view.forget_finished(make.T0 + KEPT - timedelta(seconds=1)) == []
    assert view.by_code(code(1)) is view.submissions["s"]
    assert view.forget_finished(make.T0 + KEPT) == ["s"]
    assert view.by_code(code(1)) is None and "s" not in view.submissions


def test_a_submission_in_flight_past_its_retention_is_forgotten_once_it_ends() -> None:
    view = StatusView(kept=KEPT)
    view.submitted("s", code(1), make.T0)
    view.apply(*make.status(correlation_id="s", code=code(1), state=State.DISPENSED, at=make.T0))
    later = make.T0 + 2 * KEPT

    assert view.forget_finished(later) == []  # held past its validity: still in flight
    view.apply(*make.status(correlation_id="s", code=code(1), state=State.DELIVERED, at=later))
    assert view.forget_finished(later) == ["s"]


def test_without_a_retention_the_hospital_forgets_nothing() -> None:
    view = StatusView()
    view.submitted("s", code(1), make.T0)
    view.apply(*make.status(correlation_id="s", code=code(1), state=State.EXPIRED, at=make.T0))

    assert view.forget_finished(make.T0 + timedelta(days=10_000)) == []


async def test_the_desk_forgets_only_once_caught_up_and_its_runs_forget_too() -> None:
    desk = Desk(load("pilot"), FakePublisher(), StatusView(kept=KEPT))  # type: ignore[arg-type]
    desk.view.submitted("s", code(1), make.T0)
    desk.book.issued("run-1", "s", code(1), make.T0)
    desk.book.cancel_sent.add("s")
    ended = make.status(correlation_id="s", code=code(1), state=State.EXPIRED, at=make.T0)
    await desk.receive(topics.RX_STATUS, *ended)
    later = make.T0 + KEPT

    desk.forget_finished(later)  # still reading its topics again: a status may be to come
    assert "s" in desk.view.submissions
    await desk.recover()
    desk.forget_finished(later)
    assert "s" not in desk.view.submissions
    assert ("s" in desk.book.generated, "s" in desk.book.cancel_sent) == (False, False)
    assert desk.book.issued_by_run == {"run-1": 1}


# --- the citizen app ----------------------------------------------------------------------


def citizen_app(count: int) -> Inbox:
    inbox = Inbox(kept=KEPT)
    offer = available()

    def step(i: int, at: datetime) -> None:
        rx = offer.model_copy(update={"prescription_id": code(i), "valid_until": at + KEPT / 2})
        event = make.envelope(topics.CITIZEN_INBOX, rx, subject=code(i), time=at)
        sid = event.correlationid
        decisions.on_available(inbox, event, rx, CTX)
        states = [State.AVAILABLE] if i < IN_FLIGHT else [State.AVAILABLE, State.PICKED_UP]
        for n, state in enumerate(states):
            moved = make.status(
                correlation_id=sid, code=code(i), state=state, at=at + n * TAKES, issued_at=at
            )
            decisions.on_status(inbox, *moved, CTX)
        decisions.on_chosen(inbox, *make.choice(code(i)), CTX)

    run(count, step, inbox.forget_finished)
    return inbox


def test_the_citizen_apps_inbox_holds_as_much_after_10_000_finished_prescriptions_as_after_1_000():
    small, large = citizen_app(1_000), citizen_app(10_000)

    assert entries(large) == entries(small)
    assert 0 < len(large.history) < 1_000


def test_the_citizen_app_never_forgets_a_prescription_in_flight() -> None:
    inbox = citizen_app(10_000)

    for i in range(IN_FLIGHT):
        assert inbox.read(make.CITIZEN.cccd, code(i))["state"] == State.AVAILABLE.value  # type: ignore[index]


def test_a_forgotten_prescription_leaves_the_citizens_list_and_reads_as_not_found() -> None:
    inbox, rx = Inbox(kept=KEPT), available()
    event = make.envelope(topics.CITIZEN_INBOX, rx, subject=rx.prescription_id)
    decisions.on_available(inbox, event, rx, CTX)
    ended = make.status(
        correlation_id=event.correlationid, code=rx.prescription_id, state=State.EXPIRED,
        at=make.T0, issued_at=make.T0,
    )  # fmt: skip
    decisions.on_status(inbox, *ended, CTX)

    assert inbox.forget_finished(make.T0 + KEPT) == [rx.prescription_id]
    assert inbox.read(make.CITIZEN.cccd, rx.prescription_id) is None
    assert inbox.listing(make.CITIZEN.cccd) == []
    assert inbox.forget_finished(rx.valid_until + KEPT) == []  # the offer's own time, now void
    assert entries(inbox) == 0


def test_a_prescription_refused_before_its_offer_is_forgotten_after_its_retention() -> None:
    inbox = Inbox(kept=KEPT)
    event, status = make.status(
        correlation_id="s", code=code(1), state=State.REJECTED, at=make.T0, issued_at=make.T0
    )
    decisions.on_status(
        inbox, event, status.model_copy(update={"citizen_id": make.CITIZEN.cccd}), CTX
    )
    assert [rx["state"] for rx in inbox.listing(make.CITIZEN.cccd)] == ["REJECTED"]

    assert inbox.forget_finished(make.T0 + KEPT) == [code(1)]
    assert inbox.listing(make.CITIZEN.cccd) == []
    assert entries(inbox) == 0


def test_an_offer_never_heard_of_again_is_forgotten_its_retention_after_its_validity() -> None:
    inbox, rx = Inbox(kept=KEPT), available()
    decisions.on_available(inbox, make.envelope(topics.CITIZEN_INBOX, rx, subject="x"), rx, CTX)

    assert inbox.forget_finished(rx.valid_until + KEPT - timedelta(seconds=1)) == []
    assert inbox.forget_finished(rx.valid_until + KEPT) == [rx.prescription_id]


# --- the sign-in codes --------------------------------------------------------------------


def codes_sent(count: int) -> SignIn:
    """A code for each of `count` CCCDs, 10 a second, none ever used."""
    signin = SignIn()
    for i in range(count):
        signin.send_code(f"{i:012d}", make.T0 + i * timedelta(milliseconds=100))
    return signin


def test_unused_sign_in_codes_are_dropped_once_expired() -> None:
    small, large = codes_sent(10_000), codes_sent(100_000)

    assert entries(large) == entries(small)
    assert len(large.pending) <= CODE_LIFETIME / timedelta(milliseconds=100) + 1


def test_a_code_not_yet_expired_is_still_there() -> None:
    signin = codes_sent(10_000)
    last = f"{10_000 - 1:012d}"

    assert last in signin.pending
    signin.redeem(last, signin.pending[last].code, make.T0)  # does not raise


# --- the rate limiter ---------------------------------------------------------------------


def most_callers_held(count: int) -> int:
    """A new caller every 10 ms, each asking once: the most buckets the limiter ever held."""
    limiter, most = RateLimiter(Limit(per_second=1, burst=1)), 0
    for i in range(count):
        limiter.wait_before(f"caller-{i}", i * 0.01)
        most = max(most, len(limiter._buckets))
    return most


def test_a_rate_limiter_holds_as_many_callers_after_200_000_as_after_20_000() -> None:
    assert most_callers_held(200_000) == most_callers_held(20_000) <= 10_001


# --- the scenario's rule ------------------------------------------------------------------


@pytest.mark.parametrize("days", [1.0, 90.0])
def test_the_views_keep_what_the_coordinator_keeps(days: float) -> None:
    scenario = load("pilot")
    scenario = scenario.model_copy(
        update={"retention": scenario.retention.model_copy(update={"days_after_validity": days})}
    )
    simulated = timedelta(days=scenario.rules.validity_days + days)

    assert scenario.kept_after_issue == simulated / scenario.speedup
