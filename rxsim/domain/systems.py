"""The identifier systems and profiles a prescription Bundle names its codes by (HL7 Vietnam's
VN Core, fhir.hl7.org.vn, where it defines one; elsewhere rxsim's URI in VN Core's
`/core/sid/<name>` pattern, and it says so).

They sit in the domain, below `rxsim.fhir`, because the national rules' deliberate faults break
an identifier by its system (rxsim.domain.rules.rule). Plain strings: no FHIR library here.
"""

from schemas import events

VN_CORE = "http://fhir.hl7.org.vn/core"
SYSTEM_CCCD = f"{VN_CORE}/sid/cccd"  # VN Core: citizen id (Căn cước công dân)
SYSTEM_CCHN = f"{VN_CORE}/sid/cchn"  # VN Core: practising certificate (chứng chỉ hành nghề)
# VN Core vn-prescription-code-ns; declared with the contracts, which name prescriptions by it
SYSTEM_PRESCRIPTION_CODE = events.SYSTEM_PRESCRIPTION_CODE
SYSTEM_FACILITY = f"{VN_CORE}/sid/facility-code"  # not in VN Core yet: rxsim's, same pattern
SYSTEM_PHARMACY = f"{VN_CORE}/sid/pharmacy-code"  # not in VN Core yet: rxsim's, same pattern
SYSTEM_DRUG_REGISTRATION = f"{VN_CORE}/sid/drug-registration-number"  # số đăng ký, e.g. VD-25123-18
PROFILE_MEDICATION_REQUEST = f"{VN_CORE}/StructureDefinition/vn-core-medication-request"
PROFILE_MEDICATION_DISPENSE = f"{VN_CORE}/StructureDefinition/vn-core-medication-dispense"
PROFILE_PATIENT = f"{VN_CORE}/StructureDefinition/vn-core-patient"
PROFILE_BUNDLE = f"{VN_CORE}/StructureDefinition/vn-core-bundle"
REASON_SYSTEM = "urn:rxsim:reason"  # rxsim's reason codes (no national code system exists)
SIMULATED_TAG = {"system": "urn:rxsim:tag", "code": "synthetic"}
