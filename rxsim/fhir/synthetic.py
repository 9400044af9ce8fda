"""A whole synthetic prescription, as a prescriber who follows TT 26/2025 would write it: a
diagnosis that fits the drugs, a course and days within the supply limit, and for a young child
a weight and a guardian."""

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from rxsim.domain.reference import catalog
from rxsim.domain.reference.country import Citizen, Drug, Hospital
from rxsim.domain.rules.switches import Rules, age_in_months
from rxsim.fhir.bundles import medication_request, wrap

REGULATION = Rules()  # the limits a prescriber follows, whatever a scenario switches off
# A diagnosis that fits a drug, by the drug's ATC prefix (the first match wins); a generator
# that wants other pairings passes `diagnoses` itself.
DIAGNOSIS_FOR_ATC = (
    ("A10", "E11.9"),
    ("C10", "E78.5"),
    ("C0", "I10"),
    ("B01", "I25.9"),
    ("J01", "J06.9"),
    ("R03", "J45.9"),
    ("R05", "J20.9"),
    ("R06", "L30.9"),
    ("M0", "M54.5"),
    ("A02", "K29.7"),
    ("A03", "K29.7"),
    ("A07", "A09"),
    ("N02A", "C34.9"),
    ("N02B", "J06.9"),
    ("N03", "G40.9"),
    ("N05", "F41.1"),
    ("N06", "F32.9"),
)


def _diagnosis_for(rng: random.Random, drugs: list[Drug], letter: str) -> str:
    """A diagnosis a doctor would write for these drugs (narcotics: cancer or a fracture)."""
    if letter == "n":
        return rng.choice(("C34.9", "C50.9", "S82.2"))
    atc = next((d.atc for d in drugs if d.atc), "")
    found = next((icd for prefix, icd in DIAGNOSIS_FOR_ATC if atc.startswith(prefix)), None)
    if found in catalog.DIAGNOSIS_BY_CODE:
        return found
    return "F41.1" if letter == "h" else rng.choice(("J06.9", "M54.5", "K29.7"))


def _course_for(letter: str, diagnoses: Sequence[str]) -> str:
    """Long-term for chronic conditions and cancer, acute otherwise."""
    known = [catalog.DIAGNOSIS_BY_CODE.get(code) for code in diagnoses]
    return "continuous" if any(d and (d.chronic or d.cancer) for d in known) else "acute"


def _days_for(rng: random.Random, letter: str, diagnoses: Sequence[str], course: str) -> int:
    """Plausible days within the TT 26/2025 limit that applies."""
    known = [catalog.DIAGNOSIS_BY_CODE.get(code) for code in diagnoses]
    limit = REGULATION.max_days(
        letter,
        chronic=any(d and d.chronic for d in known),
        cancer=any(code.startswith("C") for code in diagnoses),
        long_term=course == "continuous",
    )
    if course == "continuous":
        return rng.choice([d for d in (14, 28, 30, 60, 90) if d <= limit] or [limit])
    return rng.randint(min(3, limit), min(10, limit))


def _child_weight(months: int) -> float:
    """A median weight for the age (WHO growth standards, roughly), in kg."""
    return round(3.3 + min(months, 12) * 0.5 + max(months - 12, 0) * 0.18, 1)


def prescription(
    rng: random.Random,
    *,
    code: str,
    hospital: Hospital,
    citizen: Citizen,
    drugs: list[Drug],
    diagnoses: Sequence[str] | None = None,
    days: int | None = None,
    course: str | None = None,
    weight_kg: float | None = None,
    guardian: str | None = None,
    simulated: bool = True,
) -> dict[str, Any]:
    """A whole synthetic prescription that passes every national rule, given drugs of one type
    (the code's letter) and, for narcotics, a hospital with inpatient beds. Unless asked for:
    a diagnosis fitting the drugs, a course and days within the supply limit, and for a child
    under 72 months a weight and a guardian (the citizen's own when the country knows them)."""
    authored = datetime.now(UTC)
    letter = catalog.prescription_type(drugs)
    diagnoses = list(diagnoses or [_diagnosis_for(rng, drugs, letter)])
    course = course or _course_for(letter, diagnoses)
    days = days or _days_for(rng, letter, diagnoses, course)
    months = age_in_months(citizen.birth_date, authored.date())
    child = REGULATION.is_child(citizen.birth_date, authored.date())
    if child or weight_kg is not None:
        weight_kg = weight_kg or getattr(citizen, "weight_kg", None) or _child_weight(months)
    if child or guardian:
        guardian = guardian or getattr(citizen, "guardian", "") or _guardian(rng, citizen)
    requests = [
        medication_request(
            code,
            drug,
            days,
            authored.isoformat(),
            "",
            "",
            diagnoses=diagnoses,
            course=course,
            dose=0.5 if child and drug.unit == "viên" else 1.0,
        )
        for drug in drugs
    ]
    doctor = (
        f"BS. {citizen.name.split()[0]} {rng.choice(('Minh', 'Lan', 'Hùng', 'Thảo'))}",
        f"{rng.randint(1, 99999):06d}/{hospital.code}-CCHN",
    )
    return wrap(
        requests,
        code=code,
        hospital=hospital,
        citizen=citizen,
        prescriber=doctor,
        simulated=simulated,
        weight_kg=weight_kg,
        guardian=guardian,
    )


def _guardian(rng: random.Random, citizen: Citizen) -> str:
    """A parent sharing the child's family name."""
    middle, given = rng.choice(("Văn", "Thị", "Minh")), rng.choice(("An", "Hoa", "Nam", "Lan"))
    return f"{citizen.name.split()[0]} {middle} {given}"


def citizen_of_cccd(cccd: str, name: str, province: str) -> Citizen:
    """A patient born on 1 January of the year, and of the sex, that the CCCD encodes; a CCCD
    that encodes nothing gives 1980 and male, and the rules will say what is wrong with it."""
    birth, sex = date(1980, 1, 1), "male"
    if len(cccd) == 12 and cccd.isdigit():
        digit = int(cccd[3])
        birth = date(1900 + 100 * (digit // 2) + int(cccd[4:6]), 1, 1)
        sex = "female" if digit % 2 else "male"
    return Citizen(cccd, name, birth, sex, province, f"1 Lê Lợi, {province}")
