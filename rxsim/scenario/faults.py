"""A scenario's deliberate faults: the share of generated prescriptions that break one national
rule each, and the reason code the coordinator gives for it (docs/prescription-bundle.md)."""

from collections.abc import Collection
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rxsim.domain.reasons import Reason
from rxsim.domain.reference.country import Country

# Fault kind -> the reason code its prescriptions are rejected with.
FAULT_REASONS: dict[str, str] = {
    "not_onboarded_facility": Reason.FACILITY_NOT_ONBOARDED,
    "duplicate_code": Reason.DUPLICATE_CODE,
    "malformed_code": Reason.PRESCRIPTION_CODE_FORMAT,
    "type_letter_mismatch": Reason.TYPE_LETTER_MISMATCH,
    "missing_prescriber_licence": Reason.MISSING_PRESCRIBER_LICENCE,
    "bad_cccd": Reason.CCCD_CENTURY_SEX,
    "child_without_weight": Reason.CHILD_WEIGHT_MISSING,
    "child_without_guardian": Reason.CHILD_GUARDIAN_MISSING,
    "missing_diagnosis": Reason.DIAGNOSIS_MISSING,
    "drug_not_in_catalog": Reason.DRUG_NOT_IN_CATALOG,
    "quantity_inconsistent": Reason.QUANTITY_INCONSISTENT,
    "over_supply_limit": Reason.SUPPLY_LIMIT_EXCEEDED,
    "narcotic_from_clinic": Reason.NARCOTIC_FACILITY_NO_BEDS,
}


Share = Annotated[float, Field(ge=0, le=1)]


class Faults(BaseModel):
    """Shares of generated prescriptions that carry one deliberate problem each: a valid Bundle
    with exactly one element broken, so the rejection reasons follow from the scenario."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    not_onboarded_facility: Share = 0.03
    duplicate_code: Share = 0.02
    malformed_code: Share = 0.02
    type_letter_mismatch: Share = 0.0
    missing_prescriber_licence: Share = 0.0
    bad_cccd: Share = 0.0
    child_without_weight: Share = 0.0
    child_without_guardian: Share = 0.0
    missing_diagnosis: Share = 0.0
    drug_not_in_catalog: Share = 0.0
    quantity_inconsistent: Share = 0.0
    over_supply_limit: Share = 0.0
    narcotic_from_clinic: Share = 0.0

    @model_validator(mode="after")
    def _at_most_all(self) -> "Faults":
        if sum(self.shares.values()) > 1 + 1e-9:
            raise ValueError("fault shares add up to more than 1")
        return self

    @property
    def shares(self) -> dict[str, float]:
        """Every fault kind with its share, in a fixed order (the generator draws by it)."""
        return {kind: getattr(self, kind) for kind in FAULT_REASONS}


def unmet(faults: Faults, country: Country, onboarded: Collection[str]) -> list[str]:
    """Faults the scenario asks for that its population cannot produce: better refused when
    the scenario loads than silently issued as valid prescriptions."""
    facilities = country.facilities
    needs = {
        "not_onboarded_facility": (
            any(f.code not in onboarded for f in facilities),
            "every known facility is onboarded",
        ),
        "narcotic_from_clinic": (
            any(f.code in onboarded and not f.inpatient_beds for f in facilities),
            "no onboarded facility lacks inpatient beds (onboard clinics, or more hospitals)",
        ),
        "child_without_weight": (
            any(c.weight_kg is not None for c in country.citizens),
            "there are no young children (raise population.child_share)",
        ),
    }
    needs["child_without_guardian"] = needs["child_without_weight"]
    return [
        f"faults.{kind} = {getattr(faults, kind):g} cannot be produced: {why}"
        for kind, (possible, why) in needs.items()
        if getattr(faults, kind) > 0 and not possible
    ]
