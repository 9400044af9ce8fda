"""A load run's figures from a ledger and the sender's lines, without a broker: thresholds,
loss accounting, latency from when each send was due, the timeline, the memory budget."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from rxsim.tools import run_metrics
from rxsim.tools.ledger import Ledger, Step, Story
from rxsim.tools.load import LoadError, Progress, check_budget, estimated_broker_mb
from rxsim.tools.run_metrics import STAGE_IDS, Send
from rxsim.tools.run_result import why_not_passed
from rxsim.tools.thresholds import ThresholdError, parse_threshold
from schemas.events import State

T0 = 1_800_000_000.0  # a wall-clock second


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC)


def story(sid: str, issued: float, *steps: tuple[State, float]) -> Story:
    told = Story(sid, f"RX-{sid}", issued_at=at(issued))
    told.steps = [Step(state, at(when), None) for state, when in steps]
    return told


def ledger_of(*stories: Story) -> Ledger:
    return Ledger(stories={s.submission_id: s for s in stories})


def send(n: int, due: float, sent: float, sid: str | None, **more: object) -> Send:
    return Send(n, T0 + due, T0 + sent, T0 + sent + 0.01, sid, None, **more)  # type: ignore[arg-type]


def test_stages_that_start_at_the_issue_count_from_when_the_send_was_due() -> None:
    # due at 0 but sent at 0.5 (the sender was late); visible at 0.6
    ledger = ledger_of(story("a", 0.5, (State.VALIDATED, 0.55), (State.AVAILABLE, 0.6)))
    stages = {s["id"]: s for s in run_metrics.stage_latencies(ledger, {"a": T0})}
    assert stages["visible"]["latency_ms"]["p50"] == pytest.approx(600, abs=1)
    without_schedule = run_metrics.stage_latencies(ledger, {})
    assert without_schedule[1]["latency_ms"]["p50"] == pytest.approx(100, abs=1)


def test_the_scenarios_stages_are_also_given_in_simulated_minutes_and_the_pipelines_not() -> None:
    # available at 1 s, chosen at 2.5 s real: at ×14,400, 1.5 s real is 360 simulated minutes
    ledger = ledger_of(story("a", 0, (State.AVAILABLE, 1), (State.ORDERED, 2.5)))
    stages = {s["id"]: s for s in run_metrics.stage_latencies(ledger, {"a": T0}, 14_400)}
    assert stages["chosen"]["clock"] == "scenario"
    assert stages["chosen"]["simulated_minutes"]["p50"] == pytest.approx(360, rel=0.01)
    assert "simulated_minutes" not in stages["visible"]


def test_loss_accounting_names_what_is_stuck_and_what_was_never_seen() -> None:
    ledger = ledger_of(
        story("a", 0, (State.AVAILABLE, 1), (State.EXPIRED, 2)),
        story("b", 0, (State.AVAILABLE, 1)),
    )
    sends = [send(0, 0, 0, "a"), send(1, 0, 0, "b"), send(2, 0, 0, "c"),
             send(3, 0, 0, None, status=422)]  # fmt: skip
    outcomes = run_metrics.outcomes(ledger, sends, dead_letters=2)
    assert (outcomes["issued"], outcomes["terminal"], outcomes["in_flight"]) == (2, 1, 1)
    assert outcomes["lost"] == 1  # "c" was accepted by the broker and never seen
    assert [s["submission_id"] for s in outcomes["stuck"]] == ["b", "c"]
    assert outcomes["by_state"] == {"EXPIRED": 1}
    load = run_metrics.load_figures(sends, scheduled=4, duration_s=2)
    assert load["sent"] == 3 and load["refused_at_edge"] == {"422": 1}
    assert load["achieved_rate"] == 1.5


def test_the_timeline_counts_each_second_and_keeps_the_lag_sampled_then() -> None:
    ledger = ledger_of(
        story("a", 0.1, (State.AVAILABLE, 0.3), (State.DELIVERED, 2.5)),
        story("b", 1.2, (State.AVAILABLE, 1.4)),
    )
    sends = [send(0, 0.1, 0.1, "a"), send(1, 1.2, 1.2, "b")]
    lags = [run_metrics.LagSample(T0 + 1.0, {"coordinator": {"rx.issued": 7}})]
    points = run_metrics.timeline(ledger, sends, lags, T0, lambda t: 1.0, T0 + 2.9)
    assert [p["sent"] for p in points] == [1, 1, 0]
    assert [p["visible"] for p in points] == [1, 1, 0]
    assert [p["terminal"] for p in points] == [0, 0, 1]
    assert [p["in_flight"] for p in points] == [1, 2, 1]
    assert points[0]["visible_p50_ms"] == pytest.approx(200, abs=1)
    assert points[2]["visible_p50_ms"] is None
    assert points[0]["lag"] == {"coordinator": {"rx.issued": 7}}


def result_with(p99_visible: float, lost: int) -> dict[str, object]:
    latency = {"n": 10, "p50": 5, "p90": 9, "p99": p99_visible, "p999": 99, "max": 99,
               "mean": 7}  # fmt: skip
    return {
        "stages": [{"id": "visible", "latency_ms": latency}],
        "outcomes": {
            "lost": lost,
            "in_flight": 0,
            "dead_letters": 0,
            "rejections": {},
            "refused_requests": {},
        },
        "load": {
            "lateness_ms": {**latency, "n": 0},
            "send_errors": {},
            "refused_at_edge": {},
            "sent": 10,
            "achieved_rate": 5.0,
        },
    }


def test_thresholds_hold_or_break_as_written() -> None:
    fast, slow = result_with(150, 0), result_with(250, 3)
    p99 = parse_threshold("p99(visible) < 200ms", STAGE_IDS)
    assert p99.check(fast)["passed"] and not p99.check(slow)["passed"]
    assert parse_threshold("p99(visible)<0.2s", STAGE_IDS).check(fast)["passed"]
    lost = parse_threshold("lost == 0", STAGE_IDS)
    assert lost.check(fast) == {"expression": "lost == 0", "value": 0, "passed": True}
    assert lost.check(slow)["value"] == 3 and not lost.check(slow)["passed"]
    # nothing measured proves nothing: a threshold on sends' lateness with no sends breaks
    nothing = parse_threshold("p99(lateness) < 50ms", STAGE_IDS).check(fast)
    assert nothing == {"expression": "p99(lateness) < 50ms", "value": None, "passed": False}


@pytest.mark.parametrize(
    ("expression", "said"),
    [
        ("p99 visible < 200", "write e.g."),
        ("p98(visible) < 200ms", "write e.g."),
        ("p99(nowhere) < 200ms", "no stage 'nowhere'"),
        ("speed > 3", "no figure 'speed'"),
        ("lost == 0ms", "lost takes no unit"),
    ],
)
def test_thresholds_that_cannot_be_read_say_what_to_write(expression: str, said: str) -> None:
    with pytest.raises(ThresholdError, match=said):
        parse_threshold(expression, STAGE_IDS)


def test_a_run_over_the_memory_budget_is_refused_with_the_figure_and_the_way_out() -> None:
    check_budget(1_000, budget_mb=estimated_broker_mb(1_000), embedded=True)
    check_budget(10**7, budget_mb=10, embedded=False)  # an external Kafka keeps its own
    with pytest.raises(LoadError, match="--memory-budget") as refused:
        check_budget(100_000, budget_mb=1_000, embedded=True)
    assert f"{estimated_broker_mb(100_000):,.0f} MB" in str(refused.value)


def test_sends_the_sender_never_made_are_errors_that_fail_the_run() -> None:
    sends = [send(0, 0, 0, "a"), send(1, 0.5, 0.5, "b")]
    load = run_metrics.load_figures(sends, scheduled=5, duration_s=1)
    assert load["send_errors"] == {"never sent": 3}
    result = {"outcomes": {"lost": 0, "in_flight": 0}, "load": load, "thresholds": []}
    assert why_not_passed(result) == ["send errors: 3 never sent"]


def test_a_sends_file_is_read_line_by_line_as_it_grows(tmp_path: Path) -> None:
    path = tmp_path / "run.sends.jsonl"
    progress = Progress()
    progress.read_sends(path)  # not written yet: nothing
    path.write_bytes(b'{"start_at": 5.0, "scheduled": 2}\n{"n": 0, "due": 5.0, "sent": 5.1')
    progress.read_sends(path)
    assert (progress.start_at, progress.scheduled, progress.sends) == (5.0, 2, [])
    with path.open("ab") as out:  # the rest of the half-written line
        out.write(b', "acked": 5.2, "submission_id": "a", "error": null}\n')
    progress.read_sends(path)
    assert [s.submission_id for s in progress.sends] == ["a"]


def test_the_live_achieved_rate_allows_for_lines_written_late_and_counts_only_accepted() -> None:
    # 100/s for 10 s, every tenth refused; the lines of the last 0.4 s not written yet (a send's
    # line comes once the broker acknowledged it), as a busy machine left them
    sends = [send(n, n / 100, n / 100, None if n % 10 == 0 else f"s{n}") for n in range(960)]

    rate = run_metrics.achieved_rate(sends, T0 + 10.0)

    assert rate == pytest.approx(90, abs=1)
    assert run_metrics.achieved_rate(sends, T0 + 30.0) == 0  # nothing sent for a while
