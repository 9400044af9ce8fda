"""Every reason code rxsim gives, each with its one-line meaning.

A reason code travels on the wire (rx.status `reason_code`, OperationOutcome
`details.coding.code`), so its value never changes; code refers to the member, never to the
string. The values are the strings the contracts in `schemas/` carry as plain `str` (the
contracts sit below this package and cannot import it).
"""

from enum import StrEnum


class Reason(StrEnum):
    """A reason code and its meaning (`Reason.DUPLICATE_CODE.meaning`)."""

    meaning: str

    def __new__(cls, value: str, meaning: str) -> "Reason":
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    # At the edge: the message is not a prescription Bundle rxsim can read.
    TOO_LARGE = "TOO_LARGE", "the request body is larger than a message may be"
    MALFORMED_JSON = "MALFORMED_JSON", "the request body is not JSON"
    UNSUPPORTED_MEDIA_TYPE = (
        "UNSUPPORTED_MEDIA_TYPE",
        "the request body is neither application/fhir+json nor application/json",
    )
    NOT_AN_OBJECT = "NOT_AN_OBJECT", "the payload is JSON but not an object"
    WRONG_RESOURCE_TYPE = "WRONG_RESOURCE_TYPE", "the payload is not a FHIR Bundle"
    FHIR_INVALID = "FHIR_INVALID", "the Bundle is not valid FHIR R4/R4B"
    MISSING_RESOURCE = "MISSING_RESOURCE", "a resource every prescription needs is absent"
    MISSING_PRESCRIPTION_CODE = "MISSING_PRESCRIPTION_CODE", "no national prescription code"
    MISSING_CITIZEN_ID = "MISSING_CITIZEN_ID", "the patient has no citizen id (CCCD)"
    MISSING_FACILITY_CODE = "MISSING_FACILITY_CODE", "the organization has no facility code"
    NOT_ACTIVE = "NOT_ACTIVE", "a MedicationRequest sent for dispensing is not active"
    MISSING_QUANTITY = "MISSING_QUANTITY", "a drug line has no quantity to dispense"
    SUBJECT_MISMATCH = "SUBJECT_MISMATCH", "the event's subject is not the prescription's code"

    # The facility's signature (envelope `signature`, rxsim.fhir.signing): checked before the
    # national rules, so nothing unsigned or forged is read further. A signer in no national
    # list and with no registered key is UNKNOWN_FACILITY. The same codes say why a pharmacy
    # declined an order the coordinator did not sign (pharmacy.events `reason_code`).
    SIGNATURE_MISSING = (
        "SIGNATURE_MISSING",
        "the prescription is not signed by its facility (an order, by the coordinator)",
    )
    SIGNATURE_MALFORMED = (
        "SIGNATURE_MALFORMED",
        "the signature is not a detached JWS (compact) with alg EdDSA",
    )
    SIGNATURE_FACILITY_MISMATCH = (
        "SIGNATURE_FACILITY_MISMATCH",
        "signed by a facility other than the one that issued the prescription (an order, by "
        "another than the coordinator)",
    )
    SIGNATURE_UNKNOWN_KEY = (
        "SIGNATURE_UNKNOWN_KEY",
        "signed with a key the registry does not hold for that facility (or the coordinator)",
    )
    SIGNATURE_INVALID = (
        "SIGNATURE_INVALID",
        "the signature does not match: the prescription (or order) was changed after signing, "
        "or another key signed it",
    )

    # Who may call an HTTP API (rxsim.messaging.tokens): 401 for the first four, 403 after.
    TOKEN_MISSING = "TOKEN_MISSING", "no bearer token: sign in, or ask for a token, first"
    TOKEN_INVALID = "TOKEN_INVALID", "the token is malformed, or was not issued by this stack"
    TOKEN_EXPIRED = "TOKEN_EXPIRED", "the token's time is over: sign in again"
    WRONG_AUDIENCE = (
        "WRONG_AUDIENCE",
        "the token is for another kind of caller (a citizen, a facility, a pharmacy, an "
        "operator) than this endpoint serves",
    )
    OTHER_CITIZEN = "OTHER_CITIZEN", "the token's citizen is not the one whose data is asked for"
    OTHER_FACILITY = (
        "OTHER_FACILITY",
        "the token's facility is not the one that issued the prescription",
    )
    OTHER_PHARMACY = "OTHER_PHARMACY", "the token's pharmacy is not the one named"

    # The simulated VNeID sign-in with a one-time code (services.citizen_app.signin).
    CODE_NOT_SENT = "CODE_NOT_SENT", "no one-time code is pending for this citizen: ask for one"
    CODE_WRONG = "CODE_WRONG", "the one-time code is not the one sent"
    CODE_EXPIRED = "CODE_EXPIRED", "the one-time code's time is over: ask for a new one"
    CODE_ATTEMPTS_EXCEEDED = (
        "CODE_ATTEMPTS_EXCEEDED",
        "too many wrong codes: this one is void, ask for a new one",
    )
    RATE_LIMITED = (
        "RATE_LIMITED",
        "too many requests from this caller: wait as Retry-After says, then try again",
    )
    AUDIT_UNAVAILABLE = (
        "AUDIT_UNAVAILABLE",
        "the read could not be recorded in the audit (the broker did not answer), so it was "
        "not answered: try again",
    )

    # The national rules (rxsim.domain.rules.registry says which rule gives which).
    PRESCRIPTION_CODE_FORMAT = "PRESCRIPTION_CODE_FORMAT", "the code is not xxxxxyyyyyyy-z"
    PRESCRIPTION_CODE_FACILITY = (
        "PRESCRIPTION_CODE_FACILITY",
        "the code does not start with the sending facility's code",
    )
    TYPE_LETTER_MISMATCH = (
        "TYPE_LETTER_MISMATCH",
        "the code's type letter is not the drugs' type, or the drugs mix types",
    )
    DUPLICATE_CODE = "DUPLICATE_CODE", "the prescription code was already used"
    UNKNOWN_FACILITY = "UNKNOWN_FACILITY", "the facility code is in no national list"
    FACILITY_NOT_ONBOARDED = (
        "FACILITY_NOT_ONBOARDED",
        "the facility is not connected in this rollout phase",
    )
    MISSING_PRESCRIBER_LICENCE = (
        "MISSING_PRESCRIBER_LICENCE",
        "the prescriber has no practising certificate number (CCHN)",
    )
    CCCD_FORMAT = "CCCD_FORMAT", "the citizen id is not 12 digits"
    CCCD_PROVINCE = "CCCD_PROVINCE", "the citizen id's first 3 digits are no province"
    CCCD_CENTURY_SEX = (
        "CCCD_CENTURY_SEX",
        "the citizen id's 4th digit disagrees with the birth century or the sex",
    )
    CCCD_BIRTH_YEAR = "CCCD_BIRTH_YEAR", "the citizen id's digits 5-6 are not the birth year"
    BIRTH_DATE_MISSING = "BIRTH_DATE_MISSING", "the patient has no birth date"
    GENDER_MISSING = "GENDER_MISSING", "the patient has no sex"
    CHILD_WEIGHT_MISSING = "CHILD_WEIGHT_MISSING", "a young child has no body weight"
    CHILD_GUARDIAN_MISSING = "CHILD_GUARDIAN_MISSING", "a young child has no guardian named"
    DIAGNOSIS_MISSING = "DIAGNOSIS_MISSING", "a drug line has no ICD-10 diagnosis"
    DIAGNOSIS_FORMAT = "DIAGNOSIS_FORMAT", "a diagnosis is not an ICD-10 code"
    DIAGNOSIS_UNKNOWN = "DIAGNOSIS_UNKNOWN", "a diagnosis is not in the ICD-10 catalog"
    DRUG_NOT_IN_CATALOG = (
        "DRUG_NOT_IN_CATALOG",
        "a drug has no registration number, or one the national register does not hold",
    )
    DOSE_MISSING = "DOSE_MISSING", "a drug line has no dose per intake"
    FREQUENCY_MISSING = "FREQUENCY_MISSING", "a drug line has no times per day"
    DAYS_MISSING = "DAYS_MISSING", "a drug line has no days of supply"
    QUANTITY_INCONSISTENT = (
        "QUANTITY_INCONSISTENT",
        "the quantity is not dose x times per day x days, or not in the dose's unit",
    )
    SUPPLY_LIMIT_EXCEEDED = (
        "SUPPLY_LIMIT_EXCEEDED",
        "more days than TT 26/2025 allows for this type of drug and diagnosis",
    )
    NARCOTIC_FACILITY_NO_BEDS = (
        "NARCOTIC_FACILITY_NO_BEDS",
        "narcotics prescribed by a facility without inpatient beds",
    )

    # After acceptance: why a prescription moved as it did.
    PHARMACY_DECLINED = "PHARMACY_DECLINED", "the pharmacy declined or returned the order"
    PARTIALLY_DISPENSED = "PARTIALLY_DISPENSED", "part was sold, the rest is offered again"
    CANCELLATION_TOO_LATE = (
        "CANCELLATION_TOO_LATE",
        "the pharmacy dispensed before the cancellation reached it",
    )
    CANCELLED_BY_PRESCRIBER = "CANCELLED_BY_PRESCRIBER", "the prescriber withdrew it"
    VALIDITY_OVER = "VALIDITY_OVER", "not bought within its validity period"

    # A request from a person the coordinator refused (rx.status `refused`): nothing changed.
    CANCEL_TOO_LATE = (
        "CANCEL_TOO_LATE",
        "a cancellation came after the drugs were sold (the rest of a partial sale is withdrawn)",
    )
    ALREADY_CANCELLED = "ALREADY_CANCELLED", "the prescription is cancelled, or being cancelled"
    PRESCRIPTION_ENDED = (
        "PRESCRIPTION_ENDED",
        "the prescription was rejected or has expired: there is nothing to cancel or choose",
    )
    CHOICE_NOT_APPLICABLE = (
        "CHOICE_NOT_APPLICABLE",
        "a pharmacy can be chosen only while the prescription is AVAILABLE",
    )
    UNKNOWN_PHARMACY = "UNKNOWN_PHARMACY", "the chosen pharmacy is in no national list"
    NOT_THE_PATIENT = "NOT_THE_PATIENT", "the choice came from a citizen other than the patient"
    HOME_DELIVERY_NOT_ALLOWED = (
        "HOME_DELIVERY_NOT_ALLOWED",
        "home delivery was chosen for drugs that may only be collected (controlled drugs)",
    )
