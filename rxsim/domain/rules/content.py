"""Rules on what each drug line says: a diagnosis, a drug from the national register, how to
take it (dose, times per day, days), and a quantity that adds up; with the faults that break
them."""

import math
import re

from rxsim.domain.prescription import Issue, Item, Prescription
from rxsim.domain.reasons import Reason
from rxsim.domain.rules import steps
from rxsim.domain.rules.lookup import Lookup, missing, refusal
from rxsim.domain.rules.rule import Bundle, Draw, Fault, Rule, first_request, resources
from rxsim.domain.systems import SYSTEM_DRUG_REGISTRATION

# ICD-10: a letter, two digits, then optionally (with or without the dot) up to four more.
ICD10_PATTERN = re.compile(r"^[A-Z][0-9]{2}(\.?[0-9A-Z]{1,4})?$")


def diagnosis(rx: Prescription, catalog: Lookup, known_only: bool) -> list[Issue]:
    """Every drug is prescribed for an ICD-10 diagnosis (MedicationRequest.reasonCode)."""
    issues = []
    for item in rx.items:
        where = f"{item.where}.reasonCode"
        if not item.diagnoses:
            issues.append(
                missing(
                    where,
                    Reason.DIAGNOSIS_MISSING,
                    f"Thiếu chẩn đoán ICD-10 cho {item.name} (no ICD-10 diagnosis: add a "
                    "reasonCode coding with system http://hl7.org/fhir/sid/icd-10)",
                )
            )
        for code in item.diagnoses:
            if not ICD10_PATTERN.match(code):
                issues.append(
                    refusal(
                        where,
                        Reason.DIAGNOSIS_FORMAT,
                        f"Mã chẩn đoán '{code}' không phải mã ICD-10 (not an ICD-10 code)",
                    )
                )
            elif known_only and code not in catalog.diagnoses:
                issues.append(
                    refusal(
                        where,
                        Reason.DIAGNOSIS_UNKNOWN,
                        f"Mã chẩn đoán '{code}' không có trong danh mục ICD-10 "
                        "(diagnosis not in the catalog)",
                    )
                )
    return issues


def drug_in_catalog(rx: Prescription, catalog: Lookup) -> list[Issue]:
    """Every drug is named by its registration number (số đăng ký) in the national register."""
    issues = []
    for item in rx.items:
        where = f"{item.medication_where}.coding"
        if item.registration_number is None:
            issues.append(
                missing(
                    where,
                    Reason.DRUG_NOT_IN_CATALOG,
                    f"Thuốc {item.name} thiếu số đăng ký (no coding with system "
                    "http://fhir.hl7.org.vn/core/sid/drug-registration-number)",
                )
            )
        elif catalog.drug(item) is None:
            issues.append(
                refusal(
                    where,
                    Reason.DRUG_NOT_IN_CATALOG,
                    f"Số đăng ký {item.registration_number} không có trong danh mục thuốc "
                    "(registration number not in the drug register)",
                )
            )
    return issues


def _dosage_issues(item: Item) -> list[Issue]:
    dosage = f"{item.where}.dosageInstruction[0]"
    issues = []
    if item.dose is None or item.dose <= 0:
        issues.append(
            missing(
                f"{dosage}.doseAndRate[0].doseQuantity",
                Reason.DOSE_MISSING,
                f"Thiếu liều dùng mỗi lần cho {item.name} (a dose per intake is required, "
                "a single quantity, not a range)",
            )
        )
    if item.times_per_day is None or item.times_per_day <= 0:
        issues.append(
            missing(
                f"{dosage}.timing.repeat",
                Reason.FREQUENCY_MISSING,
                f"Thiếu số lần dùng trong ngày cho {item.name} (times per day are required: "
                "timing.repeat frequency, period and periodUnit, or a timing.code such as BID)",
            )
        )
    if item.days is None or item.days <= 0:
        issues.append(
            missing(
                f"{item.where}.dispenseRequest.expectedSupplyDuration",
                Reason.DAYS_MISSING,
                f"Thiếu số ngày dùng cho {item.name} (days of supply are required, in days)",
            )
        )
    return issues


def _step_issues(item: Item) -> list[Issue]:
    """The later steps of a multi-step regimen need a dose and a frequency as the first does,
    and at most one phase may leave its length unsaid."""
    issues = []
    for number, step in enumerate(item.steps[1:], start=2):
        if step.dose is None or step.dose <= 0:
            issues.append(
                missing(
                    f"{step.where}.doseAndRate[0].doseQuantity",
                    Reason.DOSE_MISSING,
                    f"Thiếu liều dùng mỗi lần ở bước {number} cho {item.name} (step {number} "
                    "needs a dose per intake, a single quantity)",
                )
            )
        if step.times_per_day is None or step.times_per_day <= 0:
            issues.append(
                missing(
                    f"{step.where}.timing.repeat",
                    Reason.FREQUENCY_MISSING,
                    f"Thiếu số lần dùng trong ngày ở bước {number} cho {item.name} (step "
                    f"{number} needs times per day)",
                )
            )
    unsaid = steps.unbounded(item)
    no_days_left = item.days is not None and steps.days_left(item) <= 0
    if len(unsaid) > 1 or (unsaid and no_days_left):
        first = unsaid[0]
        issues.append(
            missing(
                f"{first.where}.timing.repeat.bounds",
                Reason.DAYS_MISSING,
                f"Không rõ mỗi bước dùng {item.name} trong bao nhiêu ngày (with several "
                "dosage steps, each but one must say how long it lasts: timing.repeat "
                "boundsDuration, boundsPeriod or count; the one that does not takes the days "
                "of supply the others leave, and there must be some left)",
            )
        )
    return issues


def dosage(rx: Prescription) -> list[Issue]:
    """How to take each drug: dose per intake, times per day, days (the national payload);
    every step of a multi-step regimen."""
    return [
        issue
        for item in rx.items
        for issue in [
            *_dosage_issues(item),
            *(_step_issues(item) if steps.is_multi_step(item) else []),
        ]
    ]


def _steps_quantity_issue(item: Item) -> Issue | None:
    regimen = steps.phases(item)
    if regimen is None:
        return None  # the dosage rule names what is missing
    where = f"{item.where}.dispenseRequest.quantity"
    units = {step.dose_unit for step in item.steps if step.dose_unit}
    if item.quantity_unit and units - {item.quantity_unit}:
        return refusal(
            where,
            Reason.QUANTITY_INCONSISTENT,
            f"Liều dùng tính bằng '{', '.join(sorted(units))}' nhưng số lượng bằng "
            f"'{item.quantity_unit}' cho {item.name} (dose and quantity must be in the same unit)",
        )
    expected = round(sum(phase.units for phase in regimen), 6)
    if expected <= item.quantity <= math.ceil(expected):
        return None
    said = " + ".join(phase.said() for phase in regimen)
    return refusal(
        where,
        Reason.QUANTITY_INCONSISTENT,
        f"Số lượng {item.quantity:g} {item.unit} của {item.name} không khớp liều {said} = "
        f"{expected:g} (quantity must be what every dosage step uses up, rounded up to a whole "
        "unit at most)",
    )


def _quantity_issue(item: Item) -> Issue | None:
    if steps.is_multi_step(item):
        return _steps_quantity_issue(item)
    if item.dose is None or item.times_per_day is None or item.days is None:
        return None  # the dosage rule names what is missing
    where = f"{item.where}.dispenseRequest.quantity"
    if item.dose_unit and item.quantity_unit and item.dose_unit != item.quantity_unit:
        return refusal(
            where,
            Reason.QUANTITY_INCONSISTENT,
            f"Liều dùng tính bằng '{item.dose_unit}' nhưng số lượng bằng '{item.quantity_unit}' "
            f"cho {item.name} (dose and quantity must be in the same unit)",
        )
    expected = round(item.dose * item.times_per_day * item.days, 6)
    if expected <= item.quantity <= math.ceil(expected):
        return None
    return refusal(
        where,
        Reason.QUANTITY_INCONSISTENT,
        f"Số lượng {item.quantity:g} {item.unit} của {item.name} không khớp liều "
        f"{item.dose:g} × {item.times_per_day:g} lần/ngày × {item.days:g} ngày = {expected:g} "
        "(quantity must be dose × times per day × days, rounded up to a whole unit at most)",
    )


def quantity_consistent(rx: Prescription) -> list[Issue]:
    """The quantity to dispense is what the dosage uses up: dose × times per day × days."""
    return [issue for item in rx.items if (issue := _quantity_issue(item))]


def without_diagnosis(bundle: Bundle, draw: Draw) -> None:
    for request in resources(bundle, "MedicationRequest"):
        request.pop("reasonCode", None)


def unregistered_drug(bundle: Bundle, draw: Draw) -> None:
    """A registration number in the right shape that the national register does not hold."""
    unknown = f"VD-{draw.rng.randrange(90_000, 100_000)}-25"
    while unknown in draw.known_drugs:
        unknown = f"VD-{draw.rng.randrange(90_000, 100_000)}-25"
    for coding in first_request(bundle)["medicationCodeableConcept"]["coding"]:
        if coding["system"] == SYSTEM_DRUG_REGISTRATION:
            coding["code"] = unknown


def without_dose(bundle: Bundle, draw: Draw) -> None:
    first_request(bundle)["dosageInstruction"][0].pop("doseAndRate", None)


def doubled_quantity(bundle: Bundle, draw: Draw) -> None:
    """Twice what the dosage uses up, as if the days were typed into the quantity too."""
    first_request(bundle)["dispenseRequest"]["quantity"]["value"] *= 2


DIAGNOSIS = Rule(
    switch="diagnosis",
    check=lambda rx, at: diagnosis(rx, at.catalog, at.rules.known_diagnoses_only),
    reasons=(Reason.DIAGNOSIS_MISSING, Reason.DIAGNOSIS_FORMAT, Reason.DIAGNOSIS_UNKNOWN),
    faults=(Fault("missing_diagnosis", Reason.DIAGNOSIS_MISSING, without_diagnosis),),
    summary="every drug is prescribed for an ICD-10 diagnosis",
    regulation="TT 26/2025/TT-BYT, diagnosis by ICD-10",
)
DRUG_IN_CATALOG = Rule(
    switch="drug_in_catalog",
    check=lambda rx, at: drug_in_catalog(rx, at.catalog),
    reasons=(Reason.DRUG_NOT_IN_CATALOG,),
    faults=(Fault("drug_not_in_catalog", Reason.DRUG_NOT_IN_CATALOG, unregistered_drug),),
    summary="every drug is named by its registration number in the national register",
    regulation="national e-prescription API, drug list",
)
DOSAGE = Rule(
    switch="dosage",
    check=lambda rx, at: dosage(rx),
    reasons=(Reason.DOSE_MISSING, Reason.FREQUENCY_MISSING, Reason.DAYS_MISSING),
    faults=(Fault("missing_dose", Reason.DOSE_MISSING, without_dose),),
    summary="each drug says its dose per intake, times per day and days",
    regulation="TT 26/2025/TT-BYT, how to take each drug",
)
QUANTITY_CONSISTENT = Rule(
    switch="quantity_consistent",
    check=lambda rx, at: quantity_consistent(rx),
    reasons=(Reason.QUANTITY_INCONSISTENT,),
    faults=(Fault("quantity_inconsistent", Reason.QUANTITY_INCONSISTENT, doubled_quantity),),
    summary="the quantity is dose x times per day x days, in the dose's unit",
    regulation="TT 26/2025/TT-BYT, quantity of each drug",
)
