"""Where a run's CPU and memory went: each process of the stack (the broker, every service) and
of the run itself (the sender, the follower), read from /proc once a second while the run
goes on, and summed up per process: cores used on average, CPU milliseconds per prescription
sent, and resident memory at the first and last reading and at its highest. A load tester sees
which process is the wall, and whether a service's memory stays flat, without a profiler.

Linux only (/proc); elsewhere nothing is read and the result has no `processes` part."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class Reading:
    """One process at one moment: CPU seconds used since it started, resident memory."""

    at: float  # seconds, on the run's clock
    cpu_s: float
    rss_mb: float


def read(pid: int, at: float) -> Reading | None:
    """A process's reading from /proc (None: gone, or no /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        statm = Path(f"/proc/{pid}/statm").read_text()
    except OSError:
        return None
    # The command name (2nd field) may hold spaces and parentheses: count after its last ')'.
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None  # ended, not yet reaped: nothing left to read
    cpu_s = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    return Reading(at, cpu_s, int(statm.split()[1]) * PAGE_BYTES / 1e6)


class ProcessUse:
    """The readings of each named process over a run. A process that restarts under the same
    name (the supervisor restarts a dead service) starts a new series: its CPU is counted
    from its own start, not against the dead one's total."""

    def __init__(self) -> None:
        self.series: dict[str, list[list[Reading]]] = {}
        self._pids: dict[str, int] = {}

    def sample(self, pids: Mapping[str, int | None], at: float) -> None:
        for name, pid in pids.items():
            if pid is None:
                continue
            reading = read(pid, at)
            if reading is None:
                continue
            runs = self.series.setdefault(name, [])
            if self._pids.get(name) != pid:
                self._pids[name] = pid
                runs.append([])
            runs[-1].append(reading)

    def summary(self, prescriptions: int) -> dict[str, dict[str, Any]]:
        return summary(self.series, prescriptions)


def summary(
    series: Mapping[str, list[list[Reading]]], prescriptions: int
) -> dict[str, dict[str, Any]]:
    """Per process: mean cores over the time it was read, CPU ms per prescription sent (None
    when none was), and resident memory first, last and highest (MB). A process read once
    has no CPU figures: CPU use is a difference between two readings."""
    out: dict[str, dict[str, Any]] = {}
    for name, runs in series.items():
        readings = [r for run in runs for r in run]
        if not readings:
            continue
        cpu_s = sum(run[-1].cpu_s - run[0].cpu_s for run in runs if run)
        span_s = sum(run[-1].at - run[0].at for run in runs if run)
        out[name] = {
            "cpu_cores_mean": round(cpu_s / span_s, 3) if span_s > 0 else None,
            "cpu_ms_per_prescription": (
                round(1000 * cpu_s / prescriptions, 3) if prescriptions and span_s > 0 else None
            ),
            "rss_mb_first": round(readings[0].rss_mb, 1),
            "rss_mb_last": round(readings[-1].rss_mb, 1),
            "rss_mb_max": round(max(r.rss_mb for r in readings), 1),
            "restarts": len(runs) - 1,
        }
    return out


def busiest(processes: Mapping[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """A run's `processes` (see `summary`), the one that used most CPU first: the wall to look
    at (one with no CPU figures last)."""
    return sorted(processes.items(), key=lambda kv: -(kv[1]["cpu_cores_mean"] or 0))
