"""`rxsim report html` and `rxsim report compare` as a user runs them, on result files: the page
is written where asked, the table names both files, and a file that is not a run result gives
one line on stderr and exit 2, never a traceback."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from rxsim.cli.main import app
from tests.support.run_results import a_run_result, plotted, stage_by_id


def rxsim(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": "120"})


def written(path: Path, result: dict[str, Any]) -> Path:
    path.write_text(json.dumps(result), encoding="utf-8")
    return path


def test_html_writes_the_page_beside_the_result(tmp_path: Path) -> None:
    result = written(tmp_path / "run.json", a_run_result())

    ran = rxsim("report", "html", result)

    assert ran.exit_code == 0, ran.output
    page = (tmp_path / "run.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'id="throughput"' in page
    assert f"report: {tmp_path / 'run.html'}" in ran.stdout


def test_html_writes_where_out_says(tmp_path: Path) -> None:
    result = written(tmp_path / "run.json", a_run_result())
    out = tmp_path / "pages" / "today.html"
    out.parent.mkdir()

    ran = rxsim("report", "html", result, "--out", out)

    assert ran.exit_code == 0, ran.output
    assert "<title>rxsim load · pilot</title>" in out.read_text(encoding="utf-8")
    assert not (tmp_path / "run.html").exists()


def test_a_result_named_html_is_not_overwritten_by_its_page(tmp_path: Path) -> None:
    result = written(tmp_path / "run.html", a_run_result())
    assert rxsim("report", "html", result).exit_code == 0
    assert json.loads(result.read_text(encoding="utf-8")) == a_run_result()
    assert (tmp_path / "run.html.html").exists()


def test_compare_prints_each_change_and_writes_the_overlaid_page(tmp_path: Path) -> None:
    slower = a_run_result()
    stage_by_id(slower, "issued_to_visible")["latency_ms"]["p50"] = 54.0  # was 36
    a = written(tmp_path / "before.json", a_run_result())
    b = written(tmp_path / "after.json", slower)
    page = tmp_path / "compare.html"

    ran = rxsim("report", "compare", a, b, "--html", page)

    assert ran.exit_code == 0, ran.output
    assert "before.json → after.json" in ran.stdout
    row = next(line for line in ran.stdout.splitlines() if "issued → in the app · p50" in line)
    assert [cell.strip() for cell in row.split("│")[2:5]] == ["36.0", "54.0", "+50.0%"]
    throughput = plotted(page.read_text(encoding="utf-8"), "throughput")
    assert {"before.json · sent", "after.json · sent"} <= set(throughput)


def test_compare_of_files_with_one_name_names_them_by_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for folder in ("a", "b"):
        Path(folder).mkdir()
        written(Path(folder) / "run.json", a_run_result())

    ran = rxsim("report", "compare", "a/run.json", "b/run.json")

    assert ran.exit_code == 0, ran.output
    assert ran.stdout.startswith("a/run.json → b/run.json")


def invalid(path: Path) -> Path:
    result = a_run_result()
    result["load"]["sent"] = -1
    return written(path, result)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda path: path, "run.json: no such file"),
        (lambda path: path.write_text("{oops") and path, "run.json: not JSON (Expecting property "
                                                         "name enclosed in double quotes"),
        (invalid, "run.json: not a valid run result: $.load.sent: -1 is less than the minimum "
                  "of 0"),
    ],
    ids=["missing", "not JSON", "not a run result"],
)  # fmt: skip
@pytest.mark.parametrize("command", ["html", "compare"])
def test_a_file_that_is_no_run_result_is_one_line_and_exit_2(
    tmp_path: Path, make: Any, says: str, command: str
) -> None:
    bad = make(tmp_path / "run.json")
    good = written(tmp_path / "good.json", a_run_result())
    args = [bad] if command == "html" else [good, bad]

    ran = rxsim("report", command, *args)

    assert ran.exit_code == 2
    assert ran.stdout == ""
    (line,) = ran.stderr.splitlines()
    assert line.startswith(f"error: {tmp_path}/{says}")
    assert "Traceback" not in ran.output
    assert not (tmp_path / "run.html").exists()


def test_a_page_that_cannot_be_written_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = written(tmp_path / "run.json", a_run_result())
    ran = rxsim("report", "html", result, "--out", tmp_path / "missing" / "run.html")
    assert ran.exit_code == 2
    assert ran.stderr.strip() == (
        f"error: {tmp_path}/missing/run.html: cannot be written (No such file or directory)"
    )
