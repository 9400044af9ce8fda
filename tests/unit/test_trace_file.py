"""Traces without a broker: what is written reads back in order, a wrong file is named with
its line, a synthesised day follows the scenario's curve, a replay's shape per second."""

import gzip
import json
from pathlib import Path

import jsonschema
import pytest

from rxsim import scenario as scenarios
from rxsim.tools import trace_file
from rxsim.tools.load_profile import Replayed
from rxsim.tools.run_result import SCHEMA_PATH
from rxsim.tools.trace_file import Header, TraceError

HEADER = Header("recorded", "a test", 3, 2.5, "pilot")
ISSUED = [(0.0, {"resourceType": "Bundle", "id": "a"}), (0.5, {"resourceType": "Bundle",
          "id": "b"}), (2.5, {"resourceType": "Bundle", "id": "c"})]  # fmt: skip


@pytest.mark.parametrize("name", ["trace.jsonl", "trace.jsonl.gz"])
def test_a_written_trace_reads_back_in_order(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert trace_file.write(path, HEADER, ISSUED) == 3
    assert trace_file.read_header(path) == HEADER
    assert list(trace_file.issuances(path)) == ISSUED
    if name.endswith(".gz"):
        assert gzip.decompress(path.read_bytes()).startswith(b"{")


HEAD = (
    b'{"rxsim_trace": 1, "origin": "recorded", "description": "", "prescriptions": 1, "span_s": 0}'
)


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        ([b"not json"], "line 1 is not JSON"),
        ([b'{"hello": 1}'], "line 1 is not a version 1 trace header"),
        ([b'{"rxsim_trace": 1, "origin": "recorded"}'], "line 1, the header, lacks"),
        ([HEAD, b'{"at": 1, "bundle": {}}', b'{"at": 0.5, "bundle": {}}'], "line 3 goes back"),
        ([HEAD, b'{"at": 1}'], 'line 2 is not {"at": seconds'),
        ([HEAD, b'{"at": 1, "bundle": [1]}'], "line 2 has no Bundle object"),
    ],
)
def test_a_wrong_trace_is_named_with_its_line(
    tmp_path: Path, lines: list[bytes], said: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(TraceError, match=said):
        list(trace_file.issuances(path))


def test_a_synthesised_day_follows_the_scenarios_curve(tmp_path: Path) -> None:
    peak_day = scenarios.load("peak-day")
    times = trace_file.day_times(peak_day, 2_000)
    assert len(times) == 2_000 and times == sorted(times) and times[-1] <= trace_file.DAY_S
    curve = peak_day.load.curve
    start_hour = curve[0][0]

    def share_near(hour: float) -> float:
        at = ((hour - start_hour) % 24) * 3600
        return sum(1 for t in times if at <= t < at + 3600) / len(times)

    busiest = max(curve, key=lambda point: point[1])[0]
    quietest = min(curve, key=lambda point: point[1])[0]
    assert share_near(busiest) > 3 * share_near(quietest)
    without_curve = peak_day.model_copy(
        update={"load": peak_day.load.model_copy(update={"curve": []})}
    )
    assert trace_file.day_times(without_curve, 4) == [0.0, 21_600.0, 43_200.0, 64_800.0]


def test_a_replays_shape_counts_the_sends_of_each_real_second() -> None:
    shape = Replayed.of([0.0, 0.5, 2.5, 2.6, 9.0], speed=2)
    assert shape.per_second == (2, 2, 0, 0, 1)
    assert (shape.expected(), shape.rate, shape.duration_s) == (5, 2.0, 5.0)
    assert shape.rate_at(1.5) == 2 and shape.rate_at(7) == 0


def test_every_line_of_a_synthesised_trace_matches_the_published_schema(tmp_path: Path) -> None:
    schema = json.loads((SCHEMA_PATH.parent / "trace.schema.json").read_text())
    header, issuance = (
        jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{name}"})
        for name in ("header", "issuance")
    )
    path = tmp_path / "day.jsonl"
    trace_file.synthesise_day(path, scenarios.load("pilot"), "pilot", 5, seed=1)
    first, *rest = [json.loads(line) for line in path.read_text().splitlines()]
    header.validate(first)
    assert len(rest) == first["prescriptions"] == 5
    for line in rest:
        issuance.validate(line)
    assert not header.is_valid({**first, "rxsim_trace": 2})
    assert not issuance.is_valid({**rest[0], "at": -1})
