"""FHIR R4's own definitions, as the specification publishes them (r4-definitions.json,
written by rxsim.tools.fhir_definitions from HL7's package): the invariants, each evaluated as
its published FHIRPath expression by fhirpathpy, and the required bindings in full.

fhirpathpy reads about 8 µs an expression node, so an invariant is evaluated only on an
element where it can fail: one that has an element its expression's paths start with
(`names`); on one that has none the answer is the expression's answer on an empty element,
worked out once (tests/unit/test_fhir_invariants.py checks this against evaluating always).
ele-1, which looks at every child, is evaluated on elements with no child but `id`. The
invariants every prescription meets at many elements (bdl-*, dom-*, ref-1, qty-3, drt-1,
tim-*, ...) are decided in plain Python (rxsim.fhir.plain_invariants, checked against the
FHIRPath), which leaves the shapes it does not know to the FHIRPath."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import fhirpathpy
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

from rxsim.fhir.plain_invariants import CHECKS, Check, Unsure

R4 = models["r4"]
TYPES = R4["type2Parent"]  # every FHIR R4 resource and datatype, by name
_FILE = Path(__file__).with_name("r4-definitions.json")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")
# A name that starts a path (not one after a dot, nor a function, %constant or $this)
_NAME = re.compile(r"(?<![.%$\w`])`?([a-z]\w*)`?(?!\w*\s*\()")
_KEYWORDS = {"and", "or", "xor", "implies", "not", "in", "is", "as", "div", "mod", "true", "false"}


def _has_value(inputs: list[Any]) -> list[bool]:
    """FHIRPath's hasValue() (FHIR's extension of FHIRPath, which fhirpathpy lacks): a single
    primitive with a value."""
    return [len(inputs) == 1 and not isinstance(inputs[0], dict | list)]


_OPTIONS = {
    "userInvocationTable": {"hasValue": {"fn": _has_value, "arity": {0: []}}},
    "traceFn": lambda label, value: None,  # trace() in an invariant is for a person debugging it
}


@dataclass(frozen=True)
class Invariant:
    key: str
    severity: str  # error, or warning for a best practice (dom-6)
    human: str
    expression: str
    path: str  # the element it applies to, as the specification names it
    names: frozenset[str]  # the elements its expression names
    evaluate: Callable[..., list[Any]]
    on_empty: bool  # its answer on an element that has none of `names`
    plain: Check | None  # its verdict in plain Python (rxsim.fhir.plain_invariants), if any

    def holds(self, node: dict[str, Any], path: str, resource: Any, root: Any) -> bool:
        """Whether `node`, an element of type (or at) `path`, keeps the invariant; `resource` is
        the resource it is in and `root` that resource's container (%rootResource)."""
        if self.key == "ele-1":
            if len(node) > ("id" in node):  # a child other than id
                return True
        elif not _names_any(self.names, node):
            return self.on_empty
        if self.plain is not None:
            try:
                return self.plain(node, resource.data, root.data)
            except Unsure:
                pass
        return self.published(node, path, resource, root)

    def published(self, node: dict[str, Any], path: str, resource: Any, root: Any) -> bool:
        """What its published FHIRPath says of `node`, evaluated by fhirpathpy."""
        typed = ResourceNode.create_node(node, path)
        return _true(self.evaluate(typed, {"resource": resource, "rootResource": root}))


def _true(result: list[Any]) -> bool:
    """An invariant fails only when its expression is false; an empty answer is no failure."""
    return result != [False]


def _names(expression: str) -> frozenset[str]:
    return frozenset(set(_NAME.findall(_STRING.sub("''", expression))) - _KEYWORDS)


def _names_any(names: frozenset[str], node: dict[str, Any]) -> bool:
    """Whether `node` has one of `names`: a choice element `value` is `valueQuantity` etc."""
    return not names.isdisjoint(node) or any(not names.isdisjoint(_stems(key)) for key in node)


@lru_cache(maxsize=4096)
def _stems(key: str) -> frozenset[str]:
    """The names a key may be a choice element's: `valueQuantity` -> {`value`}."""
    return frozenset(key[:i] for i, letter in enumerate(key) if letter.isupper())


@dataclass(frozen=True)
class Definitions:
    invariants: dict[tuple[str, str | None], tuple[Invariant, ...]]  # by (model, field)
    element: Invariant  # ele-1
    bindings: dict[tuple[str, str], frozenset[str]]  # required codes by (model, field)


def _invariant(row: dict[str, Any]) -> Invariant:
    evaluate = fhirpathpy.compile(row["expression"], R4, _OPTIONS)
    empty = ResourceNode.create_node({}, row["path"])
    return Invariant(
        key=row["key"],
        severity=row["severity"],
        human=row["human"],
        expression=row["expression"],
        path=row["path"],
        names=_names(row["expression"]),
        evaluate=evaluate,
        on_empty=_true(evaluate(empty, {"resource": {}, "rootResource": {}})),
        plain=CHECKS.get(row["key"]),
    )


@cache
def definitions() -> Definitions:
    table = json.loads(_FILE.read_text(encoding="utf-8"))
    invariants: dict[tuple[str, str | None], list[Invariant]] = {}
    element = None
    for row in table["invariants"]:
        invariant = _invariant(row)
        if row["key"] == "ele-1":
            element = invariant
        else:
            invariants.setdefault((row["model"], row["field"]), []).append(invariant)
    assert element is not None
    return Definitions(
        invariants={key: tuple(value) for key, value in invariants.items()},
        element=element,
        bindings={(b["model"], b["field"]): frozenset(b["codes"]) for b in table["bindings"]},
    )
