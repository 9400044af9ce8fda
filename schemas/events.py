"""The data of every event type. Past-tense names: each states a fact that happened."""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class State(StrEnum):
    """The prescription's business state, owned by the coordinator."""

    ISSUED = "ISSUED"
    VALIDATED = "VALIDATED"
    REJECTED = "REJECTED"
    AVAILABLE = "AVAILABLE"
    ORDERED = "ORDERED"
    ACCEPTED = "ACCEPTED"
    # The prescriber cancelled while a pharmacy held it: cancelled once the pharmacy returns
    # it, dispensed if the pharmacy had already sold it (NHS EPS semantics).
    PENDING_CANCELLATION = "PENDING_CANCELLATION"
    DISPENSED = "DISPENSED"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    DELIVERED = "DELIVERED"
    PICKED_UP = "PICKED_UP"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class Fulfilment(StrEnum):
    DELIVERY = "delivery"
    PICKUP = "pickup"


class PrescriptionIssued(BaseModel):
    """rx.issued: a FHIR Bundle (MedicationRequest(s), Patient, Practitioner, Organization).

    Only the outer shape is checked here; the coordinator validates the whole Bundle once.
    """

    model_config = ConfigDict(extra="allow")

    resourceType: Literal["Bundle"]
    entry: list[dict[str, Any]] = Field(min_length=1)


# VN Core's prescription-code namespace (rxsim.domain.systems names it from here): the contracts
# read a prescription's code by it, and sit below the domain.
SYSTEM_PRESCRIPTION_CODE = "http://fhir.hl7.org.vn/core/sid/prescription-code"
# FHIR R4 MedicationRequest.intent, a required binding (http://hl7.org/fhir/CodeSystem/medicationrequest-intent).
RequestIntent = Literal[
    "proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
    "instance-order", "option",
]  # fmt: skip


class Identifier(BaseModel):
    """A FHIR Identifier: only what naming a prescription needs is checked."""

    model_config = ConfigDict(extra="allow", frozen=True)

    system: str | None = None
    value: str | None = None


class StatusReason(BaseModel):
    """A FHIR CodeableConcept: why the prescriber cancelled, in `text` (and any codings)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    text: str | None = None


class CancellationRequested(BaseModel):
    """rx.cancel: the prescriber withdraws a prescription. A FHIR R4 MedicationRequest of it
    with status `cancelled`, as a hospital system sends one (NHS England's EPS cancels the
    same way): `statusReason` says why, and the prescription code, in `groupIdentifier` (the
    requisition, as on rx.issued) or an `identifier` of the prescription-code system, names
    the prescription, whose every line is withdrawn (a prescription is never amended). Any
    other element of a MedicationRequest may come with it and is carried as sent.
    """

    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        json_schema_extra={  # FHIR's medication[x]: exactly one of the two
            "oneOf": [
                {"required": ["medicationCodeableConcept"]},
                {"required": ["medicationReference"]},
            ]
        },
    )

    resourceType: Literal["MedicationRequest"]
    status: Literal["cancelled"]
    intent: RequestIntent
    subject: dict[str, Any] = Field(description="FHIR Reference to the patient")
    groupIdentifier: Identifier | None = None
    identifier: list[Identifier] | None = None
    statusReason: StatusReason | None = None
    medicationCodeableConcept: dict[str, Any] | None = None
    medicationReference: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _named_and_one_medication(self) -> "CancellationRequested":
        if (self.medicationCodeableConcept is None) == (self.medicationReference is None):
            raise ValueError("one of medicationCodeableConcept or medicationReference")
        if not self.prescription_id:
            raise ValueError(f"no groupIdentifier or identifier in {SYSTEM_PRESCRIPTION_CODE}")
        return self

    @property
    def prescription_id(self) -> str:
        """The code of the prescription withdrawn ("" when none is named)."""
        named = [self.groupIdentifier, *(self.identifier or [])]
        return next(
            (i.value for i in named if i and i.system == SYSTEM_PRESCRIPTION_CODE and i.value),
            "",
        )

    @property
    def reason(self) -> str:
        return (self.statusReason.text if self.statusReason else None) or "cancelled by prescriber"


class Item(_Data):
    """One drug line as the citizen and the pharmacy see it."""

    drug_code: str
    name: str
    quantity: float = Field(gt=0)
    unit: str
    instructions: str = ""


class RequestRefused(_Data):
    """A request from a person (the prescriber's cancellation, the citizen's choice) that the
    coordinator could not apply; the prescription stays as it was."""

    request: Literal["cancel", "choice"]
    event_id: str = Field(description="id of the refused event (on rx.cancel or citizen.choices)")
    reason_code: str
    reason: str = Field(description="why, in Vietnamese with an English gloss")


class StatusChanged(_Data):
    """rx.status: the prescription moved to `state` (with a FHIR Task for FHIR readers), or,
    with `refused`, a request about it was refused and it stays in `state`."""

    prescription_id: str
    state: State
    previous_state: State | None = None
    reason_code: str | None = None
    reason: str | None = None
    facility_code: str | None = None
    citizen_id: str | None = None
    pharmacy_id: str | None = None
    fulfilment: Fulfilment | None = None
    issued_at: datetime | None = None
    task: dict[str, Any]
    outcome: dict[str, Any] | None = Field(
        default=None,
        description="FHIR OperationOutcome naming every problem, when the state is REJECTED",
    )
    refused: RequestRefused | None = Field(
        default=None,
        description="set when this event answers a refused request: the state did not change",
    )


class PrescriptionAvailable(_Data):
    """citizen.inbox: a prescription the citizen may now take to any pharmacy."""

    prescription_id: str
    citizen_id: str
    patient_name: str
    facility_code: str
    facility_name: str
    prescriber_name: str
    type_letter: str
    items: list[Item] = Field(min_length=1)
    valid_until: datetime
    home_delivery_allowed: bool
    declined_by: list[str] = Field(default_factory=list)
    simulated: bool = False


class PharmacyChosen(_Data):
    """citizen.choices: the citizen chose a pharmacy and how to receive the drugs."""

    prescription_id: str
    citizen_id: str
    pharmacy_id: str
    fulfilment: Fulfilment
    address: str | None = None


class OrderPlaced(_Data):
    """pharmacy.orders: a fulfilment request (FHIR Task) with the MedicationRequests it needs,
    signed by the coordinator (the envelope's `signature`): the pharmacy declines one that is
    not, or was changed after signing, and dispenses nothing for it."""

    prescription_id: str
    pharmacy_id: str
    fulfilment: Fulfilment
    address: str | None = None
    items: list[Item] = Field(min_length=1)
    simulated: bool = False
    task: dict[str, Any]
    medication_requests: list[dict[str, Any]] = Field(
        min_length=1,
        description="FHIR MedicationRequests as issued, with what dispensing needs: without "
        "their dosage text (each item's `instructions` carries it once), diagnosis "
        "(reasonCode, reasonReference), narrative (text), notes and supportingInformation",
    )
    valid_until: datetime | None = Field(
        default=None,
        description="when the prescription's validity ends: it may not be dispensed after",
    )


PharmacyEventKind = Literal[
    "accepted",
    "declined",
    "dispensed",
    "out_for_delivery",
    "delivery_failed",
    "delivered",
    "picked_up",
    "returned",
]


class PharmacyUpdated(_Data):
    """pharmacy.events: what the pharmacy or its courier did with an order."""

    prescription_id: str
    pharmacy_id: str
    kind: PharmacyEventKind
    reason: str | None = None
    reason_code: str | None = Field(
        default=None,
        description="why an order was declined, as a code, where there is one: "
        "SIGNATURE_MISSING, SIGNATURE_MALFORMED, SIGNATURE_FACILITY_MISMATCH, "
        "SIGNATURE_UNKNOWN_KEY or SIGNATURE_INVALID for an order the coordinator did not sign "
        "as it arrived (nothing is dispensed for it)",
    )
    dispenses: list[dict[str, Any]] = Field(
        default_factory=list, description="FHIR MedicationDispense, one per item (kind dispensed)"
    )
    sold: dict[str, float] = Field(
        default_factory=dict,
        description="units sold per drug code in this dispense (kind dispensed); less than "
        "prescribed is a partial sale",
    )


class OrderCancellationRequested(_Data):
    """pharmacy.cancellations: the prescriber cancelled a prescription this pharmacy holds;
    the pharmacy returns it unless it has already dispensed it. Signed by the coordinator as
    its orders are; the pharmacy ignores one that is not."""

    prescription_id: str
    pharmacy_id: str
    reason: str


class CounterfeitSuspected(_Data):
    """pharmacy.alerts: a pharmacy was about to sell a lot the national batch registry does not
    know or has recalled; the sale was blocked."""

    prescription_id: str
    pharmacy_id: str
    registration_number: str
    lot: str
    reason: str


class DeadlineReached(_Data):
    """coordinator.deadlines: the prescription's validity may be over; the coordinator checks."""

    prescription_id: str
    deadline: Literal["validity"] = "validity"
    due_at: datetime


class GeneratorRunRecorded(_Data):
    """hospital.generator-runs: a run of the hospital's built-in generator, as it started or
    ended. A restarted hospital resumes the run not ended (what it already issued is on
    rx.issued, caused by the run)."""

    run_id: str
    target: int = Field(ge=1)
    rate: float = Field(gt=0, description="prescriptions per second at the load curve's 1.0")
    started_at: datetime
    finished: bool = False
    issued: int = Field(default=0, ge=0)
    refused_at_edge: int = Field(default=0, ge=0)
    seed: int | None = Field(
        default=None, description="seed of the run's prescriptions (none: the scenario's)"
    )
    stopped: bool = Field(
        default=False, description="the operator stopped it before its target (it is finished)"
    )


class AuditRecorded(_Data):
    """rx.audit: a read of a citizen's data, or a change asked for, through a service's API,
    refused or not: a FHIR R4 AuditEvent (who, what, when, where, outcome)."""

    prescription_id: str | None = Field(
        default=None, description="the prescription read or changed, when there is one"
    )
    citizen_id: str | None = Field(
        default=None, description="whose data it is (CCCD), when the service knows"
    )
    audit_event: dict[str, Any] = Field(description="the FHIR R4 AuditEvent")


class DeadLettered(_Data):
    """rx.deadletter: a message a consumer could not process, kept with the reason."""

    original_b64: str = Field(description="the original bytes (the first 256 KiB of larger ones)")
    original_key: str | None = Field(
        description="the original key (its first 256 bytes, when longer)"
    )
    original_key_size: int | None = Field(
        default=None, description="bytes of the whole original key, when it was cut"
    )
    original_key_sha256: str | None = Field(
        default=None, description="SHA-256 of the whole original key, when it was cut"
    )
    original_size: int | None = Field(default=None, description="bytes of the whole original")
    original_sha256: str | None = Field(default=None, description="SHA-256 of the whole original")
    truncated: bool = Field(
        default=False,
        description="original_b64 holds only the start; the whole message is "
        "still at source_topic/partition/offset",
    )
    source_topic: str
    partition: int
    offset: int
    consumer: str
    reason: str
