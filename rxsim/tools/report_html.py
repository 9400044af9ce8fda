"""The HTML report of a run result, and of two runs overlaid: one self-contained page (plotly.js
embedded once, no fonts or scripts fetched) that opens offline from a CI artefact or a mail.

Every string that comes from a result is escaped before it reaches the page, plot labels too
(plotly.js reads HTML entities in its labels), so a prescription id cannot become markup."""

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import qualitative

from rxsim.tools import report_format as fmt
from rxsim.tools.process_use import busiest
from rxsim.tools.report_compare import changes
from rxsim.tools.run_result import why_not_passed

Result = dict[str, Any]

STUCK_ROWS_SHOWN = 100  # a run that lost thousands names them all in its JSON, not here

ENTRIES = {
    "kafka": "straight onto rx.issued",
    "http": "through the hospital's HTTP API (POST /prescriptions)",
}
CLOCKS = {
    "pipeline": "pipeline: the services' own work, real time",
    "scenario": "scenario: mostly simulated delays (people, couriers), shown in real time",
}
# One colour per series of the throughput and latency plots, the same in both runs of a
# comparison, which differ by line style instead.
SERIES_COLOURS = {
    "target_rate": "#888888",
    "sent": "#1f77b4",
    "visible": "#2ca02c",
    "terminal": "#9467bd",
    "visible_p50_ms": "#1f77b4",
    "visible_p99_ms": "#d62728",
}
RUN_DASHES = ("solid", "dash")
RUN_OPACITIES = (1.0, 0.55)  # the bars of the second run of a comparison

CSS = """
body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0; background: #fff; }
th, td { border: 1px solid #ddd; padding: .25rem .6rem; text-align: left; }
th { background: #f0f0f0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { font-size: 1.1rem; padding: .6rem .9rem; border-radius: 4px; }
.passed { background: #e3f5e1; color: #1b5e20; }
.failed { background: #fde2e1; color: #8e1b16; }
.good { color: #1b5e20; } .bad { color: #8e1b16; }
.note { color: #555; font-size: .9rem; }
.plot { background: #fff; border: 1px solid #ddd; margin: .5rem 0 1.5rem; }
"""


class Safe(str):
    """Markup this module built from escaped parts: a table puts it in as it is."""


def esc(value: object) -> Safe:
    return value if isinstance(value, Safe) else Safe(html.escape(str(value)))


@dataclass(frozen=True)
class Run:
    """A result as the plots show it: its name prefixes trace names in a comparison."""

    name: str  # "" for a page about one run
    result: Result
    index: int = 0  # 0 or 1: which line style and opacity it is drawn with

    def label(self, what: str) -> str:
        return f"{esc(self.name)} · {what}" if self.name else what


# ------------------------------------------------------------------ pages


def render(result: Result) -> str:
    """The report of one run: what ran, whether it passed, the load, the outcomes, the
    thresholds, each stage's latency, and the plots."""
    title = f"rxsim {result['command']} · {result['scenario']['name']}"
    return _page(
        title,
        [
            _header(result),
            _load_section(result),
            _outcomes_section(result),
            _thresholds_section(result),
            _stages_section(result),
            _processes_section(result),
            _plots([Run("", result)]),
        ],
    )


def render_comparison(a: Result, b: Result, names: tuple[str, str] = ("A", "B")) -> str:
    """Two runs on one page: each run's header line, the change per measure from the first to
    the second, and the same plots with both runs overlaid (the second dashed)."""
    runs = [Run(names[0], a, 0), Run(names[1], b, 1)]
    return _page(
        f"rxsim report compare · {names[0]} → {names[1]}",
        [_comparison_header(runs), _comparison_section(a, b, names), _plots(runs)],
    )


def _page(title: str, sections: Iterable[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{esc(title)}</title><style>{CSS}</style></head>",
            f"<body><main><h1>{esc(title)}</h1>",
            *sections,
            "</main></body></html>",
        ]
    )


# ------------------------------------------------------------------ sections


def _header(result: Result) -> str:
    scenario = result["scenario"]
    machine = result["machine"]
    where = f"{machine['cpus']} CPUs · Python {machine['python']} · {machine['platform']}"
    facts = [
        ["command", f"rxsim {result['command']}"],
        ["scenario", f"{scenario['name']}, clock ×{scenario['speedup']:,g}"],
        ["started", _when(result["started_at"])],
        ["elapsed", fmt.duration(result["elapsed_s"])],
        ["machine", where],
        ["entry", ENTRIES.get(result["load"]["entry"], result["load"]["entry"])],
    ]
    for kind, path in result.get("reports", {}).items():
        facts.append([f"{kind} report", path])
    return _verdict(result) + _table(["", ""], facts, header=False)


def _verdict(result: Result) -> str:
    if result["passed"]:
        words = "Passed: nothing lost or still in flight, and every threshold held."
        return f'<p class="verdict passed">{esc(words)}</p>'
    reasons = why_not_passed(result) or ["the run says it did not pass"]
    items = "".join(f"<li>{esc(reason)}</li>" for reason in reasons)
    return f'<div class="verdict failed"><strong>Did not pass:</strong><ul>{items}</ul></div>'


def _load_section(result: Result) -> str:
    load = result["load"]
    profile = load["profile"]
    scheduled, sent = fmt.count(load["scheduled"]), fmt.count(load["sent"])
    asked_and_done = [
        ["shape", f"{profile['kind']}: {profile['description']}", ""],
        ["rate", fmt.rate(profile["rate"]), f"{fmt.rate(load['achieved_rate'])} achieved"],
        ["duration", fmt.duration(load["duration_s"]), ""],
        ["prescriptions", f"{scheduled} scheduled", f"{sent} sent"],
        ["send errors", "", _counts_in_words(load["send_errors"])],
        ["refused at the edge", "", _counts_in_words(load["refused_at_edge"])],
    ]
    if "memory" in result:  # written by runs on the embedded broker, which keeps every byte
        asked_and_done.append(_broker_memory(result["memory"]))
    return (
        "<h2>Load</h2>"
        + _table(["", "asked", "done"], asked_and_done)
        + '<p class="note">How late each send left against its schedule (ms). A late send is '
        "a sender that fell behind; latencies are measured from when each send was due.</p>"
        + _percentiles_table([("lateness", load["lateness_ms"])])
    )


def _broker_memory(memory: Result) -> list[str]:
    resident = memory.get("broker_rss_mb")
    at_the_end = "an external broker" if resident is None else f"{resident:,.0f} MB at the end"
    budget = (
        f"{memory['budget_mb']:,.0f} MB budget, {memory['estimated_broker_mb']:,.0f} MB estimated"
    )
    return ["broker memory", budget, at_the_end]


def _outcomes_section(result: Result) -> str:
    outcomes = result["outcomes"]
    totals = [
        [label, fmt.count(outcomes[key])]
        for key, label in (
            ("issued", "issued"),
            ("terminal", "terminal"),
            ("in_flight", "in flight at the end"),
            ("lost", "lost (sent, never seen by the pipeline)"),
            ("dead_letters", "dead letters"),
            ("alerts", "counterfeit or recalled lots refused"),
        )
    ]
    return (
        "<h2>Outcomes</h2>"
        + _accounting(outcomes)
        + _table(["", "prescriptions"], totals, numeric={1})
        + "<h3>Terminal states</h3>"
        + _counts_table("state", outcomes["by_state"])
        + "<h3>Rejections, by reason</h3>"
        + _counts_table("reason", outcomes["rejections"])
        + "<h3>Requests refused (the sender was told), by request and reason</h3>"
        + _counts_table("request and reason", outcomes["refused_requests"])
        + _stuck(outcomes["stuck"])
    )


def _accounting(outcomes: Result) -> str:
    issued, terminal, in_flight = outcomes["issued"], outcomes["terminal"], outcomes["in_flight"]
    holds = issued == terminal + in_flight
    verdict = (
        Safe('<span class="good">holds</span>')
        if holds
        else Safe(
            f'<span class="bad">does not hold: {esc(fmt.count(issued - terminal - in_flight))}'
            " unaccounted for</span>"
        )
    )
    return (
        f"<p>issued {esc(fmt.count(issued))} = terminal {esc(fmt.count(terminal))} + in flight "
        f"{esc(fmt.count(in_flight))}: {verdict}</p>"
    )


def _stuck(stuck: list[Result]) -> str:
    if not stuck:
        return "<h3>Still in flight</h3><p>none</p>"
    rows = [[s["prescription_id"], s["submission_id"], s["state"]] for s in stuck]
    shown = rows[:STUCK_ROWS_SHOWN]
    rest = len(rows) - len(shown)
    more = f'<p class="note">and {rest:,} more, named in the JSON result</p>' if rest else ""
    return (
        f"<h3>Still in flight ({len(rows):,})</h3>"
        + _table(["prescription", "submission", "state"], shown)
        + more
    )


def _thresholds_section(result: Result) -> str:
    thresholds = result["thresholds"]
    if not thresholds:
        return "<h2>Thresholds</h2><p>none declared</p>"
    rows = [
        [
            t["expression"],
            _measured(t["value"]),
            Safe('<span class="good">held</span>')
            if t["passed"]
            else Safe('<span class="bad">broken</span>'),
        ]
        for t in thresholds
    ]
    return "<h2>Thresholds</h2>" + _table(["threshold", "measured", "verdict"], rows, numeric={1})


def _stages_section(result: Result) -> str:
    stages = [(f"{s['label']} ({s['clock']})", s["latency_ms"]) for s in result["stages"]]
    notes = "".join(f"<li>{esc(words)}</li>" for words in CLOCKS.values())
    simulated = [
        f"<li>{esc(s['label'])}: p50 {s['simulated_minutes']['p50']:,g} min, "
        f"p99 {s['simulated_minutes']['p99']:,g} min simulated</li>"
        for s in result["stages"]
        if s.get("simulated_minutes") and s["latency_ms"]["n"]
    ]
    if simulated:
        notes += (
            "<li>the scenario's stages in simulated time (real time × the clock's speedup):"
            f"<ul>{''.join(simulated)}</ul></li>"
        )
    return (
        "<h2>Stages (ms)</h2>"
        + _percentiles_table(stages)
        + f'<ul class="note">{notes}</ul>'
        + '<p class="note">Stages that start at the issue are measured from when each send '
        "was due, so a sender that fell behind shows in them.</p>"
    )


def _processes_section(result: Result) -> str:
    """Where the CPU and memory went: the process that uses most is the wall to look at."""
    processes = result.get("processes")
    if not processes:
        return ""
    rows = [
        [
            name,
            _measured_figure(use["cpu_cores_mean"], "{:.2f}"),
            _measured_figure(use["cpu_ms_per_prescription"], "{:.2f}"),
            f"{use['rss_mb_first']:,.0f} → {use['rss_mb_last']:,.0f}",
            f"{use['rss_mb_max']:,.0f}",
            use["restarts"],
        ]
        for name, use in busiest(processes)
    ]
    headers = ["process", "cores", "CPU ms / prescription", "memory MB", "highest MB", "restarts"]
    return (
        "<h2>Processes</h2>"
        + _table(headers, rows, numeric={1, 2, 3, 4, 5})
        + '<p class="note">Read from /proc every second while the run went on: cores is CPU '
        "seconds per second, memory the resident set at the first and last reading.</p>"
    )


def _measured_figure(value: float | None, form: str) -> str:
    return fmt.NOTHING if value is None else form.format(value)


def _comparison_header(runs: Sequence[Run]) -> str:
    rows = [
        [
            run.name,
            f"rxsim {run.result['command']}",
            run.result["scenario"]["name"],
            _when(run.result["started_at"]),
            fmt.duration(run.result["elapsed_s"]),
            Safe('<span class="good">passed</span>')
            if run.result["passed"]
            else Safe('<span class="bad">did not pass</span>'),
        ]
        for run in runs
    ]
    return _table(["run", "command", "scenario", "started", "elapsed", "verdict"], rows)


def _comparison_section(a: Result, b: Result, names: tuple[str, str]) -> str:
    rows = []
    for change in changes(a, b):
        style = {True: "good", False: "bad", None: ""}[change.better]
        rows.append(
            [
                change.measure,
                change.shown(change.a),
                change.shown(change.b),
                Safe(f'<span class="{style}">{esc(change.change())}</span>'),
            ]
        )
    return (
        f"<h2>Change from {esc(names[0])} to {esc(names[1])}</h2>"
        + _table(["measure", names[0], names[1], "change"], rows, numeric={1, 2, 3})
        + '<p class="note">Stages are in ms; green: the second run is better, red: worse.</p>'
    )


# ------------------------------------------------------------------ tables


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    numeric: set[int] | None = None,
    header: bool = True,
) -> str:
    """Every cell is escaped unless it is Safe markup; `numeric` columns are right-aligned."""
    numeric = numeric or set()
    head = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr>" if header else ""
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{esc(cell)}</td>' if column in numeric else f"<td>{esc(cell)}</td>"
            for column, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table>{head}{body}</table>"


def _percentiles_table(named: Sequence[tuple[str, Result]]) -> str:
    columns = ["n", "p50", "p90", "p99", "p999", "max", "mean"]
    rows = [
        [name, fmt.count(p["n"]), *(fmt.ms(p[c]) if p["n"] else fmt.NOTHING for c in columns[1:])]
        for name, p in named
    ]
    headers = ["", "n", "p50", "p90", "p99", "p99.9", "max", "mean"]
    return _table(headers, rows, numeric=set(range(1, len(headers))))


def _counts_table(what: str, counts: dict[str, int]) -> str:
    if not counts:
        return "<p>none</p>"
    total = sum(counts.values())
    rows = [
        [key, fmt.count(value), f"{value / total:.1%}"]
        for key, value in sorted(counts.items(), key=lambda item: -item[1])
    ]
    return _table([what, "count", "share"], rows, numeric={1, 2})


def _counts_in_words(counts: dict[str, int]) -> str:
    if not counts:
        return "none"
    return ", ".join(f"{key}: {fmt.count(value)}" for key, value in sorted(counts.items()))


def _measured(value: float | None) -> str:
    return "nothing to measure" if value is None else f"{value:,g}"


def _when(started_at: str) -> str:
    try:
        return datetime.fromisoformat(started_at).strftime("%Y-%m-%d %H:%M:%S %z").strip()
    except ValueError:
        return started_at  # the schema's date-time format is not enforced everywhere


# ------------------------------------------------------------------ plots

PLOTS = [
    ("throughput", "Throughput", "prescriptions per second: the schedule's target, sent, "
     "reaching the citizen's app, reaching a terminal state"),
    ("latency", "Issued → in the citizen's app, over time", "p50 and p99 (ms) of the "
     "prescriptions due in each second; a gap is a second with none seen"),
    ("lag", "Consumer lag", "events not yet handled by each service, all its topics added; a "
     "gap is a second the service did not answer"),
    ("stages", "Per stage", "p50 and p99 (ms, log scale) of each stage"),
    ("outcomes", "Outcome mix", "prescriptions by terminal state"),
]  # fmt: skip


def _plots(runs: Sequence[Run]) -> str:
    makers = {
        "throughput": throughput_figure,
        "latency": latency_figure,
        "lag": lag_figure,
        "stages": stages_figure,
        "outcomes": outcomes_figure,
    }
    parts = ["<h2>Plots</h2>"]
    for number, (plot_id, title, caption) in enumerate(PLOTS):
        figure = makers[plot_id](runs)
        figure.update_layout(
            template="plotly_white", height=360, margin={"l": 60, "r": 20, "t": 30, "b": 50}
        )
        parts.append(f"<h3>{esc(title)}</h3><p class='note'>{esc(caption)}</p>")
        parts.append('<div class="plot">')
        parts.append(
            pio.to_html(
                figure,
                include_plotlyjs=number == 0,  # the library once, inline: the page is offline
                full_html=False,
                div_id=plot_id,
                config={"displaylogo": False, "responsive": True},
            )
        )
        parts.append("</div>")
    return "\n".join(parts)


def _seconds(run: Run) -> list[float]:
    return [point["t_s"] for point in run.result["timeline"]]


def _time_axis(figure: go.Figure, y_title: str) -> go.Figure:
    figure.update_layout(
        xaxis_title="seconds since the first send was due",
        yaxis_title=y_title,
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def throughput_figure(runs: Sequence[Run]) -> go.Figure:
    figure = go.Figure()
    names = {"target_rate": "target rate", "sent": "sent", "visible": "in the app",
             "terminal": "terminal"}  # fmt: skip
    for run in runs:
        for key, name in names.items():
            figure.add_trace(_timeline_series(run, key, name, mode="lines"))
    return _time_axis(figure, "per second")


def latency_figure(runs: Sequence[Run]) -> go.Figure:
    figure = go.Figure()
    for run in runs:
        for key, name in (("visible_p50_ms", "p50"), ("visible_p99_ms", "p99")):
            figure.add_trace(
                _timeline_series(run, key, name, mode="lines+markers", connectgaps=False)
            )
    return _time_axis(figure, "ms")


def _timeline_series(run: Run, key: str, name: str, **style: Any) -> go.Scatter:
    """One figure of the timeline, second by second, in its series' colour and its run's
    dash."""
    return go.Scatter(
        x=_seconds(run),
        y=[point[key] for point in run.result["timeline"]],
        name=run.label(name),
        line={"color": SERIES_COLOURS[key], "dash": RUN_DASHES[run.index]},
        **style,
    )


def lag_by_service(result: Result) -> dict[str, list[int | None]]:
    """Each service's lag per second, its topics added; None for a second it did not answer."""
    services: dict[str, None] = {}  # in the order they first appear
    for point in result["timeline"]:
        services.update(dict.fromkeys(point["lag"]))
    return {
        service: [
            sum(point["lag"][service].values()) if service in point["lag"] else None
            for point in result["timeline"]
        ]
        for service in services
    }


def lag_figure(runs: Sequence[Run]) -> go.Figure:
    figure = go.Figure()
    colours: dict[str, str] = {}  # one per service, the same in both runs
    for run in runs:
        for service, lags in lag_by_service(run.result).items():
            colour = colours.setdefault(
                service, qualitative.Plotly[len(colours) % len(qualitative.Plotly)]
            )
            figure.add_trace(
                go.Scatter(
                    x=_seconds(run),
                    y=lags,
                    name=run.label(esc(service)),
                    mode="lines",
                    connectgaps=False,
                    line={"color": colour, "dash": RUN_DASHES[run.index]},
                )
            )
    return _time_axis(figure, "events not yet handled")


def stages_figure(runs: Sequence[Run]) -> go.Figure:
    figure = go.Figure()
    for run in runs:
        stages = [s for s in run.result["stages"] if s["latency_ms"]["n"]]
        labels = [esc(f"{s['label']} ({s['clock']})") for s in stages]
        for key, colour in (("p50", "#1f77b4"), ("p99", "#d62728")):
            figure.add_trace(
                go.Bar(
                    x=labels,
                    y=[s["latency_ms"][key] for s in stages],
                    name=run.label(key),
                    marker={"color": colour, "opacity": RUN_OPACITIES[run.index]},
                )
            )
    figure.update_layout(barmode="group", yaxis={"type": "log", "title": "ms (log scale)"})
    return figure


def outcomes_figure(runs: Sequence[Run]) -> go.Figure:
    figure = go.Figure()
    for run in runs:
        by_state = sorted(run.result["outcomes"]["by_state"].items(), key=lambda item: -item[1])
        figure.add_trace(
            go.Bar(
                x=[esc(state) for state, _ in by_state],
                y=[count for _, count in by_state],
                name=run.label("prescriptions"),
                marker={"color": "#2ca02c", "opacity": RUN_OPACITIES[run.index]},
            )
        )
    figure.update_layout(barmode="group", yaxis_title="prescriptions")
    return figure
