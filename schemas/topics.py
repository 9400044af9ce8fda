"""Every topic, declared once with its key, its event type and its data model.

Services import topics from here by name; no topic name is retyped elsewhere.
"""

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from schemas import events


class Compatibility(StrEnum):
    """How a topic's contract may change between releases (the Schema Registry's terms).

    BACKWARD: consumers upgrade first (the new schema reads data written under the old one).
    FORWARD: producers upgrade first (the old schema reads data written under the new one).
    FULL: both, for topics whose producers and consumers are released independently.
    """

    BACKWARD = "BACKWARD"
    FORWARD = "FORWARD"
    FULL = "FULL"


class Personal(StrEnum):
    """A citizen's personal data a topic may carry in clear (tokens: none ever does)."""

    CCCD = "CCCD"
    NAME = "name"
    ADDRESS = "address"


NOTHING_PERSONAL: frozenset[Personal] = frozenset()


@dataclass(frozen=True)
class Topic:
    name: str
    key: str
    event_type: str
    data_model: type[BaseModel]
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    datacontenttype: str = "application/json"
    compatibility: Compatibility = Compatibility.BACKWARD
    # What of a citizen's personal data its events carry, because a consumer needs it; a
    # topic carries no other (tests/integration/test_personal_data_on_topics.py).
    personal: frozenset[Personal] = NOTHING_PERSONAL

    @property
    def dataschema(self) -> str:
        return f"urn:rxsim:schema:{self.event_type}:1"


RX_ISSUED = Topic(
    "rx.issued",
    "prescription id",
    "vn.rxsim.rx.issued",
    events.PrescriptionIssued,
    ("hospital",),
    # The hospital reads back its own submissions to rebuild its view after a restart.
    ("coordinator", "hospital"),
    "application/fhir+json",
    # Hospitals' own systems write here and are released apart from the coordinator, in either
    # order; the Bundle's content model is open, so optional additions stay FULL-compatible.
    Compatibility.FULL,
    # the Bundle's Patient: the national rules check the CCCD, age and guardian
    personal=frozenset({Personal.CCCD, Personal.NAME, Personal.ADDRESS}),
)
RX_CANCEL = Topic(
    "rx.cancel",
    "prescription id",
    "vn.rxsim.rx.cancellation-requested",
    events.CancellationRequested,
    ("hospital",),
    ("coordinator", "hospital"),  # the hospital: which cancellations it already sent
)
RX_STATUS = Topic(
    "rx.status",
    "prescription id",
    "vn.rxsim.rx.status-changed",
    events.StatusChanged,
    ("coordinator",),
    ("hospital", "citizen_app", "tools"),
    # whose it is, for the audit trail per citizen; its readers (the issuing hospital,
    # the patient's app) know it already
    personal=frozenset({Personal.CCCD}),
)
CITIZEN_INBOX = Topic(
    "citizen.inbox",
    "citizen id (CCCD)",
    "vn.rxsim.citizen.prescription-available",
    events.PrescriptionAvailable,
    ("coordinator",),
    ("citizen_app",),
    # the key, and the name the app shows (a parent sees a child's prescriptions)
    personal=frozenset({Personal.CCCD, Personal.NAME}),
)
CITIZEN_CHOICES = Topic(
    "citizen.choices",
    "prescription id",
    "vn.rxsim.citizen.pharmacy-chosen",
    events.PharmacyChosen,
    ("citizen_app",),
    ("coordinator", "citizen_app"),  # the app: which choices it already sent
    # who chose (only the patient may), and where to deliver
    personal=frozenset({Personal.CCCD, Personal.ADDRESS}),
)
PHARMACY_ORDERS = Topic(
    "pharmacy.orders",
    "pharmacy id",
    "vn.rxsim.pharmacy.order-placed",
    events.OrderPlaced,
    ("coordinator",),
    ("pharmacy",),
    # where the courier goes (home delivery only); not whose it is
    personal=frozenset({Personal.ADDRESS}),
)
PHARMACY_EVENTS = Topic(
    "pharmacy.events",
    "prescription id",
    "vn.rxsim.pharmacy.order-updated",
    events.PharmacyUpdated,
    ("pharmacy",),
    ("coordinator",),
)
PHARMACY_CANCELLATIONS = Topic(
    "pharmacy.cancellations",
    "pharmacy id",
    "vn.rxsim.pharmacy.cancellation-requested",
    events.OrderCancellationRequested,
    ("coordinator",),
    ("pharmacy",),
)
PHARMACY_ALERTS = Topic(
    "pharmacy.alerts",
    "drug registration number",
    "vn.rxsim.pharmacy.counterfeit-suspected",
    events.CounterfeitSuspected,
    ("pharmacy",),
    ("tools",),
)
COORDINATOR_DEADLINES = Topic(
    "coordinator.deadlines",
    "prescription id",
    "vn.rxsim.coordinator.deadline-reached",
    events.DeadlineReached,
    ("coordinator",),
    ("coordinator",),
)
HOSPITAL_RUNS = Topic(
    "hospital.generator-runs",
    "run id",
    "vn.rxsim.hospital.generator-run-recorded",
    events.GeneratorRunRecorded,
    ("hospital",),
    ("hospital",),
)
RX_DEADLETTER = Topic(
    "rx.deadletter",
    "the original key",
    "vn.rxsim.deadletter",
    events.DeadLettered,
    ("coordinator", "pharmacy", "citizen_app", "hospital"),
    ("tools",),
    # a copy of what a consumer refused (base64), whatever it carried
    personal=frozenset({Personal.CCCD, Personal.NAME, Personal.ADDRESS}),
)
RX_AUDIT = Topic(
    "rx.audit",
    "prescription id, or the citizen's CCCD for a read of several",
    "vn.rxsim.audit.recorded",
    events.AuditRecorded,
    # and the operations dashboard (rxsim/tools/dashboard), for every search of a history
    ("hospital", "coordinator", "pharmacy", "citizen_app", "dashboard"),
    ("tools",),  # `rxsim audit`
    "application/json",
    # Read by auditors' own tools too: FULL, like the prescriptions hospitals write.
    Compatibility.FULL,
    # whose data was read or changed, and which citizen asked
    personal=frozenset({Personal.CCCD}),
)

ALL_TOPICS: tuple[Topic, ...] = (
    RX_ISSUED,
    RX_CANCEL,
    RX_STATUS,
    CITIZEN_INBOX,
    CITIZEN_CHOICES,
    PHARMACY_ORDERS,
    PHARMACY_EVENTS,
    PHARMACY_CANCELLATIONS,
    PHARMACY_ALERTS,
    COORDINATOR_DEADLINES,
    HOSPITAL_RUNS,
    RX_DEADLETTER,
    RX_AUDIT,
)
BY_NAME: dict[str, Topic] = {topic.name: topic for topic in ALL_TOPICS}


def reads_of(service: str) -> tuple[Topic, ...]:
    """The topics a service consumes: this module is the only place that says so."""
    return tuple(topic for topic in ALL_TOPICS if service in topic.consumers)


def writes_of(service: str) -> tuple[Topic, ...]:
    """The topics a service produces to (dead letters included)."""
    return tuple(topic for topic in ALL_TOPICS if service in topic.producers)


class UndeclaredWrite(Exception):
    """A service published to a topic that this module does not list it as producing."""


def check_write(service: str, topic: Topic) -> None:
    """Refuse a write the topology does not declare, so the declaration cannot drift."""
    if service not in topic.producers:
        raise UndeclaredWrite(f"{service} does not write {topic.name} (see schemas/topics.py)")
