"""FHIR R4 validation of any resource, before (and apart from) the national rules: structure
and cardinality, primitive formats, the required value-set bindings and FHIR's invariants,
every problem at once, each named by its FHIRPath, with the OperationOutcome issue type FHIR
gives it (an invariant's: `invariant`, severity error, or warning for dom-6).

Structure, cardinality and most formats are fhir.resources' (R4B models; R4B changed none of
the elements a prescription uses). The required bindings and the invariants are FHIR R4's
own (rxsim.fhir.definitions); for a resource outside those, a binding is the codes
fhir.resources generates (`enum_values`), unless it cut the list short ("+"). What it lets
through is checked here: base64Binary and uri formats, an id over 64 characters, an empty
string or a null (FHIR JSON has neither), and the required primitives and choice elements
(`medication[x]`), which fhir.resources checks only on a model whose elements are all valid,
so another problem used to hide them."""

import base64
import binascii
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhirpathpy.engine.nodes import ResourceNode
from pydantic import BaseModel, ValidationError

from rxsim.domain import fhirpath
from rxsim.domain.prescription import Issue
from rxsim.domain.reasons import Reason
from rxsim.fhir.definitions import TYPES, definitions

_CHILD = re.compile(r"abc\.(\w+)Type\b")
_PRIMITIVE = re.compile(r"\b(Base64Binary|Uri|Url|Canonical|Id)\(\)")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_URI = re.compile(r"^\S*$")  # FHIR R4 uri, url, canonical: no whitespace
# pydantic's error types that say an element has the wrong shape (IssueType structure);
# the others say a primitive's value is malformed (IssueType value).
_SHAPE_ERRORS = {
    "model_type", "model_attributes_type", "dict_type", "list_type", "extra_forbidden",
    "string_type", "bool_type", "int_type", "float_type", "is_instance_of", "too_short",
    "too_long", "union_tag_invalid", "union_tag_not_found", "json_invalid", "json_type",
}  # fmt: skip
# fhir.resources' own choice-element errors, which name no element: the walk names it
_CHOICE_ERRORS = ("Expect any of field value from this list", "Any of one field value is")
# DSTU2's JSON comments, which fhir.resources still reads; R4 has no such element
_DSTU2_COMMENTS = "fhir_comments"


def validate(payload: Any) -> list[Issue]:
    """Every FHIR-level problem of a resource (a Bundle or any other): empty when valid."""
    if not isinstance(payload, dict):
        return [Issue("(root)", Reason.NOT_AN_OBJECT, "expected a JSON object", "structure")]
    kind = payload.get("resourceType")
    if not _known(kind):
        return [
            Issue("resourceType", Reason.WRONG_RESOURCE_TYPE, f"{kind!r} is no FHIR resource type")
        ]
    root = str(kind)
    unknown = _unknown_types(payload, root)
    if unknown:  # the models fail on these with errors of their own, not validation errors
        return unknown
    issues = []
    try:
        get_fhir_model_class(root).model_validate(payload)
    except ValidationError as exc:
        issues += _structure(exc, payload, root)
    named = {issue.expression for issue in issues}
    found = _walk(payload, _resource(payload, root, None), root)
    return issues + [i for i in found if i.fhir_code == "invariant" or i.expression not in named]


def errors(payload: Any) -> list[Issue]:
    """The problems that make a resource invalid: all but the warnings (dom-6, a resource
    without narrative), which refuse nothing."""
    return [issue for issue in validate(payload) if issue.severity == "error"]


def _known(kind: Any) -> bool:
    if not isinstance(kind, str) or not kind.isidentifier():
        return False
    try:
        return issubclass(get_fhir_model_class(kind), BaseModel)
    except (KeyError, ValueError, ImportError, AttributeError):
        return False


def _unknown_types(node: Any, where: str) -> list[Issue]:
    issues: list[Issue] = []
    if isinstance(node, list):
        for index, value in enumerate(node):
            issues += _unknown_types(value, f"{where}[{index}]")
    elif isinstance(node, dict):
        kind = node.get("resourceType")
        if "resourceType" in node and not _known(kind):
            message = f"{kind!r} is not a FHIR R4B resource type"
            issues.append(Issue(f"{where}.resourceType", Reason.FHIR_INVALID, message, "structure"))
        for key, value in node.items():
            if isinstance(value, dict | list):
                issues += _unknown_types(value, f"{where}.{key}")
    return issues


def expression(loc: tuple[Any, ...], payload: dict[str, Any], root: str = fhirpath.BUNDLE) -> str:
    """`('entry', 0, 'resource', 'birthDate')` ->
    `Bundle.entry[0].resource.ofType(Patient).birthDate`: every resource below the root (an
    entry's, a contained one) is named with its type, as FHIRPath selects it."""
    text = root
    node: Any = payload
    for step in loc:
        text = fhirpath.path(text, [step])
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
        if isinstance(node, dict) and isinstance(node.get("resourceType"), str):
            text += f".ofType({node['resourceType']})"
    return text


def _structure(exc: ValidationError, payload: dict[str, Any], root: str) -> list[Issue]:
    issues = []
    for err in exc.errors():
        message = str(err["msg"]).removeprefix("Value error, ")
        if message.startswith(_CHOICE_ERRORS) or _DSTU2_COMMENTS in err["loc"]:
            continue
        if err["type"] == "missing" or err["type"].endswith(".missing"):
            code = "required"
        elif err["type"] in _SHAPE_ERRORS:
            code = "structure"
        else:
            code = "value"
        where = expression(tuple(err["loc"]), payload, root)
        issues.append(Issue(where, Reason.FHIR_INVALID, message, code))
    return issues


@cache
def _elements(model: str) -> dict[str, tuple[frozenset[str] | None, str | None, str | None]]:
    """Each JSON element of a model: its required codes (FHIR R4's own binding, else the codes
    fhir.resources generates), its datatype's model (or "Resource"), and its primitive type's
    name."""
    bindings = definitions().bindings
    elements = {}
    for name, field in get_fhir_model_class(model).model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        codes = extra.get("enum_values")
        if isinstance(codes, list) and "+" in codes:  # a list fhir.resources cut short
            codes = None
        text = repr(field.annotation)
        child = _CHILD.search(text)
        primitive = _PRIMITIVE.search(text)
        key = field.alias or name
        generated = frozenset(str(code) for code in codes) if isinstance(codes, list) else None
        elements[key] = (
            bindings.get((model, key), generated),
            child.group(1) if child else None,
            primitive.group(1) if primitive else None,
        )
    return elements


@cache
def _required(model: str) -> tuple[tuple[str, ...], dict[str, tuple[tuple[str, ...], bool]]]:
    """A model's required primitives, and its choice elements (`medication`): their JSON names
    and whether one must be present."""
    cls = get_fhir_model_class(model)
    fields = cls.model_fields
    alias = {name: field.alias or name for name, field in fields.items()}
    blank = cls.model_construct()
    primitives = tuple(alias.get(name, name) for name, _ in cls.get_required_fields(blank))
    choices = {
        choice: (
            tuple(alias[name] for name in names),
            (fields[names[0]].json_schema_extra or {}).get("one_of_many_required") is True,  # type: ignore[union-attr]
        )
        for choice, names in cls.get_one_of_many_fields(blank).items()
    }
    return primitives, choices


def _missing(node: dict[str, Any], model: str, where: str) -> list[Issue]:
    """A required primitive absent (with no extension in its place), a required choice
    element absent, or a choice element given in two types."""
    try:
        primitives, choices = _required(model)
    except (KeyError, ValueError, ImportError, AttributeError, TypeError):
        return []
    issues = [
        Issue(f"{where}.{name}", Reason.FHIR_INVALID, f"{name} is required", "required")
        for name in primitives
        if node.get(name) is None and not (node.get(f"_{name}") or {}).get("extension")
    ]
    for choice, (names, required) in choices.items():
        given = [name for name in names if node.get(name) is not None]
        if len(given) > 1:
            message = f"{choice}[x] is given as {', '.join(given)}: one type only"
            issues.append(Issue(f"{where}.{choice}", Reason.FHIR_INVALID, message, "structure"))
        elif not given and required:
            message = f"{choice}[x] is required: one of {', '.join(names)}"
            issues.append(Issue(f"{where}.{choice}", Reason.FHIR_INVALID, message, "required"))
    return issues


@dataclass(frozen=True)
class _At:
    """Where the walk is: the element's fhir.resources model, its type (or path) as the
    specification names it, the resource it is in and that resource's container."""

    model: str
    path: str
    resource: Any  # %resource, typed for fhirpathpy
    root: Any  # %rootResource: the container of a contained resource, else %resource


def _resource(node: dict[str, Any], kind: str, container: _At | None) -> _At:
    typed = ResourceNode.create_node(node, kind)
    return _At(kind, kind, typed, container.root if container else typed)


def _walk(node: dict[str, Any], at: _At, where: str) -> list[Issue]:
    """The required codes, formats and invariants of an element (or resource) and all below."""
    issues = _invariants(node, at, (at.model, None), at.path, where)
    try:
        elements = _elements(at.model)
    except (KeyError, ValueError, ImportError, AttributeError):
        return issues
    issues += _missing(node, at.model, where)
    for key, value in node.items():
        if key == _DSTU2_COMMENTS:
            message = "fhir_comments is DSTU2's: no element of FHIR R4"
            issues.append(Issue(f"{where}.{key}", Reason.FHIR_INVALID, message, "structure"))
            continue
        if key not in elements:
            continue
        if value is None:
            message = "null is no FHIR JSON value: an absent element is left out"
            issues.append(Issue(f"{where}.{key}", Reason.FHIR_INVALID, message, "structure"))
            continue
        codes, child, primitive = elements[key]
        values = value if isinstance(value, list) else [value]
        for index, item in enumerate(values):
            here = f"{where}.{key}" + (f"[{index}]" if isinstance(value, list) else "")
            if isinstance(item, str):
                issues += _value(item, codes, primitive, here)
            if not isinstance(item, dict) or not child:
                continue
            path = child if child in TYPES else f"{at.path}.{key}"
            issues += _invariants(item, at, (at.model, key), path, here)
            kind = item.get("resourceType")
            if child == "Resource" and isinstance(kind, str):
                container = at if key == "contained" else None
                issues += _walk(item, _resource(item, kind, container), f"{here}.ofType({kind})")
            elif child != "Resource":
                issues += _invariants(item, at, None, path, here)
                issues += _walk(item, _At(child, path, at.resource, at.root), here)
    return issues


def _invariants(
    node: dict[str, Any], at: _At, key: tuple[str, str | None] | None, path: str, where: str
) -> list[Issue]:
    """The invariants the specification states of `key` (a model, or one of its elements),
    or ele-1 (key None) that every element keeps, broken by `node`."""
    spec = definitions()
    issues = []
    for invariant in spec.invariants.get(key, ()) if key else (spec.element,):
        try:
            holds = invariant.holds(node, path, at.resource, at.root)
        except Exception:  # a value of the wrong shape, which the structure check names
            continue
        if not holds:
            message = f"{invariant.key}: {invariant.human} ({invariant.expression})"
            issues.append(
                Issue(where, Reason.FHIR_INVALID, message, "invariant", invariant.severity)
            )
    return issues


def _value(text: str, codes: frozenset[str] | None, primitive: str | None, at: str) -> list[Issue]:
    if not text:
        return [Issue(at, Reason.FHIR_INVALID, "an empty string is no FHIR value", "value")]
    if codes is not None and text not in codes:
        allowed = ", ".join(sorted(codes))
        message = f"{text!r} is not in the required value set ({allowed})"
        return [Issue(at, Reason.FHIR_INVALID, message, "code-invalid")]
    if primitive == "Base64Binary" and not _base64(text):
        return [Issue(at, Reason.FHIR_INVALID, "not valid base64Binary", "value")]
    if primitive == "Id" and len(text) > 64:
        return [Issue(at, Reason.FHIR_INVALID, "an id has at most 64 characters", "value")]
    if primitive in ("Uri", "Url", "Canonical") and not _URI.match(text):
        return [Issue(at, Reason.FHIR_INVALID, f"not a valid {primitive.lower()}", "value")]
    return []


def _base64(text: str) -> bool:
    compact = "".join(text.split())
    if len(compact) % 4 or not _BASE64.match(compact):
        return False
    try:
        base64.b64decode(compact, validate=True)
    except binascii.Error:
        return False
    return True
