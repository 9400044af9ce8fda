"""What a load run prints at its end, and the files it leaves: the JSON result and the HTML
report, side by side."""

import json
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.table import Table

from rxsim.tools import report_format as fmt
from rxsim.tools import report_html
from rxsim.tools.process_use import busiest


def _ms(ms: float) -> str:
    return f"{ms:,.0f} ms" if ms < 10_000 else f"{ms / 1000:,.1f} s"


def summary(result: dict[str, Any]) -> Group:
    load, outcomes = result["load"], result["outcomes"]
    counts = Table(
        title=f"rxsim {result['command']} · {result['scenario']['name']} · "
        f"{load['profile']['description']} via {load['entry']} · {result['elapsed_s']:.0f} s",
        title_justify="left",
        show_header=False,
    )
    counts.add_column(style="bold")
    counts.add_column(justify="right")
    lateness = load["lateness_ms"]
    rows = [
        ("asked for", f"{load['scheduled']:,}"),
        ("sent (accepted by the broker or the hospital)", f"{load['sent']:,}"),
        ("achieved rate", f"{load['achieved_rate']:,.1f}/s"),
        ("sends late against the schedule: p50 / p99 / max",
         f"{_ms(lateness['p50'])} / {_ms(lateness['p99'])} / {_ms(lateness['max'])}"),
        ("send errors", str(sum(load["send_errors"].values()))),
        ("refused at the hospital's edge", str(sum(load["refused_at_edge"].values()))),
        ("issued (seen by the pipeline)", f"{outcomes['issued']:,}"),
        ("  ended", f"{outcomes['terminal']:,}"),
        ("  still in flight", _bad(outcomes["in_flight"])),
        ("lost (sent, never seen)", _bad(outcomes["lost"])),
        ("dead letters", str(outcomes["dead_letters"])),
    ]  # fmt: skip
    rows += [(f"  {state.lower().replace('_', ' ')}", f"{n:,}")
             for state, n in sorted(outcomes["by_state"].items())]  # fmt: skip
    for label, value in rows:
        counts.add_row(label, value)

    stages = Table(
        title="per-stage latency, real time (stages from the issue start when the send was due)",
        title_justify="left",
    )
    for column in ("stage", "clock", "n", "p50", "p90", "p99", "max", "simulated p50 · p99"):
        stages.add_column(column, justify="left" if column in ("stage", "clock") else "right")
    for stage in result["stages"]:
        latency = stage["latency_ms"]
        simulated = stage.get("simulated_minutes")
        in_simulated_time = (
            f"{fmt.simulated(simulated['p50'])} · {fmt.simulated(simulated['p99'])}"
            if simulated
            else ""
        )
        if latency["n"]:
            stages.add_row(
                escape(stage["label"]), stage["clock"], f"{latency['n']:,}",
                *(_ms(latency[p]) for p in ("p50", "p90", "p99", "max")),
                in_simulated_time,
            )  # fmt: skip
    parts: list[Any] = [counts, stages]
    if result.get("processes"):
        parts.append(_processes(result["processes"]))
    if result["thresholds"]:
        held = Table(title="thresholds", title_justify="left")
        for column in ("threshold", "measured", "held"):
            held.add_column(column)
        for t in result["thresholds"]:
            value = "nothing" if t["value"] is None else f"{t['value']:g}"
            held.add_row(escape(t["expression"]), value, "yes" if t["passed"] else "[red]no[/]")
        parts.append(held)
    return Group(*parts)


def _processes(processes: dict[str, Any]) -> Table:
    """Where the CPU and memory went, the busiest process first."""
    table = Table(title="processes (read from /proc every second)", title_justify="left")
    for column in (
        "process",
        "cores",
        "CPU ms / prescription",
        "memory MB first → last",
        "highest",
    ):
        table.add_column(column, justify="left" if column == "process" else "right")
    for name, use in busiest(processes):
        cores, per = use["cpu_cores_mean"], use["cpu_ms_per_prescription"]
        table.add_row(
            escape(name),
            "" if cores is None else f"{cores:.2f}",
            "" if per is None else f"{per:.2f}",
            f"{use['rss_mb_first']:,.0f} → {use['rss_mb_last']:,.0f}",
            f"{use['rss_mb_max']:,.0f}",
        )
    return table


def _bad(n: int) -> str:
    return f"[red]{n:,}[/]" if n else "0"


def write_reports(result: dict[str, Any], stem: Path) -> list[Path]:
    """The JSON result and its HTML report, side by side; their paths, to print."""
    json_path, html_path = stem.with_suffix(".json"), stem.with_suffix(".html")
    result["reports"] = {"json": str(json_path), "html": str(html_path)}
    json_path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    html_path.write_text(report_html.render(result), encoding="utf-8")
    return [json_path, html_path]
