"""The coordinator lets an event about a prescription it does not know yet wait for that
prescription's issue while issues are waiting on rx.issued (services/coordinator/bootstrap.py)."""

from schemas import topics
from services.coordinator.bootstrap import ISSUE_WAIT_S, waits_for_its_issue


def test_choices_cancellations_and_pharmacy_reports_wait_while_issues_are_waiting() -> None:
    for topic in (topics.CITIZEN_CHOICES, topics.RX_CANCEL, topics.PHARMACY_EVENTS):
        assert waits_for_its_issue(topic.name, issues_waiting=True, waited=0.0)
        assert not waits_for_its_issue(topic.name, issues_waiting=False, waited=0.0)
    # The issue itself, and the coordinator's own deadlines, never wait.
    assert not waits_for_its_issue(topics.RX_ISSUED.name, issues_waiting=True, waited=0.0)
    assert not waits_for_its_issue(topics.COORDINATOR_DEADLINES.name, True, 0.0)


def test_an_event_waits_a_bounded_time_then_its_prescription_is_unknown() -> None:
    assert waits_for_its_issue(topics.RX_CANCEL.name, True, waited=ISSUE_WAIT_S - 1)
    assert not waits_for_its_issue(topics.RX_CANCEL.name, True, waited=ISSUE_WAIT_S)
