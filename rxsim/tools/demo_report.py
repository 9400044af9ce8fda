"""`rxsim demo`'s run as a run result, so that a demo leaves the same JSON and HTML reports as
`rxsim load`. The hospital's generator issued the prescriptions, so each one's send is when it
was issued: no lateness is measured (`rxsim load` measures it)."""

from dataclasses import replace
from typing import Any

from rxsim.tools.demo import DemoResult
from rxsim.tools.load import LoadPlan, Progress, build_result
from rxsim.tools.load_profile import Replayed
from rxsim.tools.run_metrics import Send


def demo_result(demo: DemoResult, started: float, stem: Any) -> dict[str, Any]:
    issued = sorted(
        (story.issued_at.timestamp(), story.submission_id)
        for story in demo.ledger.stories.values()
        if story.issued_at is not None
    )
    start_at = issued[0][0] if issued else started
    sends = [Send(n, at, at, at, sid, None) for n, (at, sid) in enumerate(issued)]
    shape = replace(
        Replayed.of((at - start_at for at, _ in issued), 1.0),
        kind="generator",
        description=f"the hospital's generator: {len(issued):,} issued",
    )
    plan = LoadPlan("demo", "generator", shape, None, demo.scenario, (), stem, None)
    progress = Progress(
        sends=sends,
        lags=list(demo.lags),
        start_at=start_at,
        scheduled=int(demo.generator.get("target", len(sends))),
    )
    return build_result(plan, progress, demo.ledger, demo.dead_letters, started, None)
