"""What `rxsim bench` prints: each step of the search, then the figures and the ratio."""

from rich.console import Group
from rich.table import Table

from rxsim.tools.bench import BenchResult


def bench_table(found: BenchResult) -> Group:
    steps = Table(title="rxsim bench · the search", title_justify="left")
    for column in ("asked /s", "sent /s", "lag trend /s", "behind at the end", "sustained"):
        steps.add_column(column, justify="right")
    for step in found.steps:
        steps.add_row(
            f"{step.rate:,.1f}", f"{step.achieved:,.1f}", f"{step.lag_trend_per_s:+,.1f}",
            f"{step.lag_at_end:,}", "yes" if step.sustained else "[red]no[/]",
        )  # fmt: skip
    figures = Table(title="rxsim bench · figures", title_justify="left", show_header=False)
    figures.add_column(style="bold")
    figures.add_column(justify="right")
    rows = [("highest sustained rate", f"{found.sustained_rate:,.1f} prescriptions/s")]
    if found.measure is not None:
        stages = {s["id"]: s["latency_ms"] for s in found.measure["stages"]}
        for stage in ("validated", "visible", "accepted"):
            latency = stages.get(stage)
            if latency and latency["n"]:
                rows.append((f"at half of it, {stage}: p50 / p99",
                             f"{latency['p50']:,} ms / {latency['p99']:,} ms"))  # fmt: skip
        rows += [
            ("messages per prescription", f"{found.messages_per_prescription:,.1f}"),
            ("mean message size", f"{found.mean_message_bytes:,} bytes"),
            ("pipeline at the sustained rate", f"{found.pipeline_messages_per_s:,.0f} messages/s"),
            ("raw broker pipe, same messages", f"{found.raw_pipe_messages_per_s:,.0f} messages/s"),
            ("ratio to the raw pipe", f"{found.ratio:.1%}"),
            ("measure and raw pipe on", "a fresh stack" if found.measure_stack == "fresh"
             else "the search's stack"),
        ]  # fmt: skip
    for label, value in rows:
        figures.add_row(label, value)
    return Group(steps, figures)
