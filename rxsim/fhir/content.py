"""Reading the clinical content of a prescription leniently: what the national rules check.

The Bundle has already passed FHIR validation, so every element has its FHIR type; but any of
them may be absent, or expressed in a way rxsim does not read (a dose range, a step of a
tapering regimen that says not how long it lasts). Then the value is None and a rule names
the element; reading never raises.
"""

from datetime import date
from typing import Any

from rxsim.domain.prescription import LOINC_BODY_WEIGHT, DoseStep
from rxsim.domain.reference.catalog import SYSTEM_ICD10

SYSTEM_LOINC = "http://loinc.org"
SYSTEM_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
ROLE_GUARDIAN = "GUARD"
SYSTEM_COURSE = "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy"

# Length of one UCUM time unit in days (FHIR Timing.repeat.periodUnit, Duration codes).
DAYS_PER_UNIT = {
    "s": 1 / 86_400,
    "min": 1 / 1_440,
    "h": 1 / 24,
    "d": 1.0,
    "wk": 7.0,
    "mo": 30.0,
    "a": 365.0,
}
# Timing.code (HL7 v3 GTSAbbreviation) as times per day; HL7's own examples use `QD`.
TIMES_PER_DAY_OF_CODE = {
    "QD": 1.0,
    "AM": 1.0,
    "PM": 1.0,
    "BED": 1.0,
    "BID": 2.0,
    "TID": 3.0,
    "QID": 4.0,
    "QOD": 0.5,
    "Q1H": 24.0,
    "Q2H": 12.0,
    "Q3H": 8.0,
    "Q4H": 6.0,
    "Q6H": 4.0,
    "Q8H": 3.0,
    "WK": 1 / 7,
    "MO": 1 / 30,
}
DAY_UNITS = {"d", "day", "days", "ngày"}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first(value: Any) -> dict[str, Any]:
    return _dict(value[0]) if isinstance(value, list) and value else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _codes(concept: Any, system: str) -> list[str]:
    return [
        str(c["code"])
        for c in _dict(concept).get("coding") or []
        if _dict(c).get("system") == system and c.get("code")
    ]


def unit_of(quantity: dict[str, Any]) -> str | None:
    """The unit a Quantity is counted in, for comparing two quantities (code before text)."""
    unit = quantity.get("code") or quantity.get("unit")
    return str(unit).strip().lower() if unit else None


def diagnoses(request: dict[str, Any]) -> tuple[str, ...]:
    """The ICD-10 codes among MedicationRequest.reasonCode."""
    return tuple(
        code
        for concept in request.get("reasonCode") or []
        for code in _codes(concept, SYSTEM_ICD10)
    )


def _dose_of(dosage: dict[str, Any]) -> tuple[float | None, str | None]:
    """doseAndRate[0].doseQuantity: one amount per intake (a range is not a dose a pharmacist
    can count)."""
    quantity = _dict(_first(dosage.get("doseAndRate")).get("doseQuantity"))
    return _number(quantity.get("value")), unit_of(quantity)


def _times_of(dosage: dict[str, Any]) -> float | None:
    timing = _dict(dosage.get("timing"))
    repeat = _dict(timing.get("repeat"))
    period, unit = _number(repeat.get("period")), DAYS_PER_UNIT.get(str(repeat.get("periodUnit")))
    if period and unit:
        frequency = _number(repeat.get("frequency"))
        return (1.0 if frequency is None else frequency) / (period * unit)
    for coding in _dict(timing.get("code")).get("coding") or []:
        if str(_dict(coding).get("code", "")).upper() in TIMES_PER_DAY_OF_CODE:
            return TIMES_PER_DAY_OF_CODE[str(coding["code"]).upper()]
    return None


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _days_of(dosage: dict[str, Any], times: float | None) -> float | None:
    """How long a step lasts, when it says: Timing.repeat.boundsDuration, boundsPeriod (both
    dates count: 16 to 20 January is 5 days), or count intakes at its frequency."""
    repeat = _dict(_dict(dosage.get("timing")).get("repeat"))
    bounds = _dict(repeat.get("boundsDuration"))
    value = _number(bounds.get("value"))
    unit = str(bounds.get("code") or bounds.get("unit") or "").strip().lower()
    if value is not None and (unit in DAY_UNITS or unit in DAYS_PER_UNIT):
        return value if unit in DAY_UNITS else value * DAYS_PER_UNIT[unit]
    period = _dict(repeat.get("boundsPeriod"))
    start, end = _date(period.get("start")), _date(period.get("end"))
    if start and end and end >= start:
        return float((end - start).days + 1)
    count = _number(repeat.get("count"))
    return count / times if count and times else None


def dose_steps(request: dict[str, Any], where: str) -> tuple[DoseStep, ...]:
    """Every dosageInstruction as a step; without `sequence`, each follows the one before."""
    dosages = [d for d in request.get("dosageInstruction") or [] if isinstance(d, dict)]
    steps = []
    for index, dosage in enumerate(dosages):
        dose, unit = _dose_of(dosage)
        times = _times_of(dosage)
        sequence = dosage.get("sequence")
        steps.append(
            DoseStep(
                where=f"{where}.dosageInstruction[{index}]",
                sequence=sequence if isinstance(sequence, int) else index + 1,
                dose=dose,
                dose_unit=unit,
                times_per_day=times,
                days=_days_of(dosage, times),
            )
        )
    return tuple(steps)


def dose(request: dict[str, Any]) -> tuple[float | None, str | None]:
    """The first dosageInstruction's dose per intake, and its unit."""
    return _dose_of(_first(request.get("dosageInstruction")))


def times_per_day(request: dict[str, Any]) -> float | None:
    """Timing.repeat as frequency per period (q4h is 6 a day, 3 a week is 3/7), else a
    Timing.code abbreviation such as QD or BID; of the first dosageInstruction."""
    return _times_of(_first(request.get("dosageInstruction")))


def supply_days(request: dict[str, Any]) -> float | None:
    """dispenseRequest.expectedSupplyDuration in days."""
    duration = _dict(_dict(request.get("dispenseRequest")).get("expectedSupplyDuration"))
    value = _number(duration.get("value"))
    unit = str(duration.get("code") or duration.get("unit") or "").strip().lower()
    if value is None:
        return None
    if unit in DAY_UNITS:
        return value
    return value * DAYS_PER_UNIT[unit] if unit in DAYS_PER_UNIT else None


def course(request: dict[str, Any]) -> str | None:
    """courseOfTherapyType: `acute`, `continuous` or `seasonal` (None when absent)."""
    concept = request.get("courseOfTherapyType")
    codes = _codes(concept, SYSTEM_COURSE) or [str(_dict(concept).get("text") or "")]
    return codes[0] or None


def birth_date(patient: dict[str, Any]) -> date | None:
    """Patient.birthDate; a partial date (`1985`, `1985-06`) is taken at its first day."""
    text = str(patient.get("birthDate") or "")
    parts = [int(p) for p in text.split("-") if p.isdigit()]
    try:
        return date(*[*parts, 1, 1][:3]) if parts else None
    except ValueError:
        return None


def guardian(patient: dict[str, Any]) -> str | None:
    """The name of a Patient.contact whose relationship is GUARD."""
    for contact in patient.get("contact") or []:
        roles = [
            code
            for concept in _dict(contact).get("relationship") or []
            for code in _codes(concept, SYSTEM_ROLE_CODE)
        ]
        name = _dict(contact.get("name"))
        text = name.get("text") or " ".join([name.get("family") or "", *(name.get("given") or [])])
        if ROLE_GUARDIAN in roles and str(text).strip():
            return str(text).strip()
    return None


def weight_kg(resources: list[dict[str, Any]]) -> float | None:
    """The body weight (LOINC 29463-7) of an Observation in the Bundle, in kg."""
    for resource in resources:
        if resource.get("resourceType") != "Observation":
            continue
        if LOINC_BODY_WEIGHT not in _codes(resource.get("code"), SYSTEM_LOINC):
            continue
        quantity = _dict(resource.get("valueQuantity"))
        value, unit = _number(quantity.get("value")), unit_of(quantity)
        if value is not None and unit in {"kg", "g"}:
            return value / 1000 if unit == "g" else value
    return None
