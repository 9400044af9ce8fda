"""National rules after a prescription is accepted, which the coordinator applies as policy
rather than as a refusal with a reason code (so they have no fault and are not in the
registry): how a controlled drug may reach the citizen, and how much a pharmacy may sell."""

from collections.abc import Mapping

from rxsim.domain.rules.switches import Rules

CONTROLLED_TYPES = frozenset({"n", "h"})  # narcotics, psychotropics: pickup only by default


def home_delivery_allowed(type_letter: str, rules: Rules) -> bool:
    """Pharmacy Law 2024: controlled drugs are not sold online unless the scenario allows it."""
    return rules.home_delivery_of_controlled or type_letter not in CONTROLLED_TYPES


def over_dispensed(
    prescribed: Mapping[str, float], dispensed: Mapping[str, float], sold: Mapping[str, float]
) -> str | None:
    """Why this sale is refused, or None: cumulative sales of an item never exceed the
    prescribed quantity (TT 26/2025), and only prescribed items are sold."""
    for code, units in sold.items():
        if code not in prescribed:
            return f"sold {code}, which this prescription does not prescribe"
        if dispensed.get(code, 0) + units > prescribed[code] + 1e-9:
            return (
                f"selling {units:g} more of {code} would exceed the prescribed "
                f"{prescribed[code]:g} ({dispensed.get(code, 0):g} sold before)"
            )
    return None
