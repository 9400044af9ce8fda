"""The dashboard's figures, folded from status events one at a time: throughput, stage
latencies, refusals, data quality per facility, adoption by province and kind, alerts and dead
letters; and memory that stays bounded however long the run."""

import itertools
from datetime import UTC, datetime, timedelta

from rxsim.domain.reasons import Reason
from rxsim.tools.dashboard import figures
from rxsim.tools.dashboard.figures import Facility, Figures
from schemas.envelope import Envelope
from schemas.events import CounterfeitSuspected, DeadLettered, RequestRefused, State, StatusChanged

T0 = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
HANOI_HOSPITAL, HANOI_CLINIC, HUE_HOSPITAL = "01001", "01501", "46001"
FACILITIES = {
    HANOI_HOSPITAL: Facility("Hà Nội", "hospital", pilot=True),
    HANOI_CLINIC: Facility("Hà Nội", "clinic", pilot=False),
    HUE_HOSPITAL: Facility("Huế", "hospital", pilot=False),
}
_ids = itertools.count()


def moved(
    fig: Figures,
    submission: str,
    previous: State | None,
    state: State,
    at: datetime,
    *,
    facility: str = HANOI_HOSPITAL,
    reason_code: str | None = None,
    refused: RequestRefused | None = None,
) -> None:
    envelope = Envelope(
        id=str(next(_ids)), source="rxsim/coordinator", type="vn.rxsim.rx.status-changed",
        subject=f"rx-{submission}", time=at, dataschema="urn:x", correlationid=submission,
        data={},
    )  # fmt: skip
    status = StatusChanged(
        prescription_id=f"rx-{submission}", state=state, previous_state=previous,
        reason_code=reason_code, facility_code=facility, issued_at=T0, task={}, refused=refused,
    )  # fmt: skip
    fig.status(envelope, status)


def delivered(fig: Figures, submission: str, facility: str = HANOI_HOSPITAL) -> None:
    """A prescription through every step to the door, a second a step after T0."""
    steps = [State.ISSUED, State.VALIDATED, State.AVAILABLE, State.ORDERED, State.ACCEPTED,
             State.DISPENSED, State.OUT_FOR_DELIVERY, State.DELIVERED]  # fmt: skip
    for n, (previous, state) in enumerate(itertools.pairwise(steps), start=1):
        moved(fig, submission, previous, state, T0 + timedelta(seconds=n), facility=facility)


def rejected(fig: Figures, submission: str, facility: str, reason: str) -> None:
    moved(fig, submission, State.ISSUED, State.REJECTED, T0, facility=facility, reason_code=reason)


def test_a_delivered_prescription_counts_once_in_each_stage_and_as_ended() -> None:
    fig = Figures(FACILITIES)
    delivered(fig, "a")
    shown = fig.snapshot(T0.timestamp() + 10)
    assert (shown["submitted"], shown["ended"], shown["in_flight"]) == (1, {"DELIVERED": 1}, 0)
    # HDR histograms keep 3 significant digits: 7000 ms may read 7003
    stages = {s["id"]: (s["n"], round(s["p50"], -1)) for s in shown["stages"]}
    assert stages["visible"] == (1, 2000)  # issued at T0, available 2 s later
    assert stages["accepted"] == (1, 1000)
    assert stages["delivered"] == (1, 2000)  # from dispensed: out, then at the door
    assert stages["picked_up"] == (0, 0)
    assert stages["terminal"] == (1, 7000)


def test_throughput_counts_submissions_and_ends_in_the_second_they_happened() -> None:
    fig = Figures(FACILITIES)
    delivered(fig, "a")
    delivered(fig, "b")
    rejected(fig, "c", HANOI_HOSPITAL, "MISSING_DIAGNOSIS")
    shown = fig.throughput(T0.timestamp() + 10)
    # the last 60 whole seconds, ending at T0 + 10: T0 is the 50th, T0 + 7 the 57th
    assert shown["submitted"][50] == 1  # the rejection, at T0 itself
    assert shown["submitted"][51] == 2  # a and b validated at T0 + 1
    assert shown["ended"][50] == 1 and shown["ended"][57] == 2
    assert sum(shown["submitted"]) == 3 and shown["submitted_per_s"] == 0.3


def test_data_quality_is_the_share_accepted_on_arrival_with_the_most_frequent_reasons() -> None:
    fig = Figures(FACILITIES)
    delivered(fig, "a")
    for n in range(3):
        rejected(fig, f"r{n}", HANOI_HOSPITAL, "MISSING_DIAGNOSIS")
    rejected(fig, "d", HANOI_HOSPITAL, "DUPLICATE_CODE")
    [row] = fig.quality_rows()
    assert (row["facility"], row["submitted"], row["accepted_first_time"]) == ("01001", 5, 1)
    assert row["share"] == 0.2
    assert row["reasons"][0] == {"reason_code": "MISSING_DIAGNOSIS", "count": 3}


def test_refusals_name_their_kind_and_reason_most_frequent_first() -> None:
    fig = Figures(FACILITIES)
    rejected(fig, "a", HANOI_HOSPITAL, "MISSING_DIAGNOSIS")
    rejected(fig, "b", HANOI_HOSPITAL, "MISSING_DIAGNOSIS")
    moved(fig, "c", State.ORDERED, State.AVAILABLE, T0, reason_code=Reason.PHARMACY_DECLINED)
    refusal = RequestRefused(
        request="choice", event_id="e", reason_code="NOT_THE_PATIENT", reason="x"
    )
    moved(fig, "c", State.AVAILABLE, State.AVAILABLE, T0, refused=refusal)
    shown = fig.snapshot(T0.timestamp())["refusals"]
    assert shown[0] == {
        "kind": "prescription rejected", "reason_code": "MISSING_DIAGNOSIS", "count": 2
    }  # fmt: skip
    assert {(r["kind"], r["reason_code"]) for r in shown[1:]} == {
        ("order declined", "PHARMACY_DECLINED"), ("choice refused", "NOT_THE_PATIENT")
    }  # fmt: skip
    assert fig.submitted == 2  # a refused request is no submission


def test_adoption_shows_the_pilot_and_the_national_places_that_have_sent_any() -> None:
    fig = Figures(FACILITIES)
    delivered(fig, "a")
    rejected(fig, "b", HUE_HOSPITAL, "FACILITY_NOT_ONBOARDED")
    rows = fig.adoption_rows()
    assert rows == [
        {
            "province": "Hà Nội",
            "kind": "hospital",
            "wave": "pilot",
            "facilities": 1,
            "prescribing": 1,
            "submitted": 1,
        },
        {
            "province": "Huế",
            "kind": "hospital",
            "wave": "national",
            "facilities": 1,
            "prescribing": 0,
            "submitted": 1,
        },
    ]  # Hà Nội's clinics, national and silent, are left out


def test_alerts_and_dead_letters_are_counted_by_why_and_by_whom() -> None:
    fig = Figures(FACILITIES)
    recalled = "Lô L1 của VD-1 đã bị thu hồi (recalled batch)"
    fig.alert(
        CounterfeitSuspected(
            prescription_id="p", pharmacy_id="NT1", registration_number="VD-1", lot="L1",
            reason=recalled,
        )
    )  # fmt: skip
    letter = DeadLettered(
        original_b64="e30=", original_key="p", source_topic="rx.issued", partition=0,
        offset=3, consumer="coordinator", reason="not JSON",
    )  # fmt: skip
    fig.dead_letter(letter)
    fig.dead_letter(letter)
    shown = fig.snapshot(T0.timestamp())
    assert shown["alerts"] == {"total": 1, "by_reason": {"recalled lot": 1}}
    assert shown["dead_letters"]["by_consumer"] == [
        {"consumer": "coordinator", "topic": "rx.issued", "count": 2}
    ]


def test_memory_stays_bounded_however_many_prescriptions_and_reasons() -> None:
    fig = Figures(FACILITIES)
    for n in range(figures.MAX_KEYS + 50):
        rejected(fig, f"r{n}", HANOI_HOSPITAL, f"REASON_{n}")
    assert len(fig.refusals) == figures.MAX_KEYS + 1  # and "other"
    assert fig.refusals[figures.OTHER] == 50
    for n in range(5):
        moved(fig, f"f{n}", State.ISSUED, State.VALIDATED, T0 + timedelta(seconds=200 * n))
    assert len(fig.seconds) <= 2 * figures.WINDOW_S + 1
    few = Figures(FACILITIES, max_in_flight=3)
    for n in range(10):
        moved(few, f"g{n}", State.ISSUED, State.VALIDATED, T0)
    assert few.snapshot(T0.timestamp())["in_flight"] == 3
