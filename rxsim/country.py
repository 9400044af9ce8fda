"""A synthetic Vietnam, deterministic from a seed: provinces, hospitals, clinics, pharmacies,
citizens. Every service builds the same country from the scenario, so no registry is shared."""

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from rxsim import names
from rxsim.catalog import DRUG_BY_CODE, DRUGS, Drug  # noqa: F401  (re-exported)
from rxsim.provinces import PROVINCE_CODE, PROVINCES

CLINIC_NUMBERS_FROM = 500  # facility codes: province + 001-499 hospitals, 500-999 clinics
# WHO growth-standard medians (months, kg), both sexes: enough for a plausible child weight.
WEIGHT_BY_MONTHS = ((0, 3.3), (6, 7.6), (12, 9.4), (24, 12.0), (36, 14.1), (48, 16.1), (72, 20.5))


@dataclass(frozen=True)
class Hospital:
    """A prescribing facility; clinics (phòng khám) are the same record with kind "clinic"."""

    code: str  # 5-character facility code
    name: str
    province: str
    inpatient_beds: bool
    kind: str = "hospital"  # "hospital" | "clinic"


Facility = Hospital


@dataclass(frozen=True)
class Pharmacy:
    id: str
    name: str
    province: str


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


def _start_of_this_year() -> date:
    return date(date.today().year, 1, 1)


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


@dataclass(frozen=True)
class Country:
    seed: int
    hospitals_per_province: int
    pharmacies_per_province: int
    citizens_per_province: int
    clinics_per_province: int = 0
    child_share: float = 0.1  # children under 6 among patients (they need weight and guardian)
    # Ages count from 1 January of this year: children born in the 5 years before it are
    # still under 72 months on 31 December, and the country is the same all year long.
    as_of: date = field(default_factory=_start_of_this_year)

    def __post_init__(self) -> None:
        if not 1 <= self.hospitals_per_province < CLINIC_NUMBERS_FROM:
            raise ValueError(f"hospitals_per_province must be 1-{CLINIC_NUMBERS_FROM - 1}")
        if not 0 <= self.clinics_per_province < 1000 - CLINIC_NUMBERS_FROM:
            raise ValueError(f"clinics_per_province must be 0-{999 - CLINIC_NUMBERS_FROM}")

    @cached_property
    def hospitals(self) -> tuple[Hospital, ...]:
        rng = random.Random(f"{self.seed}:hospitals")
        return tuple(
            Hospital(
                f"{code[1:]}{n:03d}",
                f"Bệnh viện Đa khoa {name}" if n == 1 else f"Trung tâm Y tế {name} số {n}",
                name,
                inpatient_beds=n == 1 or rng.random() < 0.7,
            )
            for name, code in PROVINCES
            for n in range(1, self.hospitals_per_province + 1)
        )

    @cached_property
    def clinics(self) -> tuple[Hospital, ...]:
        """Private and public clinics: no inpatient beds, so never narcotic prescriptions."""
        return tuple(
            Hospital(
                f"{code[1:]}{CLINIC_NUMBERS_FROM + n:03d}",
                f"Phòng khám Đa khoa {name} số {n}",
                name,
                inpatient_beds=False,
                kind="clinic",
            )
            for name, code in PROVINCES
            for n in range(1, self.clinics_per_province + 1)
        )

    @cached_property
    def facilities(self) -> tuple[Hospital, ...]:
        return self.hospitals + self.clinics

    @cached_property
    def facility_by_code(self) -> dict[str, Hospital]:
        return {f.code: f for f in self.facilities}

    @property
    def hospital_by_code(self) -> dict[str, Hospital]:
        """Every prescribing facility by code, clinics included (the coordinator's registry)."""
        return self.facility_by_code

    @cached_property
    def pharmacies(self) -> tuple[Pharmacy, ...]:
        return tuple(
            Pharmacy(f"NT{code}{n:03d}", f"Nhà thuốc {name} {n}", name)
            for name, code in PROVINCES
            for n in range(1, self.pharmacies_per_province + 1)
        )

    @cached_property
    def pharmacy_by_id(self) -> dict[str, Pharmacy]:
        return {p.id: p for p in self.pharmacies}

    @cached_property
    def _pharmacies_by_province(self) -> dict[str, list[Pharmacy]]:
        found: dict[str, list[Pharmacy]] = {}
        for p in self.pharmacies:
            found.setdefault(p.province, []).append(p)
        return found

    def pharmacies_in(self, province: str) -> list[Pharmacy]:
        return list(self._pharmacies_by_province.get(province, ()))

    @cached_property
    def citizens(self) -> tuple[Citizen, ...]:
        rng = random.Random(f"{self.seed}:citizens")
        people: list[Citizen] = []
        taken: set[str] = set()
        for province, _ in PROVINCES:
            for _ in range(self.citizens_per_province):
                people.append(self._citizen(rng, province, taken))
        return tuple(people)

    def _citizen(self, rng: random.Random, province: str, taken: set[str]) -> Citizen:
        sex = rng.choice(("male", "female"))
        child = rng.random() < self.child_share
        days_old = rng.randrange(5 * 365) if child else int(rng.triangular(6, 90, 55) * 365.25)
        birth = self.as_of - timedelta(days=days_old)
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
        weight = _child_weight(rng, birth, self.as_of)
        return Citizen(cccd, name, birth, sex, province, address, weight, guardian)

    @cached_property
    def citizen_by_cccd(self) -> dict[str, Citizen]:
        return {c.cccd: c for c in self.citizens}

    @cached_property
    def _citizens_by_province(self) -> dict[str, tuple[Citizen, ...]]:
        found: dict[str, list[Citizen]] = {}
        for c in self.citizens:
            found.setdefault(c.province, []).append(c)
        return {province: tuple(people) for province, people in found.items()}

    def citizens_in(self, province: str) -> tuple[Citizen, ...]:
        return self._citizens_by_province.get(province, ())
