"""Run results as `rxsim load` writes them, small and realistic, valid against
schemas/reports/run-result.schema.json, for the report tests."""

import copy
import json
import re
from typing import Any

# Never a real prescription id: a name the report must print as text, not run.
HOSTILE_ID = "RX-<script>alert(1)</script>"

SENT_PER_SECOND = [20, 19, 21, 20, 20]
VISIBLE_PER_SECOND = [18, 20, 20, 21, 19]
TERMINAL_PER_SECOND = [0, 4, 12, 18, 21]
VISIBLE_P50_MS = [31.0, 35.5, None, 40.0, 38.0]  # None: nothing due in that second was seen
VISIBLE_P99_MS = [80.0, 95.0, None, 120.0, 110.0]
# Events not yet handled, by service, then topic, as /readyz answers each second.
LAG = [
    {"coordinator": {"rx.issued": 3, "rx.status": 1}, "citizen_app": {"citizen.inbox": 2}},
    {"coordinator": {"rx.issued": 5, "rx.status": 2}, "citizen_app": {"citizen.inbox": 0}},
    {"coordinator": {"rx.issued": 8, "rx.status": 0}},  # the citizen app did not answer
    {"coordinator": {"rx.issued": 2, "rx.status": 1}, "citizen_app": {"citizen.inbox": 4}},
    {"coordinator": {"rx.issued": 0, "rx.status": 0}, "citizen_app": {"citizen.inbox": 1}},
]


def percentiles(p50: float, p99: float, n: int = 100) -> dict[str, Any]:
    return {
        "n": n,
        "p50": p50,
        "p90": round(p50 + (p99 - p50) * 0.6, 1),
        "p99": p99,
        "p999": round(p99 * 1.2, 1),
        "max": round(p99 * 1.5, 1),
        "mean": round(p50 * 1.1, 1),
    }


def stage(stage_id: str, label: str, clock: str, p50: float, p99: float) -> dict[str, Any]:
    return {"id": stage_id, "label": label, "clock": clock, "latency_ms": percentiles(p50, p99)}


def a_run_result(stuck: int = 1) -> dict[str, Any]:
    """Five seconds of a 20/s load on the pilot scenario: 100 sent, 97 terminal, `stuck` still
    in flight (the first one with a hostile id), two services' lag, four stages."""
    in_flight = stuck
    terminal = 100 - in_flight
    stuck_rows = [
        {"prescription_id": f"RX-{n:05d}", "submission_id": f"SUB-{n:05d}", "state": "AVAILABLE"}
        for n in range(stuck)
    ]
    if stuck_rows:
        stuck_rows[0]["prescription_id"] = HOSTILE_ID
    return copy.deepcopy(  # LAG's dicts are shared: a test may change its own copy
        {
            "version": 1,
            "command": "load",
            "scenario": {"name": "pilot", "speedup": 14400},
            "started_at": "2026-05-04T09:30:00+07:00",
            "elapsed_s": 12.4,
            "machine": {"cpus": 2, "python": "3.11.9", "platform": "Linux-6.8-x86_64"},
            "load": {
                "entry": "kafka",
                "profile": {
                    "kind": "constant",
                    "rate": 20,
                    "description": "20/s for 5 s",
                    "points": [[0, 20], [5, 20]],
                },
                "duration_s": 5,
                "scheduled": 100,
                "sent": 100,
                "send_errors": {},
                "refused_at_edge": {},
                "achieved_rate": 20.0,
                "lateness_ms": percentiles(0.4, 6.0, n=100),
            },
            "outcomes": {
                "issued": 100,
                "terminal": terminal,
                "in_flight": in_flight,
                "lost": 0,
                "by_state": {"DELIVERED": terminal - 10, "EXPIRED": 6, "CANCELLED": 4},
                "rejections": {},
                "refused_requests": {"choose/ALREADY_CHOSEN": 2},
                "dead_letters": 0,
                "alerts": 1,
                "stuck": stuck_rows,
            },
            "stages": [
                stage("issued_to_visible", "issued → in the app", "pipeline", 36.0, 110.0),
                stage("chosen_to_accepted", "chosen → accepted", "pipeline", 12.0, 48.0),
                stage("accepted_to_dispensed", "accepted → dispensed", "scenario", 900.0, 2400),
                stage("issued_to_terminal", "issued → terminal", "scenario", 2100.0, 4800.0),
            ],
            "timeline": [
                {
                    "t_s": second,
                    "target_rate": 20,
                    "sent": SENT_PER_SECOND[second],
                    "visible": VISIBLE_PER_SECOND[second],
                    "terminal": TERMINAL_PER_SECOND[second],
                    "in_flight": 20 * (second + 1) - sum(TERMINAL_PER_SECOND[: second + 1]),
                    "visible_p50_ms": VISIBLE_P50_MS[second],
                    "visible_p99_ms": VISIBLE_P99_MS[second],
                    "lag": LAG[second],
                }
                for second in range(5)
            ],
            "thresholds": [
                {"expression": "p99(issued_to_visible) < 200", "value": 110.0, "passed": True},
                {"expression": "in_flight == 0", "value": in_flight, "passed": in_flight == 0},
            ],
            "passed": in_flight == 0,
        }
    )


def stage_by_id(result: dict[str, Any], stage_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in result["stages"] if s["id"] == stage_id)
    return found


def plotted(page: str, plot_id: str) -> dict[str, dict[str, Any]]:
    """The traces plotly draws in the plot `plot_id` of an HTML report, by name, read back from
    the page."""
    call = re.search(r'Plotly\.newPlot\(\s*"' + plot_id + r'",\s*', page)
    assert call, f"no plot {plot_id}"
    traces, _ = json.JSONDecoder().raw_decode(page, call.end())
    return {trace["name"]: trace for trace in traces}
