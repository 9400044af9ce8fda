"""A scenario's deliberate faults: the share of generated prescriptions that break one national
rule each, and the reason code the coordinator gives for it. The fault kinds, their default
shares and their reasons come from the rules' registry (rxsim.domain.rules.registry)."""

from collections.abc import Collection, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rxsim.domain.reasons import Reason
from rxsim.domain.reference.country import Country
from rxsim.domain.rules.registry import FAULTS

# Fault kind -> the reason code its prescriptions are rejected with.
FAULT_REASONS: dict[str, Reason] = {kind: fault.reason for kind, fault in FAULTS.items()}


Share = Annotated[float, Field(ge=0, le=1)]


class Faults(BaseModel):
    """Shares of generated prescriptions that carry one deliberate problem each: a valid Bundle
    with exactly one element broken, so the rejection reasons follow from the scenario. A
    scenario names kinds directly (`[faults] bad_cccd = 0.01`); kinds it leaves out keep their
    default share."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Every fault kind with its share, in the registry's order (the generator draws by it).
    shares: dict[str, Share] = Field(
        default_factory=lambda: {kind: fault.share for kind, fault in FAULTS.items()}
    )

    @model_validator(mode="before")
    @classmethod
    def _by_kind(cls, given: Any) -> Any:
        if not isinstance(given, Mapping) or set(given) == {"shares"}:
            return given
        unknown = sorted(set(given) - set(FAULTS))
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(FAULTS)}")
        return {"shares": {kind: given.get(kind, f.share) for kind, f in FAULTS.items()}}

    @model_validator(mode="after")
    def _at_most_all(self) -> "Faults":
        if sum(self.shares.values()) > 1 + 1e-9:
            raise ValueError("fault shares add up to more than 1")
        return self


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
        f"faults.{kind} = {faults.shares[kind]:g} cannot be produced: {why}"
        for kind, (possible, why) in needs.items()
        if faults.shares[kind] > 0 and not possible
    ]
