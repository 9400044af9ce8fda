"""`rxsim trace` tells one prescription's story: events in time order, the state after each
from rx.status, carried over by every other event. Built from the real example story."""

import copy
from typing import Any

from rxsim.tools import examples
from rxsim.tools.story import about, event_name, prescription_of, story, summary
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


def test_every_event_type_has_a_readable_name_and_summary() -> None:
    # Every topic appears in the example story; none may be told by its raw type name.
    told = {t.name: (event_name(t.name, e), summary(t.name, e)) for t, e in examples.story()}
    assert set(told) == {t.name for t in topics.ALL_TOPICS}
    for topic, (name, said) in told.items():
        assert "vn.rxsim" not in name and "vn.rxsim" not in said, topic
        assert name and said and name != said, topic


def test_alerts_cancellations_runs_and_audits_are_told_in_plain_words() -> None:
    by_topic: dict[str, Any] = {t.name: e for t, e in reversed(examples.story())}
    alert = summary("pharmacy.alerts", by_topic["pharmacy.alerts"])
    assert alert.startswith("NT001001 blocked the sale of lot XX480213 of VD-30372-18: Lô")
    asked = summary("pharmacy.cancellations", by_topic["pharmacy.cancellations"])
    assert asked == "NT001001 asked to return it: Kê nhầm liều (wrong dose)"
    run = summary("hospital.generator-runs", by_topic["hospital.generator-runs"])
    assert run == "generator run started: 0 of 300 issued at 12.0/s"
    audit = summary("rx.audit", by_topic["rx.audit"])
    assert audit.startswith("citizen 001085001234 read")
    assert event_name("pharmacy.events", by_topic["pharmacy.events"]) == "pharmacy: dispensed"


def test_a_story_is_found_by_its_submission_id_as_by_its_code() -> None:
    events = [(t.name, e) for t, e in examples.story()]
    issued = events[0][1]
    code, submission = issued["subject"], issued["id"]
    by_code = [e["id"] for t, e in events if about(t, e, code)]
    by_submission = [e["id"] for t, e in events if about(t, e, submission)]
    assert by_submission and set(by_submission) <= set(by_code)
    assert issued["id"] in by_submission
    assert not [e for t, e in events if about(t, e, "01001zzzzzzz-c")]
