"""The national rules: every rule refuses its deliberate fault with its own reason code, names
the element, and stays silent once its switch is off; a prescription as the hospital builds it
passes them all, whatever its type."""

import dataclasses
from typing import Any

import pytest

from rxsim import fhir
from rxsim.domain.prescription import Issue
from rxsim.domain.reference.country import Hospital
from rxsim.domain.rules import check_prescription
from rxsim.domain.rules.switches import Rules
from schemas.events import Fulfilment, PrescriptionAvailable, State
from services.coordinator import handlers
from services.coordinator.context import Context
from tests.support import factories as make
from tests.support import rule_faults as faults
from tests.support.rule_faults import FAULTS, Fault, Place

NO_BEDS = Hospital("01777", "Phòng khám Đa khoa Hà Nội số 7", "Hà Nội", False, "clinic")
PLACE = Place(make.ONBOARDED_HOSPITAL, make.NOT_ONBOARDED_HOSPITAL, NO_BEDS)


def context(**rules: Any) -> Context:
    ctx = make.context(rules=Rules(**rules))
    return dataclasses.replace(
        ctx,
        known_facilities=ctx.known_facilities | {NO_BEDS.code},
        onboarded_facilities=ctx.onboarded_facilities | {NO_BEDS.code},
        facilities={**ctx.facilities, NO_BEDS.code: NO_BEDS},
    )


def check(bundle: dict[str, Any], **rules: Any) -> list[Issue]:
    return check_prescription(fhir.parse_prescription(bundle), context(**rules))


def test_a_hospital_bundle_from_a_hospital_with_beds_passes_every_rule() -> None:
    assert make.ONBOARDED_HOSPITAL.inpatient_beds
    assert check(faults.prescription(PLACE)) == []


@pytest.mark.parametrize("letter", ["c", "n", "h", "y"])
@pytest.mark.parametrize("seed", range(8))
def test_every_type_of_prescription_passes_with_the_defaults_bundles_choose(
    letter: str, seed: int
) -> None:
    # Given drugs of one type and nothing else: bundles choose diagnosis, course and days
    drugs = make.drugs_of(letter, 2)
    bundle = make.bundle(drugs=drugs, type_letter=letter, seed=seed, hospital=PLACE.hospital)

    assert check(bundle) == []


def test_a_child_prescription_carries_weight_and_guardian_and_passes() -> None:
    bundle = faults.prescription(PLACE, citizen=faults.child(months=30))
    rx = fhir.parse_prescription(bundle)

    assert rx.weight_kg is not None and 8 < rx.weight_kg < 20
    assert rx.guardian
    assert check(bundle) == []


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.reason_code)
def test_each_rule_refuses_its_fault_naming_the_element(fault: Fault) -> None:
    # Given a prescription with one element broken
    bundle = fault.build(PLACE)
    # When the rules run (with what the rule needs switched on)
    issues = check(bundle, **fault.rules)
    # Then that one rule refuses it, naming the element, in Vietnamese with an English gloss
    assert [issue.code for issue in issues] == [fault.reason_code]
    [issue] = issues
    assert issue.expression.endswith(fault.expression), issue.expression
    assert issue.message.endswith(")") and " (" in issue.message


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.reason_code)
def test_each_rule_is_silent_once_its_switch_is_off(fault: Fault) -> None:
    bundle = fault.build(PLACE)

    switches = {**fault.rules, fault.switch: False}

    assert check(bundle, **switches) == []


def test_unknown_diagnoses_are_accepted_by_default() -> None:
    bundle = faults.prescription(PLACE, diagnoses=["Z99.9"])

    assert check(bundle) == []
    assert [i.code for i in check(bundle, known_diagnoses_only=True)] == ["DIAGNOSIS_UNKNOWN"]


def test_a_prescription_mixing_types_names_the_drug_of_the_other_type() -> None:
    # Given a narcotic prescription (code -n) that also holds an ordinary drug
    bundle = faults.prescription(
        PLACE, drugs=(faults.NARCOTIC, faults.ORDINARY), diagnoses=["C34.9"], days=10
    )
    # When checked
    [issue] = check(bundle)
    # Then the ordinary drug (the second request) is named
    assert issue.code == "TYPE_LETTER_MISMATCH"
    assert (
        issue.expression
        == "Bundle.entry[1].resource.ofType(MedicationRequest).medicationCodeableConcept.coding"
    )
    assert faults.ORDINARY.registration_number in issue.message


def test_every_problem_is_reported_not_only_the_first() -> None:
    bundle = FAULTS[0].build(PLACE)  # malformed code
    faults.request(bundle).pop("reasonCode")

    assert [i.code for i in check(bundle)] == ["PRESCRIPTION_CODE_FORMAT", "DIAGNOSIS_MISSING"]


def test_the_coordinator_rejects_with_the_first_reason_and_names_every_element() -> None:
    # Given a prescription without a diagnosis and with a wrong quantity
    bundle = faults.prescription(PLACE)
    request = faults.request(bundle)
    request.pop("reasonCode")
    request["dispenseRequest"]["quantity"]["value"] += 1
    # When the coordinator handles it
    outcome = handlers.on_issued(None, make.issued(bundle), context())
    # Then it is rejected with the first reason code, and the reason names both elements
    assert outcome.record is not None
    step = outcome.record.history[-1]
    assert (step.state, step.reason_code) == (State.REJECTED, "DIAGNOSIS_MISSING")
    assert step.reason is not None
    assert "Bundle.entry[0].resource.ofType(MedicationRequest).reasonCode: " in step.reason
    assert (
        "Bundle.entry[0].resource.ofType(MedicationRequest).dispenseRequest.quantity: "
        in step.reason
    )


@pytest.mark.parametrize("type_letter", ["n", "h"])
def test_home_delivery_of_controlled_drugs_can_be_allowed_by_the_scenario(
    type_letter: str,
) -> None:
    # Given a scenario whose policy allows controlled drugs to be delivered
    ctx = context(home_delivery_of_controlled=True)
    # When a controlled prescription reaches the citizen
    outcome = handlers.on_issued(None, make.issued(make.bundle(type_letter=type_letter)), ctx)
    inbox = outcome.out[-1].data
    # Then the app offers delivery, and the coordinator routes a delivery choice
    assert isinstance(inbox, PrescriptionAvailable)
    assert inbox.home_delivery_allowed is True
    assert outcome.record is not None
    event, chosen = make.choice(outcome.record.prescription_id, fulfilment=Fulfilment.DELIVERY)
    ordered = handlers.on_choice(outcome.record, event, chosen, ctx)
    assert ordered.record is not None
    assert ordered.record.state == State.ORDERED
