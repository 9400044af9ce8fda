"""The `rxsim` command."""

import asyncio
import json
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.table import Table

from rxsim import scenario as scenarios
from rxsim.cli import live, options
from rxsim.cli.contracts import contracts_app
from rxsim.cli.fhir import fhir_app
from rxsim.cli.options import BootstrapOpt, ScenarioOpt, err
from rxsim.cli.report import report_app
from rxsim.cli.token import token
from rxsim.cli.usage import OneLineUsage, usage
from rxsim.messaging.settings import DASHBOARD, SERVICES, Settings
from rxsim.tools.stack import (
    MAX_RESTARTS,
    Restart,
    Stack,
    StackError,
    announce,
    with_free_ports,
    withdraw,
)

Done = TypeVar("Done")

if TYPE_CHECKING:
    from rxsim.tools.load_profile import Profile, Replayed
    from rxsim.tools.sender import FromTrace, Synthetic

app = typer.Typer(
    help="rxsim: e-prescription interoperability simulator (hospital → "
    "coordinator → VNeID app → pharmacy → courier, FHIR over Kafka).",
    no_args_is_help=True,
    add_completion=False,
    cls=OneLineUsage,
)
console = options.console

SpeedupOpt = Annotated[
    float | None, typer.Option(help="simulated seconds per real second (default: the scenario's)")
]


EntryOpt = Annotated[
    str, typer.Option(help="kafka (straight onto rx.issued) or http (the hospital's API)")
]
ThresholdOpt = Annotated[
    list[str] | None,
    typer.Option(help="must hold, e.g. 'p99(visible) < 200ms'; repeat it for more"),
]
BudgetOpt = Annotated[
    float | None,
    typer.Option(help="MB the run may leave in the embedded broker [default: half the RAM]"),
]
OutOpt = Annotated[
    Path, typer.Option(help="folder of the run's JSON result, HTML report and sends")
]


def _numbers(speedup: float | None, partitions: int | None = None) -> None:
    """Refuse a clock or a topology no stack can run, in one line (the scenario's own model
    would refuse them too, but in pydantic's many lines, and `0` partitions meant the default)."""
    if speedup is not None and not speedup > 0:
        usage(f"--speedup must be more than 0 (got {speedup:g})")
    if partitions is not None and partitions < 1:
        usage(f"--partitions must be 1 or more (got {partitions})")


def _settings(scenario: str, speedup: float | None, partitions: int | None) -> Settings:
    _numbers(speedup, partitions)
    try:
        scenarios.load(scenario, speedup)
    except (FileNotFoundError, ValueError) as exc:
        usage(str(exc).splitlines()[0])
    update: dict[str, object] = {"scenario": scenario, "speedup": speedup}
    if partitions is not None:
        update["partitions"] = partitions
    return _environment().model_copy(update=update)


def _environment() -> Settings:
    """The settings of the environment (KAFKA_BOOTSTRAP_SERVERS, RXSIM_*), or a one-line
    refusal of the first odd one, before anything starts."""
    try:
        return Settings()
    except ValidationError as exc:
        usage(_first_problem(exc))


def _first_problem(exc: ValidationError) -> str:
    """`KAFKA_BOOTSTRAP_SERVERS: 'host:' has no port …`: the variable, then what is wrong."""
    problem = exc.errors()[0]
    name = str(problem["loc"][0])
    variable = name if name.isupper() else f"RXSIM_{name.upper()}"
    error = problem.get("ctx", {}).get("error")
    return f"{variable}: {error or problem['msg']}"


def _start(stack: Stack, dashboard: bool = False) -> None:
    """Start the stack; with `dashboard`, the operations dashboard too (`up` and `demo`, where
    a person watches: load runs, benchmarks and chaos keep the machine to the services)."""
    where = stack.settings.kafka_bootstrap_servers or "the embedded broker"
    with console.status(f"starting the broker ({where}) and the services…") as status:

        def ready(name: str) -> None:
            status.update(f"{name} is ready…")

        try:
            stack.start(on_ready=ready)
            if dashboard:
                status.update("the operations dashboard…")
                stack.start_dashboard()
        except StackError as exc:
            stack.stop()
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from None


def _print_endpoints(stack: Stack) -> None:
    table = Table(title="rxsim stack", title_justify="left")
    table.add_column("part")
    table.add_column("listens on")
    table.add_column("docs")
    broker = "embedded Tansu" if stack.broker else "external Kafka"
    table.add_row(f"broker ({broker})", stack.bootstrap, "")
    for name, url in stack.urls().items():
        table.add_row(name, url, f"{url}/docs")
    console.print(table)
    _print_citizen_page(stack)
    _print_dashboard(stack, "rxsim token operator")
    console.print(f"logs: {stack.log_dir}")


def _print_citizen_page(stack: Stack) -> None:
    """Where a person follows a prescription: the citizen's page, signed in with a CCCD."""
    chosen = scenarios.load(stack.settings.scenario, stack.settings.speedup)
    onboarded = {
        chosen.country.facility_by_code[code].province for code in chosen.onboarded_facilities
    }
    someone = next((c for c in chosen.country.citizens if c.province in onboarded), None)
    example = f", e.g. {someone.cccd}" if someone else ""
    console.print(
        f"citizen page (VNeID, Vietnamese): {stack.settings.url_of('citizen_app')}/app "
        f"— sign in with a CCCD of the scenario's citizens{example}; the one-time code is shown",
        soft_wrap=True,
    )


def _print_dashboard(stack: Stack, token: str) -> None:
    """Where the operator watches the stack: the dashboard, signed in with an operator token."""
    console.print(
        f"operations dashboard (English): {stack.settings.url_of(DASHBOARD)}/dashboard "
        f"— sign in with the operator token ({token})",
        soft_wrap=True,
    )


def _print_how_to_sign_in(stack: Stack) -> None:
    """Every API but health asks for a token: say how to get one for this local stack."""
    chosen = scenarios.load(stack.settings.scenario, stack.settings.speedup)
    hospital = min(chosen.onboarded_facilities)  # an example each, that the stack knows
    pharmacy = chosen.country.pharmacies[0].id
    citizen_app = stack.settings.url_of("citizen_app")
    console.print(
        "tokens (Authorization: Bearer …), for this stack only:\n"
        "  operator (stats, generator, records)  rxsim token operator\n"
        f"  a hospital (its own prescriptions)    rxsim token facility {hospital}\n"
        f"  a pharmacy (its stock, pickups)       rxsim token pharmacy {pharmacy}\n"
        f"  a citizen (VNeID sign-in)             POST {citizen_app}/auth/otp, then /auth/token",
        soft_wrap=True,
    )


def _say_restart(stack: Stack, restart: Restart) -> None:
    """A service died: the supervisor started it again, or gave up on it; the rest goes on."""
    if restart.gave_up:
        console.print(f"[red]{restart}[/]; the rest goes on. Its last lines:")
        console.print(stack.log_tail(restart.service))
    else:
        console.print(f"[yellow]{restart}[/]")


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the stack as cleanly as Ctrl-C


def _stay_up(stack: Stack) -> None:
    """Keep the demo's stack up, its run done, until Ctrl-C: the pages show what it did, and
    the live tools (trace, audit, token) find it as they find `rxsim up`'s."""
    announce(stack)
    try:
        console.print("[green]the stack stays up to look at what the run did[/] (Ctrl-C stops it):")
        _print_citizen_page(stack)
        _print_dashboard(stack, "rxsim token operator")
        _until_stopped()
    finally:
        withdraw()


def _stop_on_signals() -> None:
    """SIGTERM stops as cleanly as Ctrl-C; and SIGINT is ours even when a shell started us in
    the background (which makes a process ignore it otherwise)."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)


def _until_stopped() -> None:
    """Wait for Ctrl-C or SIGTERM (see `_stop_on_signals`), then say so."""
    _stop_on_signals()
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("stopping…")


@app.command()
def up(
    scenario: ScenarioOpt = "pilot",
    speedup: Annotated[
        float,
        typer.Option(
            help="simulated seconds per real second: slow enough to follow by hand, where the "
            "scenarios' own clocks (demo, load) run far faster"
        ),
    ] = 600.0,
    partitions: Annotated[int | None, typer.Option(help="partitions per topic")] = None,
    broker_port: Annotated[int | None, typer.Option(help="embedded broker port")] = None,
) -> None:
    """Run the local stack in the foreground until Ctrl-C."""
    if broker_port is not None and not 0 < broker_port < 65_536:
        usage(f"--broker-port must be a port, 1 to 65535 (got {broker_port})")
    settings = _settings(scenario, speedup, partitions)
    stack = Stack(settings, broker_port=broker_port)
    _start(stack, dashboard=True)
    _print_endpoints(stack)
    announce(stack)  # rxsim trace / tail / deadletters / contracts verify / token find it
    _print_how_to_sign_in(stack)
    console.print("[green]ready.[/] Ctrl-C stops everything.")
    _stop_on_signals()
    stack.start_supervisor(
        lambda restart: _say_restart(stack, restart),
        on_readiness=lambda change: console.print(
            f"[green]{change}[/]" if change.reason is None else f"[yellow]{change}[/]"
        ),
    )
    try:
        _until_stopped()
    finally:
        withdraw()
        stack.stop()
        console.print("stopped.")
    if stack.given_up():
        raise typer.Exit(1)  # a service stayed down: say so to whoever started us


@app.command()
def demo(
    scenario: ScenarioOpt = "pilot",
    speedup: SpeedupOpt = None,
    count: Annotated[int | None, typer.Option(help="prescriptions to issue")] = None,
    rate: Annotated[float | None, typer.Option(help="prescriptions per second")] = None,
    out: OutOpt = Path("rxsim-reports"),
    stay: Annotated[
        bool | None,
        typer.Option(
            "--stay/--no-stay",
            help="after the report, keep the stack up (its pages, APIs and topics) until "
            "Ctrl-C [default: stay on a terminal, stop otherwise]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Bring the stack up, run a scenario end to end, print the summary and write the run's JSON
    result and HTML report; then, on a terminal, keep the stack up to look at until Ctrl-C.
    Exit 0 only when every prescription reached a terminal state."""
    from rxsim.tools.demo import run_scenario, summary
    from rxsim.tools.demo_report import demo_result
    from rxsim.tools.load_summary import write_reports

    settings = with_free_ports(_settings(scenario, speedup, None))
    chosen = scenarios.load(scenario, speedup)
    if count is not None and count < 1:
        usage(f"--count must be 1 or more (got {count})")
    if rate is not None and not rate > 0:
        usage(f"--rate must be more than 0 per second (got {rate:g})")
    count = chosen.load.prescriptions if count is None else count
    rate = chosen.load.rate_per_second if rate is None else rate
    console.print(f"[bold]{chosen.name}[/]: {chosen.description}")
    pace = f"{rate:g}/s at the peak of the day's curve" if chosen.load.curve else f"{rate:g}/s"
    console.print(
        f"{count} prescriptions at {pace}; clock ×{chosen.speedup:g} "
        f"(the {chosen.rules.validity_days:g}-day validity lasts "
        f"{chosen.validity.total_seconds() / chosen.speedup:.0f} s)"
    )
    stack = Stack(settings)
    _start(stack, dashboard=True)
    _print_citizen_page(stack)
    _print_dashboard(stack, "printed below")
    console.print(f"logs: {stack.log_dir}")
    console.print(  # the demo's own stack: `rxsim token` knows only `rxsim up`'s
        f"operator token while it runs (Authorization: Bearer …): {stack.token()}",
        soft_wrap=True,
    )
    stack.start_supervisor(lambda restart: _say_restart(stack, restart))
    started = time.time()
    stem = out / f"demo-{time.strftime('%Y%m%d-%H%M%S')}"
    if stay is None:  # a person at a terminal looks at the pages; a script wants the exit
        stay = sys.stdin.isatty() and sys.stdout.isatty()
    try:
        result = asyncio.run(run_scenario(stack, chosen, count, rate, console))
        console.print(summary(result))
        out.mkdir(parents=True, exist_ok=True)
        for path in write_reports(demo_result(result, started, stem), stem):
            console.print(f"wrote {path}", soft_wrap=True)
        if stay:
            _stay_up(stack)
    except KeyboardInterrupt:
        console.print("interrupted.")
        raise typer.Exit(130) from None
    finally:
        stack.stop()
    if not result.complete:
        console.print("[red]not every prescription reached a terminal state[/]")
        raise typer.Exit(1)
    console.print("[green]every prescription reached a terminal state.[/]")


@app.command()
def chaos(
    campaign: Annotated[
        list[str] | None,
        typer.Option(help="fhir, hostile, kill, stop or replay; repeat it for more (default: all)"),
    ] = None,
    rounds: Annotated[
        # Each round kills each service once: past MAX_RESTARTS the supervisor gives up on it.
        int, typer.Option(min=1, max=MAX_RESTARTS, help="times each service is killed and stopped")
    ] = 2,
    count: Annotated[int, typer.Option(min=3, help="prescriptions per generator run")] = 30,
    rate: Annotated[float, typer.Option(min=0.1, help="prescriptions per second")] = 10.0,
    fhir_inputs: Annotated[int, typer.Option(min=0, help="mutated Bundles to send")] = 200,
    seed: Annotated[int, typer.Option(help="seed of the mutations and hostile messages")] = 1,
    scenario: ScenarioOpt = "pilot",
    speedup: SpeedupOpt = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="also write the figures to this file")
    ] = None,
) -> None:
    """Run fault campaigns against a local stack and print one table of what survived. Exit 0
    only when every kill and stop was survived and every figure expected to be 0 is 0."""
    from rxsim.tools.chaos import CAMPAIGNS, ChaosError, Plan, run_chaos
    from rxsim.tools.chaos_figures import Figures

    unknown = set(campaign or ()) - set(CAMPAIGNS)
    if unknown:
        usage(f"no campaign {', '.join(sorted(unknown))}; choose among {', '.join(CAMPAIGNS)}")
    chosen = tuple(c for c in CAMPAIGNS if c in (campaign or CAMPAIGNS))
    plan = Plan(chosen, rounds, count, rate, fhir_inputs, seed)
    started = time.monotonic()

    async def campaign_on(stack: Stack) -> Figures:
        console.print(f"campaigns: {', '.join(chosen)}")
        return await run_chaos(stack, scenarios.load(scenario, speedup), plan, console.print)

    figures = _on_a_stack(scenario, speedup, campaign_on, ChaosError)
    console.print(figures.table(f"rxsim chaos · {time.monotonic() - started:.0f} s"))
    if json_path:
        json_path.write_text(json.dumps(figures.as_json(), indent=2) + "\n")
    for line in figures.named_failures():
        console.print(f"[red]{line}[/]", soft_wrap=True)  # one line each, to grep
    if not figures.passed:
        raise typer.Exit(1)
    console.print("[green]every fault survived: nothing lost, repeated or dropped.[/]")


@app.command()
def load(
    scenario: ScenarioOpt = "pilot",
    rate: Annotated[
        float | None,
        typer.Option(
            help="prescriptions per second (the peak, for linear and steps) "
            "[default: the scenario's]"
        ),
    ] = None,
    duration: Annotated[str, typer.Option(help="how long to send: 90, 90s, 5m, 1h")] = "60s",
    profile: Annotated[
        str, typer.Option(help="constant, linear:FROM (rise from FROM/s) or steps:N")
    ] = "constant",
    entry: EntryOpt = "kafka",
    threshold: ThresholdOpt = None,
    speedup: SpeedupOpt = None,
    seed: Annotated[int | None, typer.Option(help="of the prescriptions' content")] = None,
    memory_budget: BudgetOpt = None,
    out: OutOpt = Path("rxsim-reports"),
) -> None:
    """Open-loop load on a local stack: send the scenario's prescriptions on a schedule from a
    process of their own, follow each to its end, and write a JSON result and an HTML report.
    Exit 0 only when nothing was lost or left in flight and every threshold held."""
    from rxsim.tools.load_profile import ProfileError, parse_duration, parse_profile
    from rxsim.tools.sender import Synthetic

    chosen = _scenario(scenario, speedup)
    try:
        shape = parse_profile(
            profile, chosen.load.rate_per_second if rate is None else rate,
            parse_duration(duration),
        )  # fmt: skip
    except ProfileError as exc:
        usage(str(exc))
    source = Synthetic(shape, scenario, speedup, seed)
    _run_load("load", entry, shape, source, scenario, speedup, threshold, memory_budget, out)


@app.command()
def replay(
    trace: Annotated[Path, typer.Argument(help="a trace written by `rxsim record`")],
    speed: Annotated[float, typer.Option(help="times faster than the trace was recorded")] = 1.0,
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario", "-s", help="the stack's scenario [default: the trace's, else pilot]"
        ),
    ] = None,
    entry: EntryOpt = "kafka",
    threshold: ThresholdOpt = None,
    speedup: SpeedupOpt = None,
    memory_budget: BudgetOpt = None,
    out: OutOpt = Path("rxsim-reports"),
) -> None:
    """Replay a trace on a local stack, keeping its order and relative timing at --speed, and
    report as `rxsim load` does."""
    from rxsim.tools import trace_file
    from rxsim.tools.load_profile import Replayed
    from rxsim.tools.sender import FromTrace

    if not speed > 0:
        usage(f"--speed must be more than 0 (got {speed:g})")
    if not trace.is_file():
        usage(f"no trace at {trace}; write one with `rxsim record`")
    try:
        header = trace_file.read_header(trace)
        shape = Replayed.of((at for at, _ in trace_file.issuances(trace)), speed)
    except (trace_file.TraceError, OSError, EOFError) as exc:
        usage(str(exc))
    scenario = scenario or header.scenario or "pilot"
    if not shape.expected_sends:
        usage(f"{trace} holds no issuance to replay")
    source = FromTrace(trace, speed, shape.expected_sends)
    _run_load("replay", entry, shape, source, scenario, speedup, threshold, memory_budget, out)


def _run_load(
    command: str, entry: str, shape: "Profile | Replayed", source: "Synthetic | FromTrace",
    scenario: str, speedup: float | None, threshold: list[str] | None,
    memory_budget: float | None, out: Path,
) -> None:  # fmt: skip
    from rxsim.tools import load as loading
    from rxsim.tools.run_metrics import STAGE_IDS
    from rxsim.tools.sender import ENTRIES
    from rxsim.tools.thresholds import ThresholdError, parse_threshold

    _environment()
    chosen = _scenario(scenario, speedup)
    if entry not in ENTRIES:
        usage(f"--entry {entry!r}: choose {' or '.join(ENTRIES)}")
    expressions = [*chosen.load.thresholds, *(threshold or [])]
    try:
        thresholds = tuple(parse_threshold(e, STAGE_IDS) for e in expressions)
        budget = loading.default_budget_mb() if memory_budget is None else memory_budget
        loading.check_budget(shape.expected(), budget, embedded=True)
    except (ThresholdError, loading.LoadError) as exc:
        usage(str(exc))
    stem = out / f"{command}-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    plan = loading.LoadPlan(command, entry, shape, source, chosen, thresholds, stem, budget)
    console.print(
        f"[bold]{chosen.name}[/]: {shape.describe()} ({shape.expected():,} prescriptions) "
        f"through {entry}; clock ×{chosen.speedup:g}"
    )
    show, live = loading.live_view(plan, console)

    async def send_and_follow(stack: Stack) -> dict[str, Any]:
        if live is not None:
            live.start()
        try:
            return (await loading.run_load(stack, plan, show))[0]
        finally:
            if live is not None:
                live.stop()

    result = _on_a_stack(scenario, speedup, send_and_follow)
    _report(result, stem)
    console.print("[green]every prescription sent reached an end; every threshold held.[/]")


@app.command()
def bench(
    scenario: ScenarioOpt = "pilot",
    start_rate: Annotated[
        float, typer.Option(min=1, help="the first step's rate per second")
    ] = 20.0,
    max_rate: Annotated[float, typer.Option(min=1, help="never ask for more per second")] = 1000.0,
    step: Annotated[str, typer.Option(help="how long each step sends: 20, 20s, 1m")] = "20s",
    measure: Annotated[str, typer.Option(help="how long the run at half the rate sends")] = "30s",
    speedup: SpeedupOpt = None,
    memory_budget: BudgetOpt = None,
    out: OutOpt = Path("rxsim-reports"),
) -> None:
    """Find the highest rate this machine sustains end to end, measure per-stage latency at half
    of it, and the raw broker pipe in the same run; print the ratio. Exit 0 when a rate was
    sustained and nothing sent at half of it was lost or left in flight."""
    from rxsim.tools import load as loading
    from rxsim.tools.bench import BenchPlan, run_bench
    from rxsim.tools.bench_summary import bench_table
    from rxsim.tools.load_profile import ProfileError, parse_duration

    chosen = _scenario(scenario, speedup)
    if start_rate > max_rate:
        usage(f"--start-rate {start_rate:g} is over --max-rate {max_rate:g}")
    try:
        step_s, measure_s = parse_duration(step), parse_duration(measure)
    except ProfileError as exc:
        usage(str(exc))
    budget = loading.default_budget_mb() if memory_budget is None else memory_budget
    plan = BenchPlan(
        chosen, scenario, speedup, start_rate=start_rate, max_rate=max_rate, step_s=step_s,
        measure_s=measure_s, budget_mb=budget,
    )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}"
    fresh_stacks: list[Stack] = []

    def fresh() -> Stack:
        stack = _supervised_stack(scenario, speedup)
        fresh_stacks.append(stack)
        return stack

    try:
        found = _on_a_stack(
            scenario, speedup, lambda stack: run_bench(stack, fresh, plan, out, console.print)
        )
    finally:
        for stack in fresh_stacks:
            stack.stop()
    console.print(bench_table(found))
    if found.measure is None:
        console.print(f"[red]no rate was sustained, down to {found.steps[-1].rate:g}/s[/]")
        raise typer.Exit(1)
    result = {**found.measure, "command": "bench", "bench": found.figures()}
    _report(result, stem)


def _on_a_stack(
    scenario: str,
    speedup: float | None,
    work: Callable[[Stack], Coroutine[Any, Any, Done]],
    cannot_go_on: type[Exception] | None = None,
) -> Done:
    """Start a stack on free ports under the supervisor, run `work` on it, and stop it:
    Ctrl-C exits 130; a run that cannot go on (a LoadError, or `cannot_go_on`) exits 1
    saying why and where the logs are."""
    from rxsim.tools.load import LoadError

    stops = (LoadError,) if cannot_go_on is None else (LoadError, cannot_go_on)

    stack = _supervised_stack(scenario, speedup)
    try:
        return asyncio.run(work(stack))
    except KeyboardInterrupt:
        console.print("interrupted.")
        raise typer.Exit(130) from None
    except stops as exc:
        console.print(f"[red]error:[/] {exc}; logs: {stack.log_dir}")
        raise typer.Exit(1) from None
    finally:
        stack.stop()


def _supervised_stack(scenario: str, speedup: float | None) -> Stack:
    """A stack started on free ports, under the supervisor; the caller stops it."""
    stack = Stack(with_free_ports(_settings(scenario, speedup, None)))
    _start(stack)
    console.print(f"logs: {stack.log_dir}")
    stack.start_supervisor(lambda restart: _say_restart(stack, restart))
    return stack


def _report(result: dict[str, Any], stem: Path) -> None:
    """Print a run's summary, write its JSON and HTML, name each failure; exit 1 if any."""
    from rxsim.tools.load_summary import summary, write_reports
    from rxsim.tools.run_result import why_not_passed

    console.print(summary(result))
    for path in write_reports(result, stem):
        console.print(f"wrote {path}", soft_wrap=True)
    for line in why_not_passed(result):
        console.print(f"[red]{line}[/]", soft_wrap=True)  # one line each, to grep
    if not result["passed"]:
        raise typer.Exit(1)


@app.command()
def record(
    out: Annotated[Path, typer.Argument(help="the trace to write (.jsonl, or .jsonl.gz)")],
    day: Annotated[
        bool, typer.Option(help="synthesise a day from the scenario's load curve instead")
    ] = False,
    prescriptions: Annotated[
        int | None, typer.Option(help="with --day: how many [default: the scenario's]")
    ] = None,
    scenario: ScenarioOpt = "pilot",
    seed: Annotated[int | None, typer.Option(help="with --day: of the prescriptions")] = None,
    bootstrap: BootstrapOpt = None,
) -> None:
    """Write a trace: every prescription issued on the running stack's rx.issued, with when;
    or, with --day, a synthesised day that follows the scenario's load curve."""
    from rxsim.tools import trace_file

    if not out.parent.is_dir():
        usage(f"no folder {out.parent} to write {out.name} in")
    if day:
        chosen = _scenario(scenario, None)
        count = chosen.load.prescriptions if prescriptions is None else prescriptions
        if count < 1:
            usage(f"--prescriptions must be 1 or more (got {count})")
        written = trace_file.synthesise_day(out, chosen, scenario, count, seed)
        header = trace_file.read_header(out)
        console.print(f"wrote {out}: {written:,} prescriptions over {header.span_s:,.0f} s "
                      f"of the day ({header.description})", soft_wrap=True)  # fmt: skip
        return
    from rxsim.tools.live import connect
    from rxsim.tools.recording import record_issued

    where = connect(bootstrap, err)
    written, span = record_issued(where, out)
    if not written:
        usage(f"nothing issued on {where} to record")
    console.print(f"wrote {out}: {written:,} prescriptions over {span:,.1f} s", soft_wrap=True)


def _scenario(name: str, speedup: float | None) -> scenarios.Scenario:
    _numbers(speedup)
    try:
        return scenarios.load(name, speedup)
    except (FileNotFoundError, ValueError) as exc:
        usage(str(exc))


@app.command("scenarios")
def list_scenarios() -> None:
    """List the scenarios, one line each."""
    for path in scenarios.available():
        chosen = scenarios.load(str(path))
        console.print(f"[bold]{chosen.name:<10}[/] {chosen.description}")


@app.command()
def services() -> None:
    """Name the services and the topics each reads and writes."""
    from schemas.topics import ALL_TOPICS

    table = Table(title="topics", title_justify="left")
    for column in ("topic", "key", "producers", "consumers", "personal data"):
        table.add_column(column)
    for topic in ALL_TOPICS:
        personal = ", ".join(sorted(topic.personal)) or "—"
        table.add_row(
            topic.name,
            topic.key,
            ", ".join(topic.producers),
            ", ".join(topic.consumers),
            personal,
        )
    console.print(table)
    console.print("services: " + ", ".join(SERVICES))


app.add_typer(fhir_app, name="fhir")
app.add_typer(contracts_app(), name="contracts")
app.add_typer(report_app, name="report")
live.register(app)
app.command()(token)


def main() -> None:
    app()
