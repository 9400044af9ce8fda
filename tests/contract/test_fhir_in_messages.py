"""Every FHIR resource rxsim puts in a message is valid FHIR R4 (checked with fhir.resources
R4B, which rxsim's own code uses to validate what comes in, never to build what goes out):
the Bundles, Tasks, MedicationRequests, MedicationDispenses, OperationOutcomes and
AuditEvents of one whole story, as the real code paths make them (rxsim.tools.examples)."""

from collections.abc import Iterator
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from rxsim import fhir
from rxsim.fhir.validate import errors
from rxsim.tools import examples
from tests.support import factories as make


def resources(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each outermost FHIR resource in `node` (a contained one is checked with its parent)."""
    if isinstance(node, dict):
        if isinstance(node.get("resourceType"), str):
            yield where, node
            return
        for key, value in node.items():
            yield from resources(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from resources(value, f"{where}[{index}]")


def refusal() -> dict[str, Any]:
    """The OperationOutcome of a refused prescription, as rx.status and the hospital's 422
    carry it (the story's prescription is not refused)."""
    with pytest.raises(fhir.InvalidPrescription) as refused:
        fhir.parse_prescription(make.without(make.bundle(), "Patient"))
    return fhir.operation_outcome(refused.value.issues)


FOUND = [
    (f"{topic.name}:{where}", resource)
    for topic, event in examples.story()
    for where, resource in resources(event.get("data"), "data")
] + [("rx.status:data.outcome", refusal())]


def test_the_story_carries_fhir_of_every_kind_rxsim_sends() -> None:
    kinds = {resource["resourceType"] for _, resource in FOUND}
    assert kinds >= {
        "Bundle",
        "Task",
        "MedicationRequest",
        "MedicationDispense",
        "OperationOutcome",
        "AuditEvent",
    }, kinds


@pytest.mark.parametrize(("where", "resource"), FOUND, ids=[where for where, _ in FOUND])
def test_every_fhir_resource_in_a_message_is_valid_r4(where: str, resource: dict) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@pytest.mark.parametrize(("where", "resource"), FOUND, ids=[where for where, _ in FOUND])
def test_no_fhir_resource_in_a_message_breaks_an_invariant_or_a_required_binding(
    where: str, resource: dict
) -> None:
    """FHIR R4's invariants and full required bindings, as the edge checks what comes in
    (dom-6, a resource without narrative, is a warning and not asked here)."""
    assert errors(resource) == []
