"""Rules on the patient: a well-formed citizen id (CCCD) that agrees with the birth date and
sex, and, for young children, their weight and a guardian; with the faults that break them."""

import re
from datetime import date, datetime
from typing import Any

from rxsim.domain.prescription import LOINC_BODY_WEIGHT, WEIGHT_EXPRESSION, Issue, Prescription
from rxsim.domain.reasons import Reason
from rxsim.domain.reference.provinces import CCCD_PROVINCE_CODES
from rxsim.domain.rules.lookup import missing, refusal
from rxsim.domain.rules.rule import Bundle, Draw, Fault, Rule, resources
from rxsim.domain.rules.switches import Rules
from rxsim.domain.systems import SYSTEM_CCCD

CCCD_PATTERN = re.compile(r"^[0-9]{12}$")
PROVINCE_CODES = frozenset(CCCD_PROVINCE_CODES)


def _cccd_digit_says(digit: int) -> tuple[int, str]:
    """The 4th CCCD digit: century (0/1 1900s, 2/3 2000s, ...) and sex (even male, odd female)."""
    return 1900 + 100 * (digit // 2), ("female" if digit % 2 else "male")


def cccd(rx: Prescription) -> list[Issue]:
    """12 digits: province of birth registration (3), century and sex (1), birth year (2), 6
    random. The birth date and sex it is checked against are another rule's concern."""
    where, value = f"{rx.patient_where}.identifier", rx.citizen_id
    if not CCCD_PATTERN.match(value):
        return [
            refusal(
                where,
                Reason.CCCD_FORMAT,
                f"Số CCCD '{value}' phải gồm đúng 12 chữ số (citizen id must be 12 digits)",
            )
        ]
    if value[:3] not in PROVINCE_CODES:
        return [
            refusal(
                where,
                Reason.CCCD_PROVINCE,
                f"Số CCCD '{value}' có mã tỉnh {value[:3]} không tồn tại "
                "(the first 3 digits are not a known province code)",
            )
        ]
    century, sex = _cccd_digit_says(int(value[3]))
    birth = rx.birth_date
    wrong_sex = rx.gender in {"male", "female"} and rx.gender != sex
    if birth and (birth.year // 100 * 100 != century or wrong_sex):
        return [
            refusal(
                where,
                Reason.CCCD_CENTURY_SEX,
                f"Chữ số thứ 4 của CCCD '{value}' ({value[3]}) không khớp năm sinh {birth.year} "
                f"và giới tính {rx.gender} (4th digit: century and sex must match birthDate "
                "and gender)",
            )
        ]
    if birth and int(value[4:6]) != birth.year % 100:
        return [
            refusal(
                where,
                Reason.CCCD_BIRTH_YEAR,
                f"Chữ số 5-6 của CCCD '{value}' ({value[4:6]}) không khớp năm sinh {birth.year} "
                "(digits 5-6 must be the last two digits of the birth year)",
            )
        ]
    return []


def patient_details(rx: Prescription) -> list[Issue]:
    """The national payload carries the patient's date of birth and sex."""
    issues = []
    if rx.birth_date is None:
        issues.append(
            missing(
                f"{rx.patient_where}.birthDate",
                Reason.BIRTH_DATE_MISSING,
                "Thiếu ngày sinh của người bệnh (Patient.birthDate is required)",
            )
        )
    if not rx.gender:
        issues.append(
            missing(
                f"{rx.patient_where}.gender",
                Reason.GENDER_MISSING,
                "Thiếu giới tính của người bệnh (Patient.gender is required)",
            )
        )
    return issues


def child_details(rx: Prescription, rules: Rules, on: date) -> list[Issue]:
    """A child under 72 months needs their weight and a guardian's name on the prescription."""
    if rx.birth_date is None or not rules.is_child(rx.birth_date, on):
        return []
    issues = []
    months = rules.child_age_months
    if rx.weight_kg is None:
        issues.append(
            missing(
                WEIGHT_EXPRESSION,
                Reason.CHILD_WEIGHT_MISSING,
                f"Trẻ dưới {months} tháng tuổi phải có cân nặng (a child under {months} months "
                "needs a body-weight Observation, LOINC 29463-7, in kg)",
            )
        )
    if rx.guardian is None:
        issues.append(
            missing(
                f"{rx.patient_where}.contact",
                Reason.CHILD_GUARDIAN_MISSING,
                f"Trẻ dưới {months} tháng tuổi phải có tên người giám hộ (a child under {months} "
                "months needs a Patient.contact with relationship GUARD and a name)",
            )
        )
    return issues


def prescribed_on(rx: Prescription, now: datetime) -> date:
    """The day of prescribing (authoredOn), for the patient's age; today when absent."""
    try:
        return date.fromisoformat((rx.authored_on or "")[:10])
    except ValueError:
        return now.date()


def cccd_of_other_sex(bundle: Bundle, draw: Draw) -> None:
    """The 4th digit says the other sex: a well-formed CCCD that disagrees with the patient."""
    for patient in resources(bundle, "Patient"):
        for ident in patient["identifier"]:
            if ident["system"] == SYSTEM_CCCD:
                value = ident["value"]
                ident["value"] = f"{value[:3]}{int(value[3]) ^ 1}{value[4:]}"


def without_birth_date(bundle: Bundle, draw: Draw) -> None:
    for patient in resources(bundle, "Patient"):
        patient.pop("birthDate", None)


def _is_weight(resource: dict[str, Any]) -> bool:
    codings = (resource.get("code") or {}).get("coding") or []
    return any(c.get("code") == LOINC_BODY_WEIGHT for c in codings)


def without_weight(bundle: Bundle, draw: Draw) -> None:
    bundle["entry"] = [e for e in bundle["entry"] if not _is_weight(e["resource"])]


def without_guardian(bundle: Bundle, draw: Draw) -> None:
    for patient in resources(bundle, "Patient"):
        patient.pop("contact", None)


CCCD = Rule(
    switch="cccd",
    check=lambda rx, at: cccd(rx),
    reasons=(
        Reason.CCCD_FORMAT,
        Reason.CCCD_PROVINCE,
        Reason.CCCD_CENTURY_SEX,
        Reason.CCCD_BIRTH_YEAR,
    ),
    faults=(Fault("bad_cccd", Reason.CCCD_CENTURY_SEX, cccd_of_other_sex),),
    summary="the citizen id: 12 digits, province, century and sex, birth year",
    regulation="citizen id structure (Ministry of Public Security); national API, patient",
)
PATIENT_DETAILS = Rule(
    switch="patient_details",
    check=lambda rx, at: patient_details(rx),
    reasons=(Reason.BIRTH_DATE_MISSING, Reason.GENDER_MISSING),
    faults=(Fault("missing_birth_date", Reason.BIRTH_DATE_MISSING, without_birth_date),),
    summary="the patient's birth date and sex are given",
    regulation="national e-prescription API, patient",
)
CHILD_DETAILS = Rule(
    switch="child_details",
    check=lambda rx, at: child_details(rx, at.rules, prescribed_on(rx, at.now)),
    reasons=(Reason.CHILD_WEIGHT_MISSING, Reason.CHILD_GUARDIAN_MISSING),
    # The generator prescribes for a young child, then removes what a child's Bundle needs.
    faults=(
        Fault("child_without_weight", Reason.CHILD_WEIGHT_MISSING, without_weight),
        Fault("child_without_guardian", Reason.CHILD_GUARDIAN_MISSING, without_guardian),
    ),
    summary="a child under 72 months has a body weight and a named guardian",
    regulation="TT 26/2025/TT-BYT, prescribing for children under 72 months",
)
