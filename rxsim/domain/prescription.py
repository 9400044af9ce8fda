"""The lean prescription that travels downstream once its Bundle is validated at the edge, and
the problems the edge and the national rules find in it. Plain data: no FHIR library here."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rxsim.domain import fhirpath
from rxsim.domain.reasons import Reason

# Where the body weight sits in a prescription Bundle (the rules name it when it is missing).
LOINC_BODY_WEIGHT = "29463-7"
WEIGHT_EXPRESSION = (
    "Bundle.entry.resource.ofType(Observation)"
    f".where(code.coding.code='{LOINC_BODY_WEIGHT}').valueQuantity"
)


@dataclass(frozen=True)
class Issue:
    """One problem found in a message: the FHIRPath of the element at fault (built with
    rxsim.domain.fhirpath), reason code, and message."""

    expression: str
    code: Reason
    message: str
    fhir_code: str = "invalid"  # OperationOutcome.issue.code
    severity: str = "error"  # or "warning": a best practice not followed, which refuses nothing


class InvalidPrescription(Exception):
    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(f"{i.expression}: {i.message}" for i in issues))
        self.issues = issues


@dataclass(frozen=True)
class DoseStep:
    """One dosageInstruction of a drug line: a step of a multi-step regimen (500 mg on day 1,
    then 250 mg a day on days 2 to 5), or one of several taken together (same `sequence`)."""

    where: str  # FHIRPath of the dosageInstruction
    sequence: int  # same number: taken at the same time; a higher one: after
    dose: float | None = None
    dose_unit: str | None = None
    times_per_day: float | None = None
    days: float | None = None  # its own length (bounds or count), when it says


@dataclass(frozen=True)
class Item:
    """One MedicationRequest: what the citizen and pharmacy see, and what the rules check (None
    where the request does not say, or says it in a way rxsim does not read)."""

    drug_code: str
    name: str
    quantity: float
    unit: str
    instructions: str
    where: str = fhirpath.every("MedicationRequest")  # FHIRPath of the request in the Bundle
    medication_where: str = f"{fhirpath.every('MedicationRequest')}.medicationCodeableConcept"
    registration_number: str | None = None
    diagnoses: tuple[str, ...] = ()  # ICD-10 codes
    dose: float | None = None  # per intake
    dose_unit: str | None = None
    quantity_unit: str | None = None  # as a comparable code, unlike `unit` which is for people
    times_per_day: float | None = None
    days: float | None = None
    course: str | None = None  # courseOfTherapyType: acute, continuous, seasonal
    # Every dosageInstruction; dose and times_per_day above are the first's (what the national
    # payload carries), `steps` what the quantity and the days are checked against.
    steps: tuple[DoseStep, ...] = ()


@dataclass(frozen=True)
class Prescription:
    """What downstream services need of a validated Bundle; the Bundle itself is not re-parsed."""

    code: str
    facility_code: str
    facility_name: str
    citizen_id: str
    patient_name: str
    prescriber_name: str
    authored_on: str | None
    items: tuple[Item, ...]
    medication_requests: tuple[dict[str, Any], ...] = field(repr=False)
    simulated: bool = False
    patient_where: str = fhirpath.every("Patient")
    practitioner_where: str = fhirpath.every("Practitioner")
    organization_where: str = fhirpath.every("Organization")
    prescriber_licence: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    weight_kg: float | None = None
    guardian: str | None = None

    @property
    def diagnoses(self) -> tuple[str, ...]:
        """Every ICD-10 code of the prescription, in order, once."""
        return tuple(dict.fromkeys(code for item in self.items for code in item.diagnoses))

    @property
    def type_letter(self) -> str:
        return self.code[-1] if len(self.code) >= 2 and self.code[-2] == "-" else "?"
