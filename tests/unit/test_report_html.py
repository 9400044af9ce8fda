"""The HTML report of a run result: the plots carry the run's figures, every string from the
result is escaped, the page needs nothing from the network, and it says plainly whether the
run passed and why not."""

import re
from functools import cache

from rxsim.tools.report_html import STUCK_ROWS_SHOWN, render, render_comparison
from rxsim.tools.run_result import problems
from tests.support.run_results import (
    HOSTILE_ID,
    LAG,
    SENT_PER_SECOND,
    TERMINAL_PER_SECOND,
    VISIBLE_P50_MS,
    VISIBLE_P99_MS,
    VISIBLE_PER_SECOND,
    a_run_result,
    plotted,
    stage_by_id,
)

PLOT_IDS = ("throughput", "latency", "lag", "stages", "outcomes")


@cache
def a_report() -> str:
    return render(a_run_result())


def test_throughput_plots_each_second_target_sent_visible_and_terminal() -> None:
    traces = plotted(a_report(), "throughput")

    assert set(traces) == {"target rate", "sent", "in the app", "terminal"}
    assert traces["sent"]["x"] == [0, 1, 2, 3, 4]
    assert traces["sent"]["y"] == SENT_PER_SECOND
    assert traces["in the app"]["y"] == VISIBLE_PER_SECOND
    assert traces["terminal"]["y"] == TERMINAL_PER_SECOND
    assert traces["target rate"]["y"] == [20] * 5


def test_latency_over_time_keeps_a_second_with_nothing_seen_as_a_gap() -> None:
    traces = plotted(a_report(), "latency")

    assert traces["p50"]["y"] == VISIBLE_P50_MS
    assert traces["p99"]["y"] == VISIBLE_P99_MS
    assert traces["p50"]["y"][2] is None
    assert traces["p50"]["connectgaps"] is False


def test_lag_is_one_line_per_service_with_its_topics_added() -> None:
    traces = plotted(a_report(), "lag")

    assert list(traces) == ["coordinator", "citizen_app"]
    assert traces["coordinator"]["y"] == [sum(second["coordinator"].values()) for second in LAG]
    assert traces["coordinator"]["y"] == [4, 7, 8, 3, 0]
    assert traces["citizen_app"]["y"] == [2, 0, None, 4, 1]  # it did not answer in second 2


def test_stages_are_bars_of_p50_and_p99_named_with_their_clock() -> None:
    result = a_run_result()
    traces = plotted(render(result), "stages")

    assert traces["p50"]["x"][0] == "issued → in the app (pipeline)"
    assert traces["p50"]["x"][2] == "accepted → dispensed (scenario)"
    assert traces["p50"]["y"] == [s["latency_ms"]["p50"] for s in result["stages"]]
    assert traces["p99"]["y"] == [s["latency_ms"]["p99"] for s in result["stages"]]


def test_a_stage_that_measured_nothing_has_no_bar_and_no_figures() -> None:
    result = a_run_result()
    stage_by_id(result, "chosen_to_accepted")["latency_ms"] = dict.fromkeys(
        ("n", "p50", "p90", "p99", "p999", "max", "mean"), 0
    )
    page = render(result)

    assert "chosen → accepted (pipeline)" not in plotted(page, "stages")["p50"]["x"]
    row = re.search(r"<tr><td>chosen → accepted \(pipeline\)</td>.*?</tr>", page)
    assert row and row.group(0).count("—") == 6  # n is 0; no percentile is shown as 0 ms


def test_outcome_mix_is_the_terminal_states_largest_first() -> None:
    traces = plotted(a_report(), "outcomes")
    assert traces["prescriptions"]["x"] == ["DELIVERED", "EXPIRED", "CANCELLED"]
    assert traces["prescriptions"]["y"] == [89, 6, 4]


def test_every_string_from_the_result_is_escaped_in_tables_and_plots() -> None:
    result = a_run_result()
    result["scenario"]["name"] = "pilot<i>zq1</i>"
    result["timeline"][0]["lag"]["<i>zq2</i>"] = {"rx.issued": 1}
    result["outcomes"]["by_state"]["<i>zq3</i>"] = 1
    result["thresholds"][0]["expression"] = "p99 <i>zq4</i> < 200"
    page = render(result)

    assert HOSTILE_ID not in page
    assert "<td>RX-&lt;script&gt;alert(1)&lt;/script&gt;</td>" in page
    for marker in ("zq1", "zq2", "zq3", "zq4"):
        assert f"<i>{marker}" not in page
    assert "<title>rxsim load · pilot&lt;i&gt;zq1&lt;/i&gt;</title>" in page
    assert "&lt;i&gt;zq2&lt;/i&gt;" in plotted(page, "lag")  # plotly.js shows entities as text
    assert "&lt;i&gt;zq3&lt;/i&gt;" in plotted(page, "outcomes")["prescriptions"]["x"]


def test_the_page_opens_offline_with_plotly_embedded_once() -> None:
    page = a_report()

    assert re.search(r"<script[^>]*\ssrc=", page) is None
    assert re.search(r"<link\b", page) is None
    assert "@import" not in page and "url(" not in page.split("</style>")[0]
    assert page.count("* plotly.js v") == 1
    for plot_id in PLOT_IDS:
        assert page.count(f'<div id="{plot_id}"') == 1
        assert len(plotted(page, plot_id)) >= 1
    assert page.index("* plotly.js v") < page.index("Plotly.newPlot(")


def test_a_run_that_passed_says_so() -> None:
    page = render(a_run_result(stuck=0))
    assert "Passed: nothing lost or still in flight, and every threshold held." in page
    assert "Did not pass" not in page


def test_a_run_that_did_not_pass_says_each_reason() -> None:
    result = a_run_result(stuck=2)
    result["outcomes"]["lost"] = 3
    page = render(result)

    assert "<strong>Did not pass:</strong>" in page
    # the same lines as the terminal prints (rxsim.tools.run_result.why_not_passed)
    assert "<li>lost: 3 prescriptions sent were never seen</li>" in page
    assert "<li>in flight: 2 prescriptions did not reach an end</li>" in page
    assert "<li>threshold broken: in_flight == 0 (measured 2)</li>" in page
    assert '<td>in_flight == 0</td><td class="n">2</td><td><span class="bad">broken</span>' in page
    assert '<td class="n">110</td><td><span class="good">held</span>' in page


def test_loss_accounting_says_when_issued_is_not_terminal_plus_in_flight() -> None:
    holds = render(a_run_result())
    assert 'issued 100 = terminal 99 + in flight 1: <span class="good">holds</span>' in holds

    result = a_run_result()
    result["outcomes"]["terminal"] = 95
    assert "does not hold: 4 unaccounted for" in render(result)


def test_at_most_a_hundred_stuck_prescriptions_are_named_and_the_rest_counted() -> None:
    page = render(a_run_result(stuck=250))

    assert "<h3>Still in flight (250)</h3>" in page
    assert page.count("<td>RX-") == STUCK_ROWS_SHOWN == 100
    assert "<td>RX-00099</td>" in page
    assert "<td>RX-00100</td>" not in page
    assert "and 150 more, named in the JSON result" in page


def test_the_header_says_what_ran_where_and_when() -> None:
    page = a_report()
    for row in (
        "<td>command</td><td>rxsim load</td>",
        "<td>scenario</td><td>pilot, clock ×14,400</td>",
        "<td>started</td><td>2026-05-04 09:30:00 +0700</td>",
        "<td>elapsed</td><td>12.4 s</td>",
        "<td>machine</td><td>2 CPUs · Python 3.11.9 · Linux-6.8-x86_64</td>",
        "<td>rate</td><td>20.0/s</td><td>20.0/s achieved</td>",
        "<td>prescriptions</td><td>100 scheduled</td><td>100 sent</td>",
    ):
        assert row in page


def test_the_broker_memory_is_shown_when_the_run_recorded_it() -> None:
    assert "broker memory" not in a_report()
    result = a_run_result()
    result["memory"] = {"budget_mb": 4000, "estimated_broker_mb": 11.5, "broker_rss_mb": 230.4}
    assert problems(result) == []
    page = render(result)
    assert (
        "<td>broker memory</td><td>4,000 MB budget, 12 MB estimated</td><td>230 MB at the end</td>"
    ) in page
    result["memory"]["broker_rss_mb"] = None
    assert "<td>an external broker</td>" in render(result)


def test_where_the_cpu_and_memory_went_is_shown_busiest_process_first() -> None:
    assert "<h2>Processes</h2>" not in a_report()
    result = a_run_result()
    result["processes"] = {
        "pharmacy": {"cpu_cores_mean": 0.2, "cpu_ms_per_prescription": 2.0, "rss_mb_first": 80.0,
                     "rss_mb_last": 85.0, "rss_mb_max": 90.0, "restarts": 0},
        "broker": {"cpu_cores_mean": 0.5, "cpu_ms_per_prescription": 5.0, "rss_mb_first": 20.0,
                   "rss_mb_last": 900.0, "rss_mb_max": 900.0, "restarts": 0},
        "sender": {"cpu_cores_mean": None, "cpu_ms_per_prescription": None, "rss_mb_first": 40.0,
                   "rss_mb_last": 40.0, "rss_mb_max": 40.0, "restarts": 0},
    }  # fmt: skip
    assert problems(result) == []
    page = render(result)
    rows = re.findall(r"<tr><td>(\w+)</td>", page.split("<h2>Processes</h2>")[1])
    assert rows[:3] == ["broker", "pharmacy", "sender"]
    assert '<td class="n">0.50</td><td class="n">5.00</td><td class="n">20 → 900</td>' in page
    result["processes"]["broker"]["restarts"] = -1
    assert problems(result)


def test_a_comparison_overlays_both_runs_named_by_their_files() -> None:
    a, b = a_run_result(), a_run_result()
    b["timeline"][0]["sent"] = 7
    stage_by_id(b, "issued_to_visible")["latency_ms"]["p50"] = 54.0
    page = render_comparison(a, b, ("before.json", "after<i>.json"))

    throughput = plotted(page, "throughput")
    assert throughput["before.json · sent"]["y"] == SENT_PER_SECOND
    assert throughput["after&lt;i&gt;.json · sent"]["y"] == [7, *SENT_PER_SECOND[1:]]
    assert throughput["after&lt;i&gt;.json · sent"]["line"]["dash"] == "dash"
    assert set(plotted(page, "lag")) == {
        f"{name} · {service}"
        for name in ("before.json", "after&lt;i&gt;.json")
        for service in ("coordinator", "citizen_app")
    }
    assert "after<i>" not in page
    assert (
        '<td>issued → in the app · p50</td><td class="n">36.0</td><td class="n">54.0</td>'
        '<td class="n"><span class="bad">+50.0%</span></td>'
    ) in page
    assert page.count("* plotly.js v") == 1
