"""The people of the synthetic country: Vietnamese names, CCCDs in the national format, and
young children with the weight and guardian their prescriptions need."""

import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta

from rxsim.domain.reference import names
from rxsim.domain.reference.provinces import PROVINCE_CODE

# WHO growth-standard medians (months, kg), both sexes: enough for a plausible child weight.
WEIGHT_BY_MONTHS = ((0, 3.3), (6, 7.6), (12, 9.4), (24, 12.0), (36, 14.1), (48, 16.1), (72, 20.5))


@dataclass(frozen=True)
class Citizen:
    cccd: str
    name: str
    birth_date: date
    sex: str  # "male" | "female"
    province: str
    address: str
    weight_kg: float | None = None  # known for young children, who need it on prescriptions
    guardian: str = ""  # a parent's name, for young children


def cccd_for(rng: random.Random, province: str, birth: date, sex: str) -> str:
    """12 digits: province of birth registration, century/sex, year, 6 random."""
    century = 0 if birth.year < 2000 else 2
    return (
        f"{PROVINCE_CODE[province]}{century + (sex == 'female')}{birth.year % 100:02d}"
        f"{rng.randrange(10**6):06d}"
    )


def _person_name(rng: random.Random, sex: str, family: str | None = None) -> str:
    family = family or rng.choices(names.FAMILY_NAMES, names.FAMILY_WEIGHTS)[0]
    return f"{family} {rng.choice(names.MIDDLE[sex])} {rng.choice(names.GIVEN[sex])}"


def _child_weight(rng: random.Random, birth: date, on: date) -> float:
    months = (on.year - birth.year) * 12 + on.month - birth.month - (on.day < birth.day)
    for (m0, w0), (m1, w1) in itertools.pairwise(WEIGHT_BY_MONTHS):
        if months <= m1:
            median = w0 + (w1 - w0) * (months - m0) / (m1 - m0)
            return round(median * rng.uniform(0.88, 1.12), 1)
    return WEIGHT_BY_MONTHS[-1][1]


def citizen(
    rng: random.Random, province: str, child_share: float, as_of: date, taken: set[str]
) -> Citizen:
    """One resident, registered at birth in `province`: a young child (under 6 on `as_of`)
    with weight and guardian in `child_share` of draws; a CCCD not in `taken` (added to it)."""
    sex = rng.choice(("male", "female"))
    child = rng.random() < child_share
    days_old = rng.randrange(5 * 365) if child else int(rng.triangular(6, 90, 55) * 365.25)
    birth = as_of - timedelta(days=days_old)
    name = _person_name(rng, sex)
    address = f"{rng.randint(1, 300)} {rng.choice(names.STREETS)}, {province}"
    cccd = cccd_for(rng, province, birth, sex)
    while cccd in taken:  # 6 random digits can collide within a province, year and sex
        cccd = cccd_for(rng, province, birth, sex)
    taken.add(cccd)
    if not child:
        return Citizen(cccd, name, birth, sex, province, address)
    parent_sex = rng.choice(("male", "female"))
    guardian = _person_name(rng, parent_sex, name.split()[0] if parent_sex == "male" else None)
    weight = _child_weight(rng, birth, as_of)
    return Citizen(cccd, name, birth, sex, province, address, weight, guardian)
