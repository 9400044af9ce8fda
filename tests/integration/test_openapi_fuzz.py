"""Schemathesis against every service's OpenAPI document, through the real services, with the
token each route declares (a citizen's for the path's CCCD, a pharmacy's for the path's
pharmacy, a facility's, the operator's): no input makes a server error, and every answer
is one the document gives for its route: its status, its media type, and the schema it gives
for that status."""

import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rxsim.messaging.settings import SERVICES
from rxsim.messaging.tokens import Role
from rxsim.scenario import load
from rxsim.tools.stack import Stack
from tests.support.stack_client import STACK_SCENARIO

pytestmark = pytest.mark.integration

COUNTRY = load(str(STACK_SCENARIO)).country
FACILITY = COUNTRY.hospitals[0].code
CCCD = re.compile(r"\d{12}")
ROLES = {f"{role.value}Token": role for role in Role}
# Enough inputs per route to reach each refusal and each answer, in the time CI gives.
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def token_for(stack: Stack, case: Any) -> dict[str, str]:
    """The token the route declares, for the subject its path names, as a rightful caller
    holds it (with none for a route that takes none)."""
    declared = case.operation.definition.raw.get("security") or []
    schemes = [name for requirement in declared for name in requirement]
    if not schemes:
        return {}
    role = ROLES[schemes[0]]
    path = case.path_parameters or {}
    subject = {
        Role.CITIZEN: path.get("cccd") if CCCD.fullmatch(str(path.get("cccd"))) else None,
        Role.PHARMACY: path.get("pharmacy_id"),
        Role.FACILITY: FACILITY,
        Role.OPERATOR: "operator",
    }[role] or COUNTRY.citizens[0].cccd
    return stack.auth(role, str(subject))


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("service", SERVICES)
def test_no_input_makes_a_server_error_or_an_answer_its_document_does_not_give(
    stack: Stack, service: str
) -> None:
    document = schemathesis.openapi.from_url(f"{stack.urls()[service]}/openapi.json")
    operations = [result.ok() for result in document.get_all_operations()]
    assert operations
    failures = []
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=token_for(stack, case), checks=CHECKS)

        try:
            fuzz()
        except (AssertionError, BaseExceptionGroup) as failure:  # every route's, not only one
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
