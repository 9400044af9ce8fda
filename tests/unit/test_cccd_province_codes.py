"""A CCCD keeps the code of the pre-2025 province where the birth was registered: all 63 of
them are valid, not only the 34 provinces' main codes."""

import pytest

from rxsim import fhir
from rxsim.domain.prescription import Prescription
from rxsim.domain.reference.provinces import CCCD_PROVINCE_CODES
from rxsim.domain.rules import patient
from tests.support import factories as make


def _with_province(code: str) -> Prescription:
    bundle = make.bundle()
    identifier = make.resource(bundle, "Patient")["identifier"][0]
    identifier["value"] = code + identifier["value"][3:]
    return fhir.parse_prescription(bundle)


def test_there_are_63_codes() -> None:
    assert len(CCCD_PROVINCE_CODES) == 63


@pytest.mark.parametrize("code", ["036", "002", "077", "095"])  # merged away in 2025
def test_a_code_of_a_merged_province_is_accepted(code: str) -> None:
    assert patient.cccd(_with_province(code)) == []


@pytest.mark.parametrize("code", ["003", "099", "000"])
def test_a_code_no_province_ever_had_is_refused(code: str) -> None:
    [issue] = patient.cccd(_with_province(code))
    assert issue.code == "CCCD_PROVINCE"
