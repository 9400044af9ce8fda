"""FHIR at the edge: parse and validate what comes in (`parse`), build what goes out
(`outgoing`, `bundles`), in VN Core's identifier systems (`systems`).

The names below are the package's public face, so callers write `fhir.parse_prescription`.
"""

from rxsim.domain.prescription import InvalidPrescription
from rxsim.fhir.outgoing import (
    TASK_STATUS,
    fulfilment_task,
    medication_dispense,
    operation_outcome,
    status_task,
)
from rxsim.fhir.parse import parse_prescription, prescription_code
from rxsim.fhir.systems import (
    PROFILE_BUNDLE,
    PROFILE_MEDICATION_DISPENSE,
    PROFILE_MEDICATION_REQUEST,
    PROFILE_PATIENT,
    REASON_SYSTEM,
    SIMULATED_TAG,
    SYSTEM_CCCD,
    SYSTEM_CCHN,
    SYSTEM_DRUG_REGISTRATION,
    SYSTEM_FACILITY,
    SYSTEM_PHARMACY,
    SYSTEM_PRESCRIPTION_CODE,
    VN_CORE,
)

__all__ = [
    "PROFILE_BUNDLE",
    "PROFILE_MEDICATION_DISPENSE",
    "PROFILE_MEDICATION_REQUEST",
    "PROFILE_PATIENT",
    "REASON_SYSTEM",
    "SIMULATED_TAG",
    "SYSTEM_CCCD",
    "SYSTEM_CCHN",
    "SYSTEM_DRUG_REGISTRATION",
    "SYSTEM_FACILITY",
    "SYSTEM_PHARMACY",
    "SYSTEM_PRESCRIPTION_CODE",
    "TASK_STATUS",
    "VN_CORE",
    "InvalidPrescription",
    "fulfilment_task",
    "medication_dispense",
    "operation_outcome",
    "parse_prescription",
    "prescription_code",
    "status_task",
]
