"""Scenarios as files: who is onboarded, how much load, how people behave, which rules apply,
and which catalog of drugs and diagnoses is in use."""

import tomllib
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rxsim import catalog_csv
from rxsim.catalog import DIAGNOSES, DRUGS
from rxsim.clock import Clock
from rxsim.country import CLINIC_NUMBERS_FROM, PROVINCE_CODE, Country
from rxsim.formulary import Catalog
from rxsim.scenario_faults import Faults
from rxsim.scenario_rules import Rules

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Population(_Section):
    onboarded_provinces: list[str] = Field(min_length=1, description='names, or ["all"]')
    # Hospitals had to prescribe electronically by 1 October 2025, clinics by 1 January 2026.
    onboarded_kinds: list[Literal["hospital", "clinic"]] = Field(
        default=["hospital", "clinic"], min_length=1
    )
    hospitals_per_province: int = Field(default=2, ge=1, lt=CLINIC_NUMBERS_FROM)
    clinics_per_province: int = Field(default=2, ge=0, lt=1000 - CLINIC_NUMBERS_FROM)
    pharmacies_per_province: int = Field(default=5, ge=1)
    citizens_per_province: int = Field(default=50, ge=1)
    child_share: float = Field(default=0.1, ge=0, le=1, description="citizens under 6")

    @field_validator("onboarded_provinces", mode="before")
    @classmethod
    def _all(cls, value: object) -> object:
        return list(PROVINCE_CODE) if value == ["all"] else value

    @model_validator(mode="after")
    def _known_provinces(self) -> "Population":
        unknown = [p for p in self.onboarded_provinces if p not in PROVINCE_CODE]
        if unknown:
            raise ValueError(f"unknown provinces {unknown}; see rxsim.country.PROVINCES")
        return self


class Load(_Section):
    prescriptions: int = Field(default=300, ge=1)
    rate_per_second: float = Field(default=10.0, gt=0, description="at relative rate 1.0")
    curve: list[tuple[float, float]] = Field(
        default=[],
        description="a day's shape: [simulated hour, relative rate] points, linear between; "
        "empty for a fixed rate (see rxsim.load_curve)",
    )

    @field_validator("curve")
    @classmethod
    def _day_shaped(cls, curve: list[tuple[float, float]]) -> list[tuple[float, float]]:
        hours = [hour for hour, _ in curve]
        if any(not 0 <= hour <= 24 for hour in hours) or hours != sorted(set(hours)):
            raise ValueError("curve hours must rise strictly, within 0-24")
        if curve and (min(r for _, r in curve) < 0 or max(r for _, r in curve) <= 0):
            raise ValueError("curve rates must be 0 or more, and not all 0")
        return curve


class Behaviour(_Section):
    """Durations are simulated minutes; the clock's speedup turns them into real time."""

    delivery_share: float = Field(default=0.7, ge=0, le=1)
    never_choose_share: float = Field(default=0.03, ge=0, le=1)
    choice_delay_minutes: tuple[float, float] = (10.0, 240.0)
    pickup_delay_minutes: tuple[float, float] = (30.0, 480.0)
    courier_delay_minutes: tuple[float, float] = (30.0, 180.0)
    courier_failure_rate: float = Field(default=0.05, ge=0, le=1)
    out_of_stock_share: float = Field(
        default=0.15, ge=0, le=1, description="share of (pharmacy, drug) pairs with no stock"
    )
    stock_units: int = Field(default=100_000, ge=0)
    cancel_share: float = Field(
        default=0.02, ge=0, le=1, description="share of prescriptions the prescriber cancels"
    )
    cancel_after_minutes: tuple[float, float] = (20.0, 600.0)
    partial_dispensing: bool = Field(
        default=True, description="a pharmacy short of an item may sell part of it (TT 26/2025)"
    )
    suspicious_stock_share: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="share of (pharmacy, drug) pairs stocked with a recalled or unknown lot",
    )


class CatalogFiles(_Section):
    """Real catalogs from CSV (see rxsim.catalog_csv), relative to the scenario file; rxsim's
    built-in drugs or diagnoses where a file is not given."""

    drugs_csv: Path | None = None
    diagnoses_csv: Path | None = None


@cache
def _catalog(files: CatalogFiles) -> Catalog:
    drugs = catalog_csv.load_drugs(files.drugs_csv) if files.drugs_csv else DRUGS
    diagnoses = (
        catalog_csv.load_diagnoses(files.diagnoses_csv) if files.diagnoses_csv else DIAGNOSES
    )
    return Catalog(drugs, diagnoses)


@cache
def _onboarded(
    country: Country, provinces: frozenset[str], kinds: frozenset[str]
) -> frozenset[str]:
    return frozenset(
        f.code for f in country.facilities if f.province in provinces and f.kind in kinds
    )


class Scenario(_Section):
    name: str
    description: str
    seed: int = 2025
    speedup: float = Field(default=14_400.0, gt=0, description="simulated seconds per real second")
    population: Population
    load: Load = Load()
    behaviour: Behaviour = Behaviour()
    faults: Faults = Faults()
    rules: Rules = Rules()
    catalog_files: CatalogFiles = Field(default=CatalogFiles(), alias="catalog")

    # Derived data are cached by their inputs, not on the instance, so that a model_copy()
    # with another seed or population never carries a stale country along.
    @property
    def country(self) -> Country:
        p = self.population
        return _country(
            self.seed,
            p.hospitals_per_province,
            p.pharmacies_per_province,
            p.citizens_per_province,
            p.clinics_per_province,
            p.child_share,
        )

    @property
    def catalog(self) -> Catalog:
        """The drugs and diagnoses in use: the scenario's CSV files, else rxsim's own."""
        return _catalog(self.catalog_files)

    @property
    def clock(self) -> Clock:
        return Clock(self.speedup)

    @property
    def validity(self) -> timedelta:
        return timedelta(days=self.rules.validity_days)

    @property
    def onboarded_facilities(self) -> frozenset[str]:
        p = self.population
        return _onboarded(
            self.country, frozenset(p.onboarded_provinces), frozenset(p.onboarded_kinds)
        )


_country = cache(Country)


def available() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.toml"))


def load(name_or_path: str, speedup: float | None = None) -> Scenario:
    """Load a scenario by name (from scenarios/) or by path; `speedup` overrides its clock.
    Catalog files are read here, so that a bad one is reported before anything starts."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        names = ", ".join(p.stem for p in available())
        raise FileNotFoundError(f"no scenario {name_or_path!r}; available: {names}")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    if speedup is not None:
        raw["speedup"] = speedup
    files = raw.get("catalog")
    if isinstance(files, dict):
        raw["catalog"] = {
            key: str(path.parent / value)
            if key.endswith("_csv") and isinstance(value, str)
            else value
            for key, value in files.items()
        }
    scenario = Scenario.model_validate(raw)
    scenario.catalog  # noqa: B018  (read the CSV files now)
    return scenario
