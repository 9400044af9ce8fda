"""Rules on the prescription code (TT 26/2025): its format, its facility prefix, its type
letter against the drugs, and that a code is used once; with the faults that break them."""

import re

from rxsim.domain import fhirpath
from rxsim.domain.prescription import Issue, Prescription
from rxsim.domain.reasons import Reason
from rxsim.domain.reference.catalog import TYPE_NAMES, prescription_type
from rxsim.domain.rules.lookup import Lookup, refusal
from rxsim.domain.rules.rule import Bundle, Draw, Fault, Rule, resources

CODE_PATTERN = re.compile(r"^[0-9a-z]{12}-[cnhy]$")
CODE_EXPRESSION = f"{fhirpath.every('MedicationRequest')}.groupIdentifier.value"


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


def _set_code(bundle: Bundle, code: str) -> None:
    bundle["identifier"]["value"] = code
    for request in resources(bundle, "MedicationRequest"):
        request["groupIdentifier"]["value"] = code


def shouted_code(bundle: Bundle, draw: Draw) -> None:
    """Upper case, as a system that shouts might send it: ends in C, N, H or Y at least."""
    _set_code(bundle, bundle["identifier"]["value"].upper())


def other_type_letter(bundle: Bundle, draw: Draw) -> None:
    """Another type letter; never n, which would also make it a narcotic prescription."""
    code = bundle["identifier"]["value"]
    _set_code(bundle, code[:-1] + ("y" if code[-1] != "y" else "c"))


DUPLICATE_CODE = Rule(
    switch="duplicate_code",
    check=None,  # the coordinator checks it against the codes it has filed
    reasons=(Reason.DUPLICATE_CODE,),
    faults=(Fault("duplicate_code", Reason.DUPLICATE_CODE, share=0.02),),
    summary="a code once used is never re-sent: the prescriber cancels and issues a new code",
    regulation="TT 26/2025/TT-BYT, prescription code; national e-prescription API",
)
CODE_FORMAT = Rule(
    switch="prescription_code_format",
    check=lambda rx, at: prescription_code_format(rx),
    reasons=(Reason.PRESCRIPTION_CODE_FORMAT, Reason.PRESCRIPTION_CODE_FACILITY),
    faults=(Fault("malformed_code", Reason.PRESCRIPTION_CODE_FORMAT, shouted_code, share=0.02),),
    summary="the code is xxxxxyyyyyyy-z: the facility's code, 7 characters, the type letter",
    regulation="TT 26/2025/TT-BYT, prescription code",
)
TYPE_LETTER = Rule(
    switch="type_letter",
    check=lambda rx, at: type_letter(rx, at.catalog),
    reasons=(Reason.TYPE_LETTER_MISMATCH,),
    faults=(Fault("type_letter_mismatch", Reason.TYPE_LETTER_MISMATCH, other_type_letter),),
    summary="the code ends in the drugs' type (c, n, h, y), one type per prescription",
    regulation="TT 26/2025/TT-BYT, prescription code and types of prescription",
)
