"""The ledger follows each submission by its correlation id, from rx.issued through rx.status to
an ending, and counts outcomes, losses in flight, rejections, re-choices and stage latencies."""

from collections import Counter
from datetime import timedelta

from rxsim.tools.ledger import Ledger
from schemas import topics
from schemas.events import State
from tests.support import factories as make

S = State


def ms(n: int) -> timedelta:
    return timedelta(milliseconds=n)


def play(
    ledger: Ledger,
    submission: str,
    steps: list[tuple[State, int] | tuple[State, int, str]],
    *,
    code: str | None = None,
    issue: bool = True,
) -> None:
    """Feed one submission's story: its rx.issued at T0, then (state, ms after T0[, reason])."""
    code = code or f"code-of-{submission}"
    if issue:
        ledger.issued(
            make.envelope(
                topics.RX_ISSUED,
                {"resourceType": "Bundle"},
                subject=code,
                correlation_id=submission,
            )
        )
    for state, after, *reason in steps:
        ledger.status(
            *make.status(
                correlation_id=submission,
                code=code,
                state=state,
                at=make.T0 + ms(after),
                reason_code=reason[0] if reason else None,
            )
        )


DELIVERED = [
    (S.VALIDATED, 100),
    (S.AVAILABLE, 250),
    (S.ORDERED, 1000),
    (S.ACCEPTED, 1200),
    (S.DISPENSED, 1500),
    (S.OUT_FOR_DELIVERY, 2000),
    (S.DELIVERED, 3000),
]
PICKED_UP = [
    (S.VALIDATED, 50),
    (S.AVAILABLE, 60),
    (S.ORDERED, 400),
    (S.ACCEPTED, 500),
    (S.DISPENSED, 700),
    (S.PICKED_UP, 1700),
]
DECLINED_THEN_RECHOSEN = [
    (S.VALIDATED, 10),
    (S.AVAILABLE, 20),
    (S.ORDERED, 30),
    (S.AVAILABLE, 40, "PHARMACY_DECLINED"),
    (S.ORDERED, 50),
]
DECLINED_AND_WAITING = [
    (S.VALIDATED, 10),
    (S.AVAILABLE, 20),
    (S.ORDERED, 30),
    (S.AVAILABLE, 40, "PHARMACY_DECLINED"),
]


def a_day() -> Ledger:
    ledger = Ledger()
    play(ledger, "sub-delivered", DELIVERED)
    play(ledger, "sub-picked-up", PICKED_UP)
    play(ledger, "sub-duplicate", [(S.REJECTED, 5, "DUPLICATE_CODE")])
    play(ledger, "sub-not-onboarded", [(S.REJECTED, 5, "FACILITY_NOT_ONBOARDED")])
    play(ledger, "sub-rechosen", DECLINED_THEN_RECHOSEN)
    play(ledger, "sub-waiting", DECLINED_AND_WAITING)
    play(ledger, "sub-silent", [])  # issued, and the coordinator never answered
    return ledger


def test_the_ledger_counts_each_submission_once_with_its_ending() -> None:
    ledger = a_day()

    assert ledger.total == 7
    assert ledger.terminal() == 4
    assert ledger.outcomes() == Counter({"DELIVERED": 1, "PICKED_UP": 1, "REJECTED": 2})


def test_submissions_without_an_ending_are_in_flight_with_their_last_state() -> None:
    in_flight = {story.submission_id: story.state for story in a_day().in_flight()}

    assert in_flight == {
        "sub-rechosen": "ORDERED",
        "sub-waiting": "AVAILABLE",
        "sub-silent": "ISSUED",
    }


def test_rejections_are_counted_by_reason_code() -> None:
    assert a_day().rejections() == Counter({"DUPLICATE_CODE": 1, "FACILITY_NOT_ONBOARDED": 1})


def test_a_decline_followed_by_a_new_order_counts_as_rechosen() -> None:
    ledger = a_day()

    assert ledger.declines() == 2
    assert ledger.declined_then_rechosen() == 1


def test_a_repeated_status_event_is_counted_once() -> None:
    ledger = Ledger()
    play(ledger, "sub-1", [(S.VALIDATED, 10)])
    repeated = make.status(
        correlation_id="sub-1", code="01001aaaaaaa-c", state=S.REJECTED, at=make.T0 + ms(20)
    )

    ledger.status(*repeated)
    ledger.status(*repeated)

    [story] = ledger.stories.values()
    assert [step.state for step in story.steps] == [S.VALIDATED, S.REJECTED]


def test_a_status_seen_before_its_issue_takes_the_issue_time_from_the_status() -> None:
    ledger = Ledger()
    env, data = make.status(
        correlation_id="sub-1",
        code="01001aaaaaaa-c",
        state=S.AVAILABLE,
        at=make.T0 + ms(400),
        issued_at=make.T0,
    )

    ledger.status(env, data)

    latency = ledger.latencies()["issued → in the citizen's app"]
    assert latency.get_total_count() == 1
    assert latency.get_max_value() == 400


def test_stage_latencies_are_measured_from_each_story() -> None:
    # Given one delivered and one picked-up story
    ledger = Ledger()
    play(ledger, "sub-delivered", DELIVERED)
    play(ledger, "sub-picked-up", PICKED_UP)
    # When the latencies are read
    latencies = ledger.latencies()
    # Then each stage holds one value per story that went through it, in milliseconds
    expected = {
        "issued → in the citizen's app": [250, 60],
        "in the app → pharmacy chosen": [750, 340],
        "chosen → accepted by pharmacy": [200, 100],
        "accepted → dispensed": [300, 200],
        "dispensed → delivered": [1500],
        "dispensed → picked up": [1000],
        "issued → terminal": [3000, 1700],
    }
    assert set(latencies) == set(expected)
    for label, values in expected.items():
        histogram = latencies[label]
        assert histogram.get_total_count() == len(values), label
        # HdrHistogram keeps 3 significant digits: compare within its resolution
        assert histogram.values_are_equivalent(histogram.get_min_value(), min(values)), label
        assert histogram.values_are_equivalent(histogram.get_max_value(), max(values)), label


def test_after_a_decline_the_choice_latency_is_measured_from_the_second_offer() -> None:
    ledger = Ledger()
    play(ledger, "sub-1", DECLINED_THEN_RECHOSEN)

    chosen = ledger.latencies()["in the app → pharmacy chosen"]

    assert chosen.get_total_count() == 1
    assert chosen.get_max_value() == 10  # AVAILABLE at 40 ms, ORDERED again at 50 ms


def test_what_is_in_flight_is_kept_as_statuses_come_and_agrees_with_every_story() -> None:
    """A run asks every second what is in flight and how many ended: the ledger keeps that
    as statuses come instead of walking every story, and it is what walking would say, for a
    ledger fed event by event and one built from finished stories alike."""
    ledger = a_day()
    play(ledger, "sub-late", [(S.VALIDATED, 5), (S.AVAILABLE, 9)])
    play(ledger, "sub-late", [(S.EXPIRED, 99)], issue=False)  # ends after the others
    walked = [s for s in ledger.stories.values() if s.final is None]
    assert ledger.in_flight() == walked
    assert [s.submission_id for s in walked] == ["sub-rechosen", "sub-waiting", "sub-silent"]
    assert ledger.terminal() == len(ledger.stories) - len(walked) == 5

    rebuilt = Ledger(dict(ledger.stories))
    assert rebuilt.in_flight() == walked and rebuilt.terminal() == 5
