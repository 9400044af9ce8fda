"""`rxsim chaos` keeps its figures and gives its verdict without a broker: every fault is
named under its figure, the table and the JSON show the same figures, and the campaign passes
only when every figure expected to be 0 is 0 and every kill and stop was survived."""

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from rxsim.messaging import codec
from rxsim.scenario import load
from rxsim.tools.chaos import forgotten_within
from rxsim.tools.chaos_figures import EXPECTED_ZERO, Figures
from rxsim.tools.hostile import Landed, hostile_messages
from rxsim.tools.ledger import Story
from rxsim.tools.mutation import json_paths, mutate
from rxsim.tools.replay import CONSUMED
from schemas import topics
from tests.support import factories as make


def a_clean_campaign() -> Figures:
    figures = Figures(runs=9, kills=8, stops=8, replayed=2000, hostile_sent=60, fhir_inputs=200)
    figures.answers.update({202: 20, 422: 180})
    figures.issued, figures.dead_letters = 300, 90
    return figures


def rendered(figures: Figures) -> str:
    console = Console(record=True, width=120)
    console.print(figures.table("rxsim chaos"))
    return console.export_text()


def test_a_campaign_with_no_fault_passes() -> None:
    figures = a_clean_campaign()
    assert figures.passed
    assert figures.named_failures() == []
    values = {row.key: row.value for row in figures.rows()}
    assert values["kills_survived"] == 8 and values["stops_survived"] == 8
    assert all(values[key] == 0 for key in EXPECTED_ZERO)


@pytest.mark.parametrize("figure", [*EXPECTED_ZERO, "kills", "stops"])
def test_any_fault_fails_the_campaign_and_is_named(figure: str) -> None:
    figures = a_clean_campaign()
    figures.fail(figure, "01001abcdefg-c still AVAILABLE")
    assert not figures.passed
    assert figures.named_failures() == [f"{figure}: 01001abcdefg-c still AVAILABLE"]
    assert figures.as_json()["passed"] is False


def test_a_kill_not_survived_counts_against_the_kills() -> None:
    figures = a_clean_campaign()
    figures.fail("kills", "coordinator (round 2): not ready 112 s on")
    rows = {row.key: row for row in figures.rows()}
    assert rows["kills_survived"].value == 7
    assert rows["kills_survived"].expected == "8"


def test_each_fault_counts_once_under_its_figure() -> None:
    figures = a_clean_campaign()
    figures.fail("lost", "a")
    figures.fail("lost", "b")
    figures.fail("server_errors", "c")
    values = {row.key: row.value for row in figures.rows()}
    assert (values["lost"], values["server_errors"], values["dispensed_twice"]) == (2, 1, 0)


def test_a_figure_that_does_not_exist_cannot_hold_a_fault() -> None:
    with pytest.raises(AssertionError):
        a_clean_campaign().fail("lots", "typo")


def test_the_table_and_the_json_show_the_same_figures() -> None:
    figures = a_clean_campaign()
    figures.fail("dropped", "FHIR input 7: submission evt-1 never answered")
    written = json.loads(json.dumps(figures.as_json()))
    text = rendered(figures)
    for row in figures.rows():
        assert written["figures"][row.key] == row.value
        line = next(line for line in text.splitlines() if row.label in line)
        assert f" {row.value} " in line, line
    assert written["fhir_answers"] == {"202": 20, "422": 180}
    assert written["failed"] == {"dropped": ["FHIR input 7: submission evt-1 never answered"]}
    assert "answered 422" in text


def test_mutations_are_seeded_and_leave_the_original_alone() -> None:
    bundle = make.bundle(seed=3)
    original = json.dumps(bundle)
    first, done = mutate(bundle, random.Random(7))
    again, done_again = mutate(bundle, random.Random(7))
    assert (first, done) == (again, done_again)
    assert json.dumps(bundle) == original
    assert first != bundle and 1 <= len(done) <= 3
    assert all(step.split()[0] in ("drop", "replace", "retype") for step in done)


def test_json_paths_reach_every_value() -> None:
    assert json_paths({"a": [1, {"b": 2}]}) == [(), ("a",), ("a", 0), ("a", 1), ("a", 1, "b")]


@pytest.mark.parametrize("name", CONSUMED)
def test_every_hostile_message_is_refused_by_the_decoder(name: str) -> None:
    topic = topics.BY_NAME[name]
    for message in hostile_messages(topic, random.Random(1)):
        with pytest.raises(codec.Undecodable):
            codec.decode(topic, message.value)


def test_a_hostile_message_is_dead_lettered_by_whoever_left_a_letter_at_its_offset() -> None:
    landed = Landed("garbage", "rx.issued", 2, 17)
    letters = [("rx.issued", 2, 17, "coordinator"), ("rx.issued", 2, 18, "hospital")]
    assert landed.dead_lettered(letters) == ["coordinator"]
    assert landed.dead_lettered([("rx.cancel", 2, 17, "coordinator")]) == []


def test_the_replay_does_not_look_at_records_the_coordinator_may_forget_meanwhile() -> None:
    pilot = load("pilot")  # validity 5 days + 90 days kept, at ×14,400: 570 s
    now = datetime.now(UTC)
    kept = (pilot.validity + pilot.kept_after_validity) / pilot.speedup
    near_its_end = Story("s1", "rx1", issued_at=now - kept + timedelta(seconds=60))
    recent = Story("s2", "rx2", issued_at=now)

    assert forgotten_within(near_its_end, pilot, 300)
    assert not forgotten_within(recent, pilot, 300)
