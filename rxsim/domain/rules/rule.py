"""How a national rule is declared: its switch, its check, the reason codes it gives, the
deliberate fault the generator makes for it, and where it comes from in the regulation.

A rule's module declares its `Rule` next to its check and its fault, and the registry
(rxsim.domain.rules.registry) lists the rules in the order the coordinator applies them.

The faults live here, in the domain, beside the checks they provoke: a fault only edits a
prescription Bundle as plain JSON (dicts and lists), which needs no FHIR library, and the few
identifier systems it looks for sit in rxsim.domain.systems. So the domain stays below
rxsim.fhir, and one module holds everything a rule is.
"""

import random
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from rxsim.domain.prescription import Issue, Prescription
from rxsim.domain.reasons import Reason
from rxsim.domain.reference.country import Hospital
from rxsim.domain.rules.lookup import Lookup
from rxsim.domain.rules.switches import Rules

Bundle = dict[str, Any]  # a prescription Bundle as JSON


class Setting(Protocol):
    """What the rules need to know besides the prescription (the coordinator's Context)."""

    @property
    def now(self) -> datetime: ...
    @property
    def rules(self) -> Rules: ...
    @property
    def known_facilities(self) -> Collection[str]: ...
    @property
    def onboarded_facilities(self) -> Collection[str]: ...
    @property
    def facilities(self) -> Mapping[str, Hospital]: ...
    @property
    def catalog(self) -> Lookup: ...


@dataclass(frozen=True)
class Draw:
    """What a fault may use to break a Bundle: the generator's random source (so a scenario's
    seed decides the faults too), the register's numbers, and the days the plan prescribes and
    the most the rules allow for it."""

    rng: random.Random
    known_drugs: Collection[str]
    days: int
    limit: int


Check = Callable[[Prescription, Setting], list[Issue]]
Breaker = Callable[[Bundle, Draw], None]


@dataclass(frozen=True)
class Fault:
    """A deliberate fault: the scenario's `[faults]` key, the reason its prescriptions are refused
    with, and how a valid Bundle is broken in place. A fault without `breaks` is drawn by the
    generator instead: who prescribes (a facility not onboarded, a clinic without beds) or a
    re-sent Bundle (a duplicate)."""

    name: str
    reason: Reason
    breaks: Breaker | None = None
    share: float = 0.0  # of generated prescriptions, unless the scenario says otherwise


@dataclass(frozen=True)
class Rule:
    """One national rule. `check` is None for a rule checked where the coordinator's records
    are (a code used once); `reasons` are every code the check can give."""

    switch: str  # the field of Rules that turns it off in a scenario's [rules]
    check: Check | None
    reasons: tuple[Reason, ...]
    faults: tuple[Fault, ...]
    summary: str
    regulation: str


def resources(bundle: Bundle, kind: str) -> Iterator[dict[str, Any]]:
    """The Bundle's resources of one type, to break in place."""
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == kind:
            yield entry["resource"]


def first_request(bundle: Bundle) -> dict[str, Any]:
    """The first drug line: a fault breaks one element, so one line is enough."""
    return next(resources(bundle, "MedicationRequest"))
