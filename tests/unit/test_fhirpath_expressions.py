"""Every issue names its element in one FHIRPath form, whoever finds it (the edge's FHIR
checks, the national rules), and that expression, evaluated by an independent FHIRPath engine
(fhirpathpy) against the Bundle, selects the element: or, for an element found missing, its
parent."""

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from fhirpathpy import evaluate

from rxsim import fhir
from rxsim.domain import fhirpath
from rxsim.domain.prescription import Issue
from tests.support import factories as make
from tests.support import hl7_examples as hl7
from tests.support import rule_faults as faults
from tests.support.rule_faults import FAULTS, Fault

from .test_rules import PLACE, check

# Bundle, then optionally one entry's resource or every resource of a type, then elements,
# list indexes, contained resources by type, and a where() filter on the weight.
FORM = re.compile(
    r"^Bundle(\.entry(\[\d+\])?\.resource\.ofType\([A-Z]\w+\))?"
    r"(\.[a-z]\w*(\[\d+\])?(\.ofType\([A-Z]\w+\))?|\.where\([^)]*\))*$"
)
_LAST_STEP = re.compile(r"(\.\w+|\[\d+\]|\.ofType\(\w+\)|\.where\([^)]*\))$")


def assert_selects(bundle: dict[str, Any], issue: Issue) -> None:
    """The issue's expression has the one form and selects its element; for an element
    reported missing, its nearest ancestor that is there lies within the resource named (or,
    for what is about every resource of a type, the Bundle's resources)."""
    assert FORM.match(issue.expression), issue.expression
    found = evaluate(bundle, issue.expression)
    if issue.fhir_code == "required" and not found:
        ancestor = issue.expression
        while not evaluate(bundle, ancestor):
            ancestor = _LAST_STEP.sub("", ancestor)
        assert ancestor.startswith(("Bundle.entry.resource", "Bundle.entry[")), (
            f"{issue.expression}: only {ancestor} is there"
        )
        if "[" in issue.expression.split(".resource")[0]:  # one entry's: that entry's resource
            assert ".ofType(" in ancestor, f"{issue.expression}: only {ancestor} is there"
        return
    assert found, f"{issue.expression} selects nothing in the Bundle ({issue.code})"


def test_the_helper_builds_the_fhirpath_of_an_entry_and_its_elements() -> None:
    where = fhirpath.path(fhirpath.entry(0, "MedicationRequest"), ["dosageInstruction", 0])
    assert f"{where}.timing" == (
        "Bundle.entry[0].resource.ofType(MedicationRequest).dosageInstruction[0].timing"
    )
    assert fhirpath.contained(where, 1, "Medication").endswith(".contained[1].ofType(Medication)")


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.reason_code)
def test_each_rules_issue_selects_the_element_it_names(fault: Fault) -> None:
    bundle = fault.build(PLACE)
    issues = check(bundle, **fault.rules)
    assert issues
    for issue in issues:
        assert_selects(bundle, issue)


@pytest.mark.parametrize("example", hl7.EXAMPLES, ids=hl7.name)
def test_each_issue_about_hl7s_examples_selects_the_element_it_names(example: Path) -> None:
    for request in (hl7.request(example), hl7.vietnamese(example)):
        bundle = hl7.wrapped(request, PLACE.hospital, faults.adult())
        try:
            issues = check(bundle)
        except fhir.InvalidPrescription as refused:
            issues = refused.issues
        for issue in issues:
            assert_selects(bundle, issue)


def _spoil(bundle: dict[str, Any]) -> None:
    """Several problems at once: an edge's issues from structure checks and required values."""
    make.resource(bundle, "Patient")["birthDate"] = "1990-13-01"
    make.resource(bundle, "Organization")["identifier"][0]["value"] = 5
    bundle["entry"][0]["resource"]["dispenseRequest"]["quantity"]["value"] = "many"


def test_each_issue_the_edge_finds_selects_the_element_it_names() -> None:
    bundle = copy.deepcopy(make.bundle())
    _spoil(bundle)
    with pytest.raises(fhir.InvalidPrescription) as refused:
        fhir.parse_prescription(bundle)
    assert len(refused.value.issues) == 3
    for issue in refused.value.issues:
        assert_selects(bundle, issue)
