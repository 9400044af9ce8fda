"""`rxsim trace` tells one prescription's story: events in time order, the state after each
from rx.status, carried over by every other event. Built from the real example story."""

import copy
from typing import Any

from rxsim.tools import examples
from rxsim.tools.story import prescription_of, story, summary
from schemas import topics


def test_story_orders_events_by_time_and_carries_the_state() -> None:
    events = [(t.name, e) for t, e in examples.story() if t.name != "rx.deadletter"]
    for second, (_, event) in enumerate(events):  # distinct times, in story order
        event["time"] = f"2025-09-01T08:00:{second:02d}+00:00"
    steps = story(list(reversed(events)))
    assert [s.at for s in steps] == [e["time"] for _, e in events]
    assert steps[0].topic == "rx.issued" and steps[0].state is None
    states = [(s.topic, s.state, s.state_changed) for s in steps[:6]]
    assert states == [
        ("rx.issued", None, False),
        ("rx.status", "VALIDATED", True),
        ("rx.status", "AVAILABLE", True),
        ("citizen.inbox", "AVAILABLE", False),
        ("citizen.choices", "AVAILABLE", False),
        ("rx.status", "ORDERED", True),
    ]


def test_every_event_of_the_story_belongs_to_its_prescription() -> None:
    # The generator run beside the story is about no prescription: it is keyed by its run id.
    events = [(t, e) for t, e in examples.story() if t != topics.HOSPITAL_RUNS]
    code = events[0][1]["subject"]
    assert {prescription_of(t.name, e) for t, e in events} == {code}


def test_summaries_say_what_happened() -> None:
    by_topic: dict[str, Any] = {t.name: e for t, e in reversed(examples.story())}
    assert summary("rx.status", by_topic["rx.status"]) == "ISSUED → VALIDATED"
    assert summary("pharmacy.events", by_topic["pharmacy.events"]).endswith(" dispensed")
    refused = summary("rx.deadletter", by_topic["rx.deadletter"])
    assert refused.startswith("refused by coordinator from rx.issued[2]@418: not JSON")


def test_event_without_a_usable_time_is_kept_first() -> None:
    event = copy.deepcopy(examples.story()[1][1])
    event["time"] = "not a time"
    assert (
        story([("rx.status", examples.story()[0][1]), ("rx.status", event)])[0].at == "not a time"
    )
