"""The rules' registry: every national rule has a fault the generator makes, the coordinator
refuses that fault with one of the rule's reason codes and not once the rule is switched off,
and every reason code a rule gives is documented and has a unit-test case. Derived from the
registry, so a new rule is covered as soon as it is registered."""

import re
from functools import cache
from pathlib import Path

import pytest

from rxsim import scenario
from rxsim.domain.reasons import Reason
from rxsim.domain.rules.registry import FAULTS, RULES
from rxsim.domain.rules.rule import Fault, Rule
from rxsim.domain.rules.switches import Rules
from rxsim.scenario import Faults, Scenario
from schemas.events import State, StatusChanged
from services.coordinator import handlers
from services.coordinator.context import context_for
from services.coordinator.record import PrescriptionRecord
from services.hospital.generator import synthetic_prescriptions
from tests.support import factories as make
from tests.support.rule_faults import FAULTS as UNIT_CASES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "prescription-bundle.md"
COUNT = 20


def fault_id(rule_or_fault: Rule | Fault) -> str:
    return rule_or_fault.switch if isinstance(rule_or_fault, Rule) else rule_or_fault.name


FAULTS_BY_RULE = [(rule, fault) for rule in RULES for fault in rule.faults]


@cache
def national() -> Scenario:
    return scenario.load("national")


def coordinator_says(fault: Fault, **switches: bool) -> list[str]:
    """What the coordinator makes of the generator's prescriptions with this fault, one after
    the other as they arrive on rx.issued: a reason code, or ACCEPTED."""
    s = national().model_copy(
        update={
            "faults": Faults(**{**dict.fromkeys(FAULTS, 0.0), fault.name: 1.0}),
            "rules": Rules(**{**national().rules.model_dump(), **switches}),
        }
    )
    ctx = context_for(s)
    store: dict[str, PrescriptionRecord] = {}
    said = []
    for bundle in synthetic_prescriptions(s, COUNT):
        event = make.issued(bundle)
        outcome = handlers.on_issued(store.get(event.subject), event, ctx)
        if outcome.record is not None:
            store[event.subject] = outcome.record
        refusals = [
            o.data.reason_code
            for o in outcome.out
            if isinstance(o.data, StatusChanged) and o.data.state == State.REJECTED
        ]
        said.append(refusals[0] if refusals else "ACCEPTED")
    return said


@pytest.mark.parametrize("rule", RULES, ids=fault_id)
def test_every_rule_has_a_fault_the_generator_makes(rule: Rule) -> None:
    assert rule.faults
    assert all(fault.reason in rule.reasons for fault in rule.faults)


@pytest.mark.parametrize("rule", RULES, ids=fault_id)
def test_every_rule_has_its_own_switch(rule: Rule) -> None:
    assert isinstance(getattr(Rules(), rule.switch), bool)
    assert [r.switch for r in RULES].count(rule.switch) == 1


@pytest.mark.parametrize(("rule", "fault"), FAULTS_BY_RULE, ids=fault_id)
def test_the_coordinator_refuses_each_fault_for_its_rule(rule: Rule, fault: Fault) -> None:
    said = coordinator_says(fault)
    # A duplicate needs a clean first prescription to repeat; every one after it is faulty.
    assert set(said[1:]) <= set(rule.reasons)
    assert fault.reason in said


@pytest.mark.parametrize(("rule", "fault"), FAULTS_BY_RULE, ids=fault_id)
def test_a_rule_switched_off_no_longer_refuses_its_fault(rule: Rule, fault: Fault) -> None:
    said = coordinator_says(fault, **{rule.switch: False})
    # Mostly accepted; a drug line without its diagnosis may still break the chronic limit.
    assert "ACCEPTED" in said
    assert not set(said) & set(rule.reasons)


def documented(switch: str) -> set[str]:
    """The reason codes and fault kinds docs/prescription-bundle.md lists with this switch."""
    rows = [line for line in DOCS.read_text().splitlines() if line.startswith(f"| `{switch}` ")]
    return set(re.findall(r"`([A-Za-z_]+)`", rows[0])) if rows else set()


@pytest.mark.parametrize("rule", RULES, ids=fault_id)
def test_every_reason_and_fault_of_a_rule_is_documented_with_its_switch(rule: Rule) -> None:
    assert {*rule.reasons, *(fault.name for fault in rule.faults)} <= documented(rule.switch)


@pytest.mark.parametrize("rule", [r for r in RULES if r.check], ids=fault_id)
def test_every_reason_a_rule_gives_has_a_unit_case(rule: Rule) -> None:
    cases = {case.reason_code for case in UNIT_CASES}
    assert set(rule.reasons) <= cases


def test_every_rule_reason_is_a_reason_member_given_by_one_rule_only() -> None:
    given = [reason for rule in RULES for reason in rule.reasons]
    assert all(isinstance(reason, Reason) for reason in given)
    assert len(given) == len(set(given))
