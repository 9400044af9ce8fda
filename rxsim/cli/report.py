"""The report commands: `rxsim report html RESULT.json` and `rxsim report compare A.json B.json`.
Both read run results written by `rxsim load` (and, later, demo, replay and bench)."""

from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape

from rxsim.cli.options import console, err

report_app = typer.Typer(
    help="Reports of runs: the HTML page of a JSON result, and two results compared.",
    no_args_is_help=True,
)

ResultArg = Annotated[
    Path, typer.Argument(metavar="RESULT.json", help="a JSON result of rxsim load")
]


def _read(path: Path) -> dict[str, Any]:
    """The result in `path`; one line on stderr and exit 2 when it is not one."""
    from rxsim.tools.run_result import RunResultError, read  # jsonschema: only when asked

    try:
        return read(path)
    except RunResultError as exc:
        _refuse(str(exc))


def _refuse(message: str) -> NoReturn:
    err.print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(2)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        _refuse(f"{path}: cannot be written ({exc.strerror})")
    console.print(f"report: {escape(str(path))}", soft_wrap=True)


def _html_path_beside(result: Path) -> Path:
    """RESULT with .html instead of its suffix; never the result itself."""
    beside = result.with_suffix(".html")
    return beside if beside != result else result.with_name(result.name + ".html")


@report_app.command("html")
def html(
    result: ResultArg,
    out: Annotated[
        Path | None,
        typer.Option(help="where to write the page (default: RESULT.json with .html)"),
    ] = None,
) -> None:
    """Write the self-contained HTML report (plots included, opens offline) of a JSON result.
    Exit 2 when RESULT.json is missing, not JSON or not a valid run result."""
    from rxsim.tools.report_html import render

    loaded = _read(result)
    _write(out or _html_path_beside(result), render(loaded))


@report_app.command("compare")
def compare(
    a: Annotated[Path, typer.Argument(metavar="A.json", help="the first run's JSON result")],
    b: Annotated[Path, typer.Argument(metavar="B.json", help="the second run's JSON result")],
    html_path: Annotated[
        Path | None,
        typer.Option("--html", help="also write both runs' plots, overlaid, to this page"),
    ] = None,
) -> None:
    """Show two runs side by side: each stage's p50 and p99, throughput, lost, in flight and
    dead letters, with the change from A to B. Exit 2 when either is not a valid run result."""
    from rxsim.tools.report_compare import compare as table
    from rxsim.tools.report_html import render_comparison

    first, second = _read(a), _read(b)
    names = (a.name, b.name) if a.name != b.name else (str(a), str(b))
    console.print(table(first, second, names))
    if html_path:
        _write(html_path, render_comparison(first, second, names))
