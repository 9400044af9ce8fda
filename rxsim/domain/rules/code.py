"""Rules on the prescription code (TT 26/2025): its format, its facility prefix, its type
letter against the drugs, and that a code is used once."""

import re

from rxsim.domain.prescription import Issue, Prescription
from rxsim.domain.reasons import Reason
from rxsim.domain.reference.catalog import TYPE_NAMES, prescription_type
from rxsim.domain.rules.lookup import Lookup, refusal

CODE_PATTERN = re.compile(r"^[0-9a-z]{12}-[cnhy]$")
CODE_EXPRESSION = "MedicationRequest.groupIdentifier.value"


def prescription_code_format(rx: Prescription) -> list[Issue]:
    """14 characters, `xxxxxyyyyyyy-z`, facility code first, z in c/n/h/y."""
    if not CODE_PATTERN.match(rx.code):
        return [
            refusal(
                CODE_EXPRESSION,
                Reason.PRESCRIPTION_CODE_FORMAT,
                f"Mã đơn thuốc '{rx.code}' không đúng định dạng xxxxxyyyyyyy-z "
                "(prescription code must match ^[0-9a-z]{12}-[cnhy]$)",
            )
        ]
    if rx.code[:5] != rx.facility_code:
        return [
            refusal(
                CODE_EXPRESSION,
                Reason.PRESCRIPTION_CODE_FACILITY,
                f"Mã đơn thuốc '{rx.code}' không bắt đầu bằng mã cơ sở {rx.facility_code} "
                "(the code must start with the issuing facility's code)",
            )
        ]
    return []


def type_letter(rx: Prescription, catalog: Lookup) -> list[Issue]:
    """One type per prescription: the code ends in the drugs' type (n before h before y before
    c), and every drug is of that type. Drugs not in the catalog are another rule's concern."""
    known = [(item, drug) for item in rx.items if (drug := catalog.drug(item))]
    if not known:
        return []
    expected = prescription_type([drug for _, drug in known])
    letter = rx.type_letter.lower()  # the case is the format rule's concern
    if letter != expected:
        return [
            refusal(
                CODE_EXPRESSION,
                Reason.TYPE_LETTER_MISMATCH,
                f"Mã đơn thuốc '{rx.code}' phải kết thúc bằng -{expected} vì đơn có "
                f"{TYPE_NAMES[expected]} (the code's type letter must be '{expected}' for "
                "these drugs)",
            )
        ]
    return [
        refusal(
            f"{item.medication_where}.coding",
            Reason.TYPE_LETTER_MISMATCH,
            f"{drug.name} ({drug.registration_number}) là {TYPE_NAMES[drug.type_letter]}, "
            f"không kê chung trong đơn loại '{rx.type_letter}' (one type of drug per "
            f"prescription: this drug is type '{drug.type_letter}', the prescription "
            f"'{rx.type_letter}')",
        )
        for item, drug in known
        if drug.type_letter != letter
    ]


def duplicate_code(code: str) -> Issue:
    """A code once used is never re-sent: the prescriber cancels and issues a new code."""
    return Issue(
        CODE_EXPRESSION,
        Reason.DUPLICATE_CODE,
        f"Đơn thuốc đã được sử dụng trước đó: {code} (prescription code already used)",
        "duplicate",
    )


def subject_mismatch(subject: str, code: str) -> Issue:
    """The event's subject (and Kafka key) must be the prescription code it carries: the
    coordinator files and orders every prescription by it."""
    return refusal(
        CODE_EXPRESSION,
        Reason.SUBJECT_MISMATCH,
        f"Sự kiện ghi mã đơn {subject} nhưng đơn thuốc mang mã {code} "
        "(the event's subject is not the prescription's code)",
    )
