"""Traces: timestamped issuances in JSON Lines, to replay a run or a synthesised day at any
speed (schemas/reports/trace.schema.json).

The first line says what the trace is (shown here on two lines); each next line is one
issuance, in order:

    {"rxsim_trace": 1, "origin": "recorded", "description": "…", "prescriptions": 2,
     "span_s": 0.5}
    {"at": 0.0, "bundle": {"resourceType": "Bundle", ...}}
    {"at": 0.5, "bundle": {"resourceType": "Bundle", ...}}

`at` is seconds after the trace's start, in the time of what was recorded (a run's real time,
or a synthesised day's clock: 0 to 86,400). A path ending in `.gz` is read and written
gzipped: a national day of Bundles is large.
"""

import gzip
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from rxsim.scenario import Scenario
from rxsim.scenario.load_curve import due_times, relative_rate
from services.hospital.generator import synthetic_prescriptions

VERSION = 1
DAY_S = 86_400


class TraceError(ValueError):
    """A file that is not a trace this version can read: the message says where and why."""


@dataclass(frozen=True)
class Header:
    origin: str  # recorded | synthesised
    description: str
    prescriptions: int
    span_s: float
    scenario: str | None = None  # whose country made the Bundles, when known: replay on it

    def line(self) -> dict[str, Any]:
        return {
            "rxsim_trace": VERSION, "origin": self.origin, "description": self.description,
            "prescriptions": self.prescriptions, "span_s": self.span_s,
            "scenario": self.scenario,
        }  # fmt: skip


def _open(path: Path, mode: str) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, mode + "b")  # type: ignore[return-value]
    return path.open(mode + "b")


def write(path: Path, header: Header, issuances: Iterable[tuple[float, dict[str, Any]]]) -> int:
    """Write a trace; how many issuances it holds."""
    count = 0
    with _open(path, "w") as out:
        out.write(orjson.dumps(header.line()) + b"\n")
        for at, bundle in issuances:
            out.write(orjson.dumps({"at": round(at, 6), "bundle": bundle}) + b"\n")
            count += 1
    return count


def read_header(path: Path) -> Header:
    with _open(path, "r") as lines:
        return _header(path, next(iter(lines), b""))


def _header(path: Path, raw: bytes) -> Header:
    try:
        first = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise TraceError(f"{path}: line 1 is not JSON; a trace starts with its header") from None
    if not isinstance(first, dict) or first.get("rxsim_trace") != VERSION:
        raise TraceError(
            f"{path}: line 1 is not a version {VERSION} trace header "
            f'({{"rxsim_trace": {VERSION}, ...}}); write one with `rxsim record`'
        )
    try:
        return Header(
            str(first["origin"]), str(first["description"]),
            int(first["prescriptions"]), float(first["span_s"]),
            None if first.get("scenario") is None else str(first["scenario"]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise TraceError(f"{path}: line 1, the header, lacks or mistypes {exc}") from None


def issuances(path: Path) -> Iterator[tuple[float, dict[str, Any]]]:
    """(at, Bundle) in the file's order; a TraceError names the first line that is wrong
    (one out of order among them: a replay keeps order and timing, so both must agree)."""
    with _open(path, "r") as lines:
        _header(path, next(iter(lines), b""))
        previous = 0.0
        for number, raw in enumerate(lines, start=2):
            try:
                line = orjson.loads(raw)
                at, bundle = float(line["at"]), line["bundle"]
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                raise TraceError(
                    f'{path}: line {number} is not {{"at": seconds, "bundle": {{...}}}}'
                ) from None
            if at < previous or not isinstance(bundle, dict):
                what = "goes back in time" if at < previous else "has no Bundle object"
                raise TraceError(f"{path}: line {number} {what} (at {at})")
            previous = at
            yield at, bundle


def day_times(scenario: Scenario, prescriptions: int) -> list[float]:
    """When each of a day's prescriptions is issued, seconds after the day's first hour,
    following the scenario's curve (flat without one)."""
    curve = scenario.load.curve
    if not curve:
        return [index * DAY_S / prescriptions for index in range(prescriptions)]
    start = curve[0][0] * 60
    mean = sum(relative_rate(curve, ((start + m + 0.5) / 60) % 24) for m in range(1440)) / 1440
    rate = prescriptions / (DAY_S * mean)  # per second at relative rate 1.0
    return list(itertools.islice(due_times(rate, 1.0, curve), prescriptions))


def synthesise_day(
    path: Path, scenario: Scenario, scenario_name: str, prescriptions: int, seed: int | None
) -> int:
    times = day_times(scenario, prescriptions)
    header = Header(
        "synthesised",
        f"a day of scenario {scenario.name}: {prescriptions:,} prescriptions following its "
        f"load curve{'' if scenario.load.curve else ' (none: flat)'}",
        prescriptions,
        times[-1] if times else 0.0,
        scenario_name,
    )
    bundles = synthetic_prescriptions(scenario, prescriptions, seed=seed)
    return write(path, header, zip(times, bundles, strict=True))
