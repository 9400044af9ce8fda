"""Validation rules the coordinator applies to every prescription; each is a plain function that
returns the problems it finds (empty when the rule passes), and each can be switched off."""

import re
from collections.abc import Collection

from rxsim.fhir import Issue, Prescription
from rxsim.scenario import Rules

CODE_PATTERN = re.compile(r"^[0-9a-z]{12}-[cnhy]$")


def prescription_code_format(rx: Prescription) -> list[Issue]:
    """TT 26/2025: 14 characters, `xxxxxyyyyyyy-z`, facility code first, z in c/n/h/y."""
    if not CODE_PATTERN.match(rx.code):
        return [
            Issue(
                "MedicationRequest.groupIdentifier.value",
                "PRESCRIPTION_CODE_FORMAT",
                f"Mã đơn thuốc '{rx.code}' không đúng định dạng xxxxxyyyyyyy-z "
                "(prescription code must match ^[0-9a-z]{12}-[cnhy]$)",
                "business-rule",
            )
        ]
    if rx.code[:5] != rx.facility_code:
        return [
            Issue(
                "MedicationRequest.groupIdentifier.value",
                "PRESCRIPTION_CODE_FACILITY",
                f"Mã đơn thuốc '{rx.code}' không bắt đầu bằng mã cơ sở {rx.facility_code} "
                "(the code must start with the issuing facility's code)",
                "business-rule",
            )
        ]
    return []


def facility_onboarded(
    rx: Prescription, known: Collection[str], onboarded: Collection[str]
) -> list[Issue]:
    """Only facilities connected in the current rollout phase may send prescriptions."""
    if rx.facility_code not in known:
        return [
            Issue(
                "Organization.identifier",
                "UNKNOWN_FACILITY",
                f"Cơ sở khám chữa bệnh {rx.facility_code} không có trong danh mục "
                "(unknown facility code)",
                "business-rule",
            )
        ]
    if rx.facility_code not in onboarded:
        return [
            Issue(
                "Organization.identifier",
                "FACILITY_NOT_ONBOARDED",
                f"Cơ sở {rx.facility_code} chưa được kết nối liên thông đơn thuốc "
                "trong giai đoạn này (facility not onboarded in this rollout phase)",
                "business-rule",
            )
        ]
    return []


def duplicate_code(code: str) -> Issue:
    """A code once used is never re-sent: the prescriber cancels and issues a new code."""
    return Issue(
        "MedicationRequest.groupIdentifier.value",
        "DUPLICATE_CODE",
        f"Đơn thuốc đã được sử dụng trước đó: {code} (prescription code already used)",
        "duplicate",
    )


def subject_mismatch(subject: str, code: str) -> Issue:
    """The event's subject (and Kafka key) must be the prescription code it carries: the
    coordinator files and orders every prescription by it."""
    return Issue(
        "MedicationRequest.groupIdentifier.value",
        "SUBJECT_MISMATCH",
        f"Sự kiện ghi mã đơn {subject} nhưng đơn thuốc mang mã {code} "
        "(the event's subject is not the prescription's code)",
        "business-rule",
    )


def check_prescription(
    rx: Prescription, rules: Rules, known: Collection[str], onboarded: Collection[str]
) -> list[Issue]:
    issues: list[Issue] = []
    if rules.prescription_code_format:
        issues += prescription_code_format(rx)
    if rules.facility_onboarded:
        issues += facility_onboarded(rx, known, onboarded)
    return issues
