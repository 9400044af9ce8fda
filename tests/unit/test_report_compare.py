"""`rxsim report compare`: the change from A to B per stage and for the totals, with the
percentages computed from A, and a stage or figure that one run lacks shown as missing rather
than as a change."""

import pytest
from rich.console import Console

from rxsim.tools import report_format as fmt
from rxsim.tools.report_compare import Change, changes, compare
from tests.support.run_results import a_run_result, stage_by_id


def by_measure(a: dict, b: dict) -> dict[str, Change]:
    return {change.measure: change for change in changes(a, b)}


def test_each_stage_has_its_p50_and_p99_change_in_percent_of_a() -> None:
    a, b = a_run_result(), a_run_result()
    stage_by_id(b, "issued_to_visible")["latency_ms"].update(p50=54.0, p99=55.0)  # 36, 110
    stage_by_id(b, "issued_to_terminal")["latency_ms"].update(p50=2520.0)  # 2100

    found = by_measure(a, b)

    p50, p99 = found["issued → in the app · p50"], found["issued → in the app · p99"]
    assert (p50.a, p50.b, p50.percent) == (36.0, 54.0, pytest.approx(50.0))
    assert p50.change() == "+50.0%" and p50.better is False
    assert (p99.percent, p99.change(), p99.better) == (pytest.approx(-50.0), "-50.0%", True)
    assert found["issued → terminal · p50"].change() == "+20.0%"
    assert found["chosen → accepted · p99"].change() == "same"
    assert found["chosen → accepted · p99"].better is None


def test_stages_keep_a_order_then_those_only_in_b() -> None:
    a, b = a_run_result(), a_run_result()
    only_in_b = {**b["stages"][0], "id": "dispensed_to_delivered", "label": "dispensed → delivered"}
    b["stages"] = [*b["stages"][::-1], only_in_b]
    measures = [change.measure for change in changes(a, b)]
    assert measures[:2] == ["issued → in the app · p50", "issued → in the app · p99"]
    assert measures[8:10] == ["dispensed → delivered · p50", "dispensed → delivered · p99"]
    new = by_measure(a, b)["dispensed → delivered · p50"]
    assert (new.a, new.percent, new.change(), new.shown(new.a)) == (None, None, "—", "—")


def test_a_stage_that_measured_nothing_is_no_figure_not_a_fall_to_zero() -> None:
    a, b = a_run_result(), a_run_result()
    stage_by_id(b, "chosen_to_accepted")["latency_ms"] = dict.fromkeys(
        ("n", "p50", "p90", "p99", "p999", "max", "mean"), 0
    )
    change = by_measure(a, b)["chosen → accepted · p50"]
    assert (change.a, change.b, change.change()) == (12.0, None, "—")


def test_totals_compare_throughput_loss_in_flight_and_dead_letters() -> None:
    a, b = a_run_result(stuck=0), a_run_result(stuck=4)
    b["load"]["achieved_rate"] = 25.0
    b["outcomes"]["lost"] = 3
    b["outcomes"]["dead_letters"] = 0

    found = by_measure(a, b)

    rate = found["throughput (achieved rate)"]
    assert (rate.percent, rate.change(), rate.better) == (pytest.approx(25.0), "+25.0%", True)
    assert (rate.shown(rate.a), rate.shown(rate.b)) == ("20.0/s", "25.0/s")
    lost = found["lost"]
    assert (lost.percent, lost.change(), lost.better) == (None, "from 0 to 3", False)
    assert found["in flight at the end"].change() == "from 0 to 4"
    assert found["dead letters"].change() == "same"
    assert list(found)[-4:] == [
        "throughput (achieved rate)",
        "lost",
        "in flight at the end",
        "dead letters",
    ]


@pytest.mark.parametrize(
    ("before", "after", "percent"),
    [(100, 150, 50.0), (200, 50, -75.0), (3, 3, 0.0), (0, 0, 0.0), (0, 5, None), (4, 0, -100.0)],
)
def test_percent_change_is_relative_to_the_first_run(
    before: float, after: float, percent: float | None
) -> None:
    assert fmt.percent_change(before, after) == percent


def test_the_terminal_table_names_both_files_and_shows_each_change() -> None:
    a, b = a_run_result(), a_run_result()
    stage_by_id(b, "issued_to_visible")["latency_ms"]["p50"] = 54.0
    b["load"]["achieved_rate"] = 25.0
    console = Console(record=True, width=100)
    console.print(compare(a, b, ("before[x].json", "after.json")))
    text = console.export_text()

    assert "before[x].json → after.json" in text  # a file name is not taken for markup
    assert "before[x].json" in text.splitlines()[2]
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if "│" in line}
    cells = [cell.strip() for cell in lines["issued → in the app · p50"].split("│")[2:5]]
    assert cells == ["36.0", "54.0", "+50.0%"]
    assert "+25.0%" in lines["throughput (achieved rate)"]
    assert "same" in lines["dead letters"]
