"""`rxsim load` as a load tester runs it: a small open-loop run through each entry point, its
JSON result against the published schema, thresholds that break the exit code, and clear
refusals of impossible arguments before anything starts."""

import json
from pathlib import Path

import pytest

from rxsim import scenario as scenarios
from rxsim.fhir import prescription_code
from rxsim.tools import trace_file
from rxsim.tools.run_result import problems
from services.hospital.generator import synthetic_prescriptions
from tests.e2e.test_cli import run


def result_in(folder: Path, command: str = "load") -> dict:
    [path] = folder.glob(f"{command}-*[0-9].json")
    result = json.loads(path.read_text())
    assert problems(result) == []
    html = path.with_suffix(".html").read_text()
    assert "<script src=" not in html and result["scenario"]["name"] in html
    return result


def test_a_kafka_load_loses_nothing_and_a_broken_threshold_fails_the_run(tmp_path: Path) -> None:
    answer = run(
        "load", "--rate", "10", "--duration", "4", "--out", str(tmp_path),
        "--threshold", "lost == 0", "--threshold", "p50(visible) < 1ms",
    )  # fmt: skip

    assert answer.returncode == 1, answer.stdout + answer.stderr
    assert "threshold broken: p50(visible) < 1ms" in answer.stdout
    assert "Traceback" not in answer.stdout + answer.stderr
    result = result_in(tmp_path)
    load, outcomes = result["load"], result["outcomes"]
    assert load["scheduled"] == load["sent"] == 40
    assert outcomes["issued"] == 40 and outcomes["lost"] == 0 and outcomes["in_flight"] == 0
    assert outcomes["terminal"] == sum(outcomes["by_state"].values()) == 40
    assert [t["passed"] for t in result["thresholds"]] == [True, False]
    visible = next(s for s in result["stages"] if s["id"] == "visible")
    assert visible["latency_ms"]["n"] > 0
    assert sum(point["sent"] for point in result["timeline"]) == 40
    assert any(point["lag"] for point in result["timeline"])  # each service's lag, sampled
    assert f"wrote {tmp_path}" in answer.stdout.replace("\n", "")
    # Where the CPU and memory went: every process of the stack and of the run, read twice
    # or more, each having used some CPU.
    processes = result["processes"]
    stack = {"broker", "hospital", "coordinator", "pharmacy", "citizen_app"}
    assert stack | {"sender", "follower"} <= set(processes)
    assert all(processes[name]["cpu_ms_per_prescription"] > 0 for name in stack)
    assert "processes (read from /proc every second)" in answer.stdout


def test_a_load_through_the_hospitals_api_passes_when_nothing_is_lost(tmp_path: Path) -> None:
    answer = run("load", "--entry", "http", "--rate", "8", "--duration", "3",
                 "--out", str(tmp_path))  # fmt: skip

    assert answer.returncode == 0, answer.stdout + answer.stderr
    result = result_in(tmp_path)
    assert result["passed"] and result["load"]["entry"] == "http"
    assert result["load"]["sent"] == result["outcomes"]["terminal"] == 24
    assert result["load"]["refused_at_edge"] == {}


def test_a_national_peak_is_the_peak_day_scenarios_rate_without_asking(tmp_path: Path) -> None:
    # The README's national load (5 minutes) made short: the rate comes from the scenario.
    answer = run("load", "--scenario", "peak-day", "--duration", "2", "--out", str(tmp_path))

    assert answer.returncode == 0, answer.stdout + answer.stderr
    result = result_in(tmp_path)
    assert result["scenario"]["name"] == "peak-day"
    assert result["load"]["profile"]["rate"] == 100.0
    assert result["load"]["sent"] == result["outcomes"]["terminal"] == 200


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--rate", "0"), "--rate must be more than 0"),
        (("--duration", "soon"), "--duration 'soon'"),
        (("--profile", "sawtooth"), "write constant, linear:FROM or steps:N"),
        (("--entry", "pigeon"), "--entry 'pigeon': choose kafka or http"),
        (("--threshold", "p99(nowhere) < 1s"), "no stage 'nowhere'"),
        (("--rate", "500", "--duration", "1h", "--memory-budget", "2000"), "--memory-budget MB"),
        (("--scenario", "nowhere"), "no scenario 'nowhere'"),
    ],
)
def test_impossible_arguments_are_refused_before_anything_starts(
    args: tuple[str, ...], said: str
) -> None:
    answer = run("load", *args, timeout=60)
    assert answer.returncode == 2, answer.stdout + answer.stderr
    assert said in answer.stderr
    assert "Traceback" not in answer.stdout + answer.stderr
    assert "starting the broker" not in answer.stdout


def test_a_replay_keeps_the_traces_order_and_relative_timing(tmp_path: Path) -> None:
    pilot = scenarios.load("pilot")
    gaps = [0.0, 0.2, 0.3, 1.5, 1.6, 3.0, 3.05, 4.0]  # seconds of the trace
    bundles = list(synthetic_prescriptions(pilot, len(gaps), seed=7))
    trace = tmp_path / "trace.jsonl"
    header = trace_file.Header("recorded", "uneven gaps", len(gaps), gaps[-1], "pilot")
    trace_file.write(trace, header, zip(gaps, bundles, strict=True))

    answer = run("replay", str(trace), "--speed", "2", "--out", str(tmp_path / "out"))

    assert answer.returncode == 0, answer.stdout + answer.stderr
    result = result_in(tmp_path / "out", "replay")
    assert result["outcomes"]["terminal"] == len(gaps) and result["outcomes"]["lost"] == 0
    [sends_file] = (tmp_path / "out").glob("replay-*.sends.jsonl")
    start, *lines = [json.loads(line) for line in sends_file.read_text().splitlines()]
    lines.sort(key=lambda line: line["sent"])
    assert [line["code"] for line in lines] == [prescription_code(b) for b in bundles]
    sent = [line["sent"] - start["start_at"] for line in lines]
    # relative timing at ×2: each gap halved, within 50 ms, and the whole span as a ratio
    for at, left in zip(gaps, sent, strict=True):
        assert abs(left - at / 2) < 0.05
    assert 0.95 < (sent[-1] - sent[0]) / (gaps[-1] / 2) < 1.05


@pytest.mark.parametrize(
    ("content", "said"),
    [(None, "no trace at"), (b"hello\n", "line 1 is not JSON"), (b"", "line 1 is not JSON")],
)
def test_a_replay_of_no_trace_says_why(tmp_path: Path, content: bytes | None, said: str) -> None:
    trace = tmp_path / "trace.jsonl"
    if content is not None:
        trace.write_bytes(content)
    answer = run("replay", str(trace), timeout=60)
    assert answer.returncode == 2, answer.stdout + answer.stderr
    assert said in answer.stderr
    assert "Traceback" not in answer.stdout + answer.stderr


def test_bench_finds_a_sustained_rate_and_measures_the_raw_pipe(tmp_path: Path) -> None:
    bench = ("bench", "--start-rate", "4", "--max-rate", "4", "--step", "6s", "--measure", "4s",
             "--out", str(tmp_path))  # fmt: skip
    before = tmp_path / "before"
    (before / "bench-step-1.sends.jsonl").parent.mkdir()
    older = [{"n": n, "due": 1.0, "sent": 1.0, "acked": 1.1, "submission_id": f"old-{n}",
              "error": None} for n in range(200)]  # fmt: skip
    (before / "bench-step-1.sends.jsonl").write_text(  # what an older bench left there
        "".join(json.dumps(line) + "\n" for line in [{"start_at": 1.0, "scheduled": 200}, *older])
    )

    answer = run(*bench[:-1], str(before))  # the same folder as a run before it

    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "Traceback" not in answer.stdout + answer.stderr
    result = result_in(before, "bench")
    bench = result["bench"]
    assert bench["sustained_rate"] > 0 and bench["steps"][0]["rate"] == 4
    assert abs(bench["steps"][0]["achieved"] - 4) < 1  # its own sends, not the older run's
    assert bench["raw_pipe_messages_per_s"] > 0 and bench["messages_per_prescription"] > 1
    assert bench["ratio_to_raw_pipe"] == round(
        bench["pipeline_messages_per_s"] / bench["raw_pipe_messages_per_s"], 4
    )
    assert result["outcomes"]["lost"] == result["outcomes"]["in_flight"] == 0
    assert result["load"]["sent"] == result["outcomes"]["issued"]  # its own, not the search's
    assert bench["measure_stack"] == "fresh"  # not among the search's history
    assert "ratio to the raw pipe" in answer.stdout


def test_a_scenarios_own_thresholds_are_read_and_checked_before_anything_starts(
    tmp_path: Path,
) -> None:
    pilot = (Path(scenarios.SCENARIO_DIR) / "pilot.toml").read_text()
    assert "[load]" in pilot
    broken = pilot.replace("[load]", '[load]\nthresholds = ["p99(nowhere) < 1s"]', 1)
    (tmp_path / "strict.toml").write_text(broken.replace('name = "pilot"', 'name = "strict"'))

    answer = run("load", "--scenario", str(tmp_path / "strict.toml"), timeout=60)

    assert answer.returncode == 2, answer.stdout + answer.stderr
    assert "threshold 'p99(nowhere) < 1s': no stage 'nowhere'" in answer.stderr
