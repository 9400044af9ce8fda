"""The sections of a scenario file: who is onboarded, how much load, how people behave, where
a real catalog comes from, how long finished prescriptions are kept, and whose signatures are
trusted (rules and faults have modules of
their own)."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rxsim.domain.reference.country import CLINIC_NUMBERS_FROM
from rxsim.domain.reference.provinces import PROVINCE_CODE
from rxsim.fhir import signing


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Population(Section):
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
            raise ValueError(
                f"unknown provinces {unknown}; see rxsim.domain.reference.country.PROVINCES"
            )
        return self


class Load(Section):
    prescriptions: int = Field(default=300, ge=1)
    rate_per_second: float = Field(default=10.0, gt=0, description="at relative rate 1.0")
    curve: list[tuple[float, float]] = Field(
        default=[],
        description="a day's shape: [simulated hour, relative rate] points, linear between; "
        "empty for a fixed rate (see rxsim.scenario.load_curve)",
    )
    thresholds: list[str] = Field(
        default=[],
        description="what a load run must hold, e.g. 'p99(visible) < 200ms' or 'lost == 0' "
        "(see rxsim.tools.thresholds); `rxsim load --threshold` adds more",
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


class Behaviour(Section):
    """Durations are simulated minutes; the clock's speedup turns them into real time."""

    delivery_share: float = Field(default=0.7, ge=0, le=1)
    never_choose_share: float = Field(default=0.03, ge=0, le=1)
    choice_delay_minutes: tuple[float, float] = (10.0, 240.0)
    pickup_delay_minutes: tuple[float, float] = (30.0, 480.0)
    prep_minutes: tuple[float, float] = (5.0, 30.0)  # accepted -> dispensed at the pharmacy
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


class CatalogFiles(Section):
    """Real catalogs from CSV (see rxsim.domain.reference.catalog_csv), relative to the
    scenario file; rxsim's built-in drugs or diagnoses where a file is not given."""

    drugs_csv: Path | None = None
    diagnoses_csv: Path | None = None


class Retention(Section):
    """How long the services keep what is finished: a long run's state must grow with what is
    in flight, not with its history."""

    days_after_validity: float = Field(
        default=90.0,
        gt=0,
        description="simulated days a finished prescription is kept after its validity ends, "
        "for status queries and to know a duplicate or replayed submission; then it is "
        "forgotten, and a replayed submission older than that is parked as a dead letter",
    )


class Security(Section):
    """Who may issue prescriptions: every prescription on rx.issued carries its facility's
    signature (rxsim.fhir.signing), checked against the simulated facilities' keys and the
    public keys registered here."""

    require_signatures: bool = Field(
        default=True,
        description="refuse an unsigned prescription (SIGNATURE_MISSING); false for a pilot "
        "whose systems cannot sign yet. A signature that is there is always checked",
    )
    public_keys: dict[str, str] = Field(
        default={},
        description="facility code -> its Ed25519 public key in PEM (`openssl pkey -pubout`), "
        "or the path of a PEM file relative to the scenario file",
    )

    @field_validator("public_keys")
    @classmethod
    def _ed25519_pem(cls, keys: dict[str, str]) -> dict[str, str]:
        for facility, pem in keys.items():
            try:
                signing.public_key_from_pem(pem)
            except ValueError as exc:
                raise ValueError(f"public key of facility {facility}: {exc}") from None
        return keys
