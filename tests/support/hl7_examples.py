"""HL7's published R4 MedicationRequest examples, wrapped as rxsim's `fhir wrap` does: plainly,
or made Vietnamese with an ICD-10 diagnosis and a drug registration number (số đăng ký), and
what the national rules make of each. Shared by the unit and integration tests."""

import json
import random
from pathlib import Path
from typing import Any

from rxsim.domain.reference.country import Citizen, Hospital
from rxsim.fhir import bundles

EXAMPLES = sorted((Path(__file__).parents[1] / "data" / "hl7-r4-examples").glob("*.json"))
# An equivalent Vietnamese drug and a diagnosis it is prescribed for; default: amlodipine
# for hypertension. The fentanyl patch becomes fentanyl, for cancer pain.
EQUIVALENT: dict[str, tuple[str, str]] = {
    "medrx0311": ("I10", "VD-36250-22"),  # the register's chlorthalidone, as the README wraps it
    "medrx0327": ("C34.9", "QLĐB-712-19"),
}
DEFAULT_EQUIVALENT = ("I10", "VN-20187-16")
# Refused at the edge (422), already before the national rules: not active, or no quantity.
EDGE_REFUSED = {
    "medrx002", "medrx0301", "medrx0304", "medrx0305", "medrx0306", "medrx0307", "medrx0308",
    "medrx0309", "medrx0310", "medrx0313", "medrx0314", "medrx0315", "medrx0316", "medrx0317",
    "medrx0318", "medrx0319", "medrx0320", "medrx0322", "medrx0323", "medrx0324", "medrx0325",
    "medrx0326", "medrx0329", "medrx0332", "medrx0334", "medrx0335", "medrx0336", "medrx0337",
    "medrx0338",
}  # fmt: skip
# Made Vietnamese, what each of the others still lacks (None: nothing, it is accepted).
AS_VIETNAMESE: dict[str, str | None] = {
    "medrx0311": None,  # 1 tablet once a day (timing code QD) for 30 days: 30 tablets
    "medrx0327": None,  # 1 patch 3 times a week for 14 days: 6 patches
    # Two steps (2 tablets, then 1 a day), neither saying how long it lasts; the same with
    # bounds is accepted (tests/unit/test_multi_step_dosing.py).
    "medrx0302": "DAYS_MISSING",
    "medrx0303": "QUANTITY_INCONSISTENT",  # three steps by boundsPeriod use 43 tablets, not 51
    "medrx0312": "QUANTITY_INCONSISTENT",  # dose in mg, quantity in mL
    "medrx0321": "DAYS_MISSING",  # three insulin doses in two sequences, none with a length
    "medrx0328": "QUANTITY_INCONSISTENT",  # dose "ea", quantity in mL
    "medrx0330": "QUANTITY_INCONSISTENT",  # dose in drops, quantity in mL
    "medrx0331": "QUANTITY_INCONSISTENT",  # dose in mg, quantity in tablets
    "medrx0339": "DOSE_MISSING",  # its second step, a cream, has no dose
    "medrx0333": "DOSE_MISSING",  # a dose range, 1-2 tablets
}


def name(example: Path) -> str:
    return example.stem.removeprefix("MedicationRequest-")


def request(example: Path) -> dict[str, Any]:
    return dict(json.loads(example.read_text(encoding="utf-8")))


def vietnamese(example: Path) -> dict[str, Any]:
    """The request with its equivalent ICD-10 diagnosis and registration number added."""
    diagnosis, registration = EQUIVALENT.get(name(example), DEFAULT_EQUIVALENT)
    with_diagnosis = bundles.with_diagnosis(request(example), diagnosis)
    return bundles.with_registration_number(with_diagnosis, registration)


def wrapped(req: dict[str, Any], hospital: Hospital, citizen: Citizen) -> dict[str, Any]:
    letter = bundles.type_letter_of([req])
    return bundles.wrap(
        [req],
        code=bundles.new_code(random.Random(), hospital.code, letter),
        hospital=hospital,
        citizen=citizen,
        prescriber=("BS. Trần Thị Lan", f"000123/{hospital.code}-CCHN"),
    )
