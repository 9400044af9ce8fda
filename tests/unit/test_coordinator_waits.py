"""After its start, the coordinator lets an event about a prescription it does not know yet
wait for that prescription's issue (services/coordinator/bootstrap.py)."""

import time

from schemas import topics
from services.coordinator.bootstrap import ISSUE_WAIT_S, waits_for_its_issue


def test_choices_cancellations_and_pharmacy_reports_wait_just_after_a_start() -> None:
    just_started = time.monotonic()
    for topic in (topics.CITIZEN_CHOICES, topics.RX_CANCEL, topics.PHARMACY_EVENTS):
        assert waits_for_its_issue(topic.name, just_started)
    # The issue itself, and the coordinator's own deadlines, never wait.
    assert not waits_for_its_issue(topics.RX_ISSUED.name, just_started)
    assert not waits_for_its_issue(topics.COORDINATOR_DEADLINES.name, just_started)


def test_long_after_a_start_an_unknown_prescription_is_unknown() -> None:
    long_ago = time.monotonic() - ISSUE_WAIT_S - 1
    assert not waits_for_its_issue(topics.CITIZEN_CHOICES.name, long_ago)
