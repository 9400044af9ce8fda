"""Scenarios as files: who is onboarded, how much load, how people behave, which rules apply,
and which catalog of drugs and diagnoses is in use."""

import tomllib
from datetime import timedelta
from functools import cache
from pathlib import Path

from pydantic import Field, model_validator

from rxsim.domain.reference import catalog_csv
from rxsim.domain.reference.catalog import DIAGNOSES, DRUGS
from rxsim.domain.reference.country import Country
from rxsim.domain.reference.formulary import Catalog
from rxsim.domain.rules.switches import Rules
from rxsim.fhir.signing import FacilityKeys
from rxsim.scenario.clock import Clock
from rxsim.scenario.faults import Faults, unmet
from rxsim.scenario.sections import (
    Behaviour,
    CatalogFiles,
    Load,
    Population,
    Retention,
    Section,
    Security,
)

SCENARIO_DIR = Path(__file__).resolve().parents[1] / "scenarios"


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


class Scenario(Section):
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
    security: Security = Security()
    retention: Retention = Retention()

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

    def facility_keys(self) -> FacilityKeys:
        """The registry of facility public keys the coordinator verifies signatures against:
        every facility of the country's simulated key, and the keys `[security]` registers."""
        codes = frozenset(f.code for f in self.country.facilities)
        return FacilityKeys.of(self.seed, codes, self.security.public_keys)

    @property
    def clock(self) -> Clock:
        return Clock(self.speedup)

    @property
    def validity(self) -> timedelta:
        return timedelta(days=self.rules.validity_days)

    @property
    def kept_after_validity(self) -> timedelta:
        return timedelta(days=self.retention.days_after_validity)

    @property
    def kept_after_issue(self) -> timedelta:
        """How long after its issue a finished prescription is kept, in real time at the
        scenario's clock: its validity and the retention after it, as the coordinator keeps
        it. The services that show prescriptions forget them then too."""
        return timedelta(seconds=self.clock.real_seconds(self.validity + self.kept_after_validity))

    @property
    def onboarded_facilities(self) -> frozenset[str]:
        p = self.population
        return _onboarded(
            self.country, frozenset(p.onboarded_provinces), frozenset(p.onboarded_kinds)
        )

    @model_validator(mode="after")
    def _faults_possible(self) -> "Scenario":
        problems = unmet(self.faults, self.country, self.onboarded_facilities)
        if problems:
            raise ValueError("; ".join(problems))
        return self


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
    keys = (raw.get("security") or {}).get("public_keys")
    if isinstance(keys, dict):  # a key given as a file is read here, relative to the scenario
        raw["security"]["public_keys"] = {
            facility: value
            if not isinstance(value, str) or value.lstrip().startswith("-----BEGIN")
            else (path.parent / value).read_text(encoding="ascii")
            for facility, value in keys.items()
        }
    scenario = Scenario.model_validate(raw)
    scenario.catalog  # noqa: B018  (read the CSV files now)
    return scenario
