"""Identifier systems and profiles rxsim writes and reads.

They follow HL7 Vietnam's VN Core guide (fhir.hl7.org.vn) where it defines one; where it does
not, the URI follows VN Core's `/core/sid/<name>` pattern and says so. The identifier systems
live in rxsim.domain.systems (the rules' faults need them) and are named here too, so FHIR code
finds every system in one import.
"""

from rxsim.domain.systems import (
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
    "VN_CORE",
]

PROFILE_MEDICATION_REQUEST = f"{VN_CORE}/StructureDefinition/vn-core-medication-request"
PROFILE_MEDICATION_DISPENSE = f"{VN_CORE}/StructureDefinition/vn-core-medication-dispense"
PROFILE_PATIENT = f"{VN_CORE}/StructureDefinition/vn-core-patient"
PROFILE_BUNDLE = f"{VN_CORE}/StructureDefinition/vn-core-bundle"
REASON_SYSTEM = "urn:rxsim:reason"  # rxsim's reason codes (no national code system exists)
SIMULATED_TAG = {"system": "urn:rxsim:tag", "code": "synthetic"}
