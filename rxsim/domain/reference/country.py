"""A synthetic Vietnam, deterministic from a seed: provinces, hospitals, clinics, pharmacies,
citizens. Every service builds the same country from the scenario, so no registry is shared."""

import random
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from rxsim.domain.reference.catalog import DRUG_BY_CODE, DRUGS, Drug  # noqa: F401  (re-exported)
from rxsim.domain.reference.citizens import Citizen, cccd_for, citizen  # noqa: F401  (cccd_for re-exported)
from rxsim.domain.reference.provinces import PROVINCE_CODE, PROVINCES  # noqa: F401  (re-exported)

CLINIC_NUMBERS_FROM = 500  # facility codes: province + 001-499 hospitals, 500-999 clinics


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


def _start_of_this_year() -> date:
    return date(date.today().year, 1, 1)


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
        taken: set[str] = set()
        return tuple(
            citizen(rng, province, self.child_share, self.as_of, taken)
            for province, _ in PROVINCES
            for _ in range(self.citizens_per_province)
        )

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
