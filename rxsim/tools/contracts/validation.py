"""Validate one message against its checked-in contract (schemas/jsonschema), naming the field.

This is the JSON Schema an outside system would use, not the pydantic models: validating with
it is how `contracts verify` and the example checks prove the published contract holds.
"""

import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from rxsim.tools.contracts.schema_set import JSONSCHEMA_DIR, Schema, file_name, read_set
from schemas.topics import Topic

_QUOTED = re.compile(r"'([^']+)'")


@cache
def _checked_in() -> dict[str, Schema]:
    return read_set(JSONSCHEMA_DIR)


def validator_for(schema: Schema) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = _checked_in().get(name)
    if schema is None:
        raise LookupError(f"no schemas/jsonschema/{name}: run `rxsim contracts generate`")
    return validator_for(schema)


def field_of(error: ValidationError) -> str:
    """`data.items[0].quantity`; for a missing or unexpected property, that property's path."""
    parts: list[str] = []
    for step in error.absolute_path:
        if isinstance(step, int):
            parts.append(f"{parts.pop() if parts else ''}[{step}]")
        else:
            parts.append(str(step))
    if error.validator in ("required", "additionalProperties"):
        named = _QUOTED.search(error.message)
        if named:
            parts.append(named.group(1))
    return ".".join(parts) or "(message)"


def describe(error: ValidationError) -> str:
    return f"field {field_of(error)}: {error.message}"


def problems_with(validator: Draft202012Validator, event: Any) -> list[str]:
    """Every problem, the most relevant first."""
    errors = list(validator.iter_errors(event))
    if not errors:
        return []
    first = best_match(errors)
    rest = [describe(e) for e in errors if e is not first]
    return [describe(first), *rest]


def validate(topic: Topic, event: Any) -> list[str]:
    """Problems of `event` as a message on `topic`, against the checked-in contract."""
    return problems_with(_validator(file_name(topic)), event)
