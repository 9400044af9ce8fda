"""Each national rule seen from a hospital: a prescription with one element broken is taken
in (202), and its submission ends REJECTED with the rule's reason code and the element named."""

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome

from rxsim.scenario import load
from rxsim.tools.stack import Stack
from tests.support.rule_faults import FAULTS, Fault, Place, prescription
from tests.support.stack_client import STACK_SCENARIO, StackClient

pytestmark = pytest.mark.integration
SCENARIO = load(str(STACK_SCENARIO))  # the scenario the stack fixture runs


FACILITIES = list(SCENARIO.country.hospital_by_code.values())
ONBOARDED = [h for h in FACILITIES if h.code in SCENARIO.onboarded_facilities]
NO_BEDS = next(h for h in ONBOARDED if not h.inpatient_beds)  # the stack onboards clinics
PLACE = Place(
    hospital=next(h for h in ONBOARDED if h.inpatient_beds),
    not_onboarded=next(h for h in FACILITIES if h.code not in SCENARIO.onboarded_facilities),
    no_beds=NO_BEDS,
)
# Rules the pilot scenario applies: a rule switched off there cannot be seen refusing.
APPLIED = [
    fault
    for fault in FAULTS
    if getattr(SCENARIO.rules, fault.switch)
    and all(getattr(SCENARIO.rules, k) == v for k, v in fault.rules.items())
]


@pytest.fixture(scope="module")
def client(stack: Stack) -> StackClient:
    return StackClient(stack)


def test_the_unbroken_prescription_is_accepted(client: StackClient) -> None:
    submitted = client.post_prescription(prescription(PLACE, seed=99))

    client.wait_for_state(submitted["submission_id"], "AVAILABLE")


@pytest.mark.parametrize("fault", APPLIED, ids=lambda f: f.reason_code)
def test_each_rule_refuses_its_fault_through_the_hospital_api(
    client: StackClient, fault: Fault
) -> None:
    # Given a prescription breaking one rule, When the hospital posts it
    submitted = client.post_prescription(fault.build(PLACE))
    # Then the coordinator rejects it with that rule's reason code, naming the element
    rejected = client.wait_for_state(submitted["submission_id"], "REJECTED")
    assert rejected["reason_code"] == fault.reason_code, rejected["reason"]
    assert f"{fault.expression}: " in rejected["reason"]
    # ...and in a FHIR OperationOutcome whose first issue names the element and the reason code
    OperationOutcome.model_validate(rejected["outcome"])
    first = rejected["outcome"]["issue"][0]
    assert first["details"]["coding"][0]["code"] == fault.reason_code
    assert first["expression"][0].endswith(fault.expression)


def test_every_rule_on_in_the_pilot_is_exercised() -> None:
    assert {f.reason_code for f in FAULTS} - {f.reason_code for f in APPLIED} == {
        "DIAGNOSIS_UNKNOWN"  # off by default: a scenario may accept any valid ICD-10 code
    }
