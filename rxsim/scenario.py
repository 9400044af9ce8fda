"""Scenarios as files: who is onboarded, how much load, how people behave, which rules apply."""

import tomllib
from datetime import timedelta
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rxsim.clock import Clock
from rxsim.country import PROVINCE_CODE, Country
from rxsim.scenario_rules import Rules

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Population(_Section):
    onboarded_provinces: list[str] = Field(min_length=1)
    hospitals_per_province: int = Field(default=2, ge=1)
    pharmacies_per_province: int = Field(default=5, ge=1)
    citizens_per_province: int = Field(default=50, ge=1)

    @model_validator(mode="after")
    def _known_provinces(self) -> "Population":
        unknown = [p for p in self.onboarded_provinces if p not in PROVINCE_CODE]
        if unknown:
            raise ValueError(f"unknown provinces {unknown}; see rxsim.country.PROVINCES")
        return self


class Load(_Section):
    prescriptions: int = Field(default=300, ge=1)
    rate_per_second: float = Field(default=10.0, gt=0)


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
    partial_dispensing: bool = Field(
        default=True, description="a pharmacy short of an item may sell part of it (TT 26/2025)"
    )
    suspicious_stock_share: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="share of (pharmacy, drug) pairs stocked with a recalled or unknown lot",
    )


class Faults(_Section):
    """Shares of generated prescriptions that carry a deliberate problem."""

    not_onboarded_facility: float = Field(default=0.03, ge=0, le=1)
    duplicate_code: float = Field(default=0.02, ge=0, le=1)
    malformed_code: float = Field(default=0.02, ge=0, le=1)


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

    @cached_property
    def country(self) -> Country:
        return Country(
            self.seed,
            self.population.hospitals_per_province,
            self.population.pharmacies_per_province,
            self.population.citizens_per_province,
        )

    @property
    def clock(self) -> Clock:
        return Clock(self.speedup)

    @property
    def validity(self) -> timedelta:
        return timedelta(days=self.rules.validity_days)

    @cached_property
    def onboarded_facilities(self) -> frozenset[str]:
        provinces = set(self.population.onboarded_provinces)
        return frozenset(h.code for h in self.country.hospitals if h.province in provinces)


def available() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.toml"))


def load(name_or_path: str, speedup: float | None = None) -> Scenario:
    """Load a scenario by name (from scenarios/) or by path; `speedup` overrides its clock."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        names = ", ".join(p.stem for p in available())
        raise FileNotFoundError(f"no scenario {name_or_path!r}; available: {names}")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    if speedup is not None:
        raw["speedup"] = speedup
    return Scenario.model_validate(raw)
