"""What the coordinator's decisions know besides the event and the record: the time, the
scenario's rules, who is known and onboarded, whose signatures it trusts, and its own key."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rxsim.domain import rules as rx_rules
from rxsim.domain.reference.country import Hospital
from rxsim.domain.rules.switches import Rules
from rxsim.fhir import signing
from rxsim.fhir.signing import FacilityKeys, Signer
from rxsim.scenario import Scenario


@dataclass(frozen=True)
class Context:
    now: datetime
    rules: Rules
    known_facilities: frozenset[str]
    onboarded_facilities: frozenset[str]
    known_pharmacies: frozenset[str]
    validity: timedelta  # real time, already scaled by the scenario's clock
    # How long a finished prescription is kept after its validity (real time, scaled).
    kept_after_validity: timedelta = timedelta(days=90)
    facilities: Mapping[str, Hospital] = field(default_factory=dict)  # by code, with their beds
    catalog: rx_rules.Lookup = field(default_factory=rx_rules.Lookup)
    keys: FacilityKeys = field(default_factory=lambda: FacilityKeys(seed=0))  # trusts no one
    require_signatures: bool = True
    # Signs the orders and cancellations sent to the pharmacies, which take no other; None
    # signs nothing.
    signer: Signer | None = None


def context_for(scenario: Scenario, now: datetime | None = None) -> Context:
    """The coordinator's view of a scenario; build it once and `replace(ctx, now=...)` per
    event, so the hot path does not rebuild the facility sets."""
    country = scenario.country
    return Context(
        now=now or datetime.now(UTC),
        rules=scenario.rules,
        known_facilities=frozenset(country.hospital_by_code),
        onboarded_facilities=scenario.onboarded_facilities,
        known_pharmacies=frozenset(country.pharmacy_by_id),
        validity=scenario.validity / scenario.speedup,
        kept_after_validity=scenario.kept_after_validity / scenario.speedup,
        facilities=country.hospital_by_code,
        catalog=rx_rules.Lookup(scenario.catalog.drug_by_code, scenario.catalog.diagnosis_by_code),
        keys=scenario.facility_keys(),
        require_signatures=scenario.security.require_signatures,
        signer=signing.coordinator_signer(scenario.seed),
    )
