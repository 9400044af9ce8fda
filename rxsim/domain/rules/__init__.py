"""The national rules the coordinator applies to every prescription (TT 26/2025/TT-BYT and the
national API). Each rule is a plain function returning the problems it finds (empty when it
passes), each problem with its own reason code, the element it concerns, and a message in
Vietnamese with an English gloss; each rule can be switched off in a scenario's `[rules]`.

docs/prescription-bundle.md lists where each checked element sits in the Bundle.
"""

from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Protocol

from rxsim.domain.prescription import Issue, Prescription
from rxsim.domain.reference.country import Hospital
from rxsim.domain.rules import code, content, patient, sender, supply
from rxsim.domain.rules.code import (
    duplicate_code,
    prescription_code_format,
    subject_mismatch,
    type_letter,
)
from rxsim.domain.rules.lookup import Lookup
from rxsim.domain.rules.sender import facility_onboarded
from rxsim.domain.rules.switches import Rules

__all__ = [
    "Lookup",
    "Setting",
    "check_prescription",
    "duplicate_code",
    "facility_onboarded",
    "prescription_code_format",
    "subject_mismatch",
    "type_letter",
]


class Setting(Protocol):
    """What the rules need to know besides the prescription (the coordinator's Context)."""

    @property
    def now(self) -> datetime: ...
    @property
    def rules(self) -> Rules: ...
    @property
    def known_facilities(self) -> Collection[str]: ...
    @property
    def onboarded_facilities(self) -> Collection[str]: ...
    @property
    def facilities(self) -> Mapping[str, Hospital]: ...
    @property
    def catalog(self) -> Lookup: ...


def prescribed_on(rx: Prescription, now: datetime) -> date:
    """The day of prescribing (authoredOn), for the patient's age; today when absent."""
    try:
        return date.fromisoformat((rx.authored_on or "")[:10])
    except ValueError:
        return now.date()


def check_prescription(rx: Prescription, at: Setting) -> list[Issue]:
    """Every switched-on rule, in the order a hospital would fix them: who sent it, the code,
    the patient, each drug line, then the limits. The first issue is the reason code."""
    rules, catalog = at.rules, at.catalog
    checks = [
        (rules.prescription_code_format, lambda: code.prescription_code_format(rx)),
        (
            rules.facility_onboarded,
            lambda: sender.facility_onboarded(rx, at.known_facilities, at.onboarded_facilities),
        ),
        (rules.prescriber_licence, lambda: sender.prescriber_licence(rx)),
        (rules.type_letter, lambda: code.type_letter(rx, catalog)),
        (rules.cccd, lambda: patient.cccd(rx)),
        (rules.patient_details, lambda: patient.patient_details(rx)),
        (rules.child_details, lambda: patient.child_details(rx, rules, prescribed_on(rx, at.now))),
        (rules.diagnosis, lambda: content.diagnosis(rx, catalog, rules.known_diagnoses_only)),
        (rules.drug_in_catalog, lambda: content.drug_in_catalog(rx, catalog)),
        (rules.dosage, lambda: content.dosage(rx)),
        (rules.quantity_consistent, lambda: content.quantity_consistent(rx)),
        (rules.supply_limits, lambda: supply.supply_limits(rx, rules, catalog)),
        (
            rules.narcotic_facility_beds,
            lambda: sender.narcotic_facility_beds(rx, at.facilities, catalog),
        ),
    ]
    return [issue for enabled, check in checks if enabled for issue in check()]
