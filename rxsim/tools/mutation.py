"""Mutated FHIR for the hospital's edge: a valid Bundle with a few of its values dropped,
replaced or given another JSON type, from a seeded random so that any failure can be sent
again. Whatever arrives, the hospital must answer 2xx or 4xx, never 5xx (`rxsim chaos`; the
parser alone is fuzzed by tests/unit/test_properties.py)."""

import copy
import random
from typing import Any

Path = tuple[Any, ...]  # dict keys and list indexes from the root of a JSON document

# Values a careless or hostile sender puts where something else belongs.
ODD_VALUES: tuple[Any, ...] = (
    None,
    "",
    0,
    -1,
    1e308,
    True,
    [],
    {},
    "Bundle",
    "Patient",
    "MedicationRequest",
    "2025-13-45",
    "\u0000",
    "x" * 5000,
    [None],
    {"resourceType": "Foo"},
)


def json_paths(node: Any, here: Path = ()) -> list[Path]:
    """The path of every value in a JSON document, its root included."""
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += json_paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += json_paths(value, (*here, index))
    return found


def retyped(value: Any, rng: random.Random) -> Any:
    """The same content in another JSON type: what a sender's mapping bug produces."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return rng.choice([[value], {"value": value}, len(value), value.isdigit()])
    if isinstance(value, list):
        return value[0] if value else {}
    if isinstance(value, dict):
        return [value]
    return rng.choice(ODD_VALUES)


def mutate(bundle: dict[str, Any], rng: random.Random) -> tuple[Any, list[str]]:
    """A copy of `bundle` with one to three values dropped, replaced or retyped; the copy and
    what was done, in words (to name an input that failed)."""
    payload: Any = copy.deepcopy(bundle)
    done = []
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(json_paths(payload))
        where = ".".join(str(step) for step in path) or "(the whole body)"
        if not path:
            payload = rng.choice(ODD_VALUES)
            done.append(f"replace {where}")
            break
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        how = rng.choice(("drop", "replace", "retype"))
        if how == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif how == "retype":
            parent[path[-1]] = retyped(parent[path[-1]], rng)
        else:
            how = "replace"
            parent[path[-1]] = rng.choice(ODD_VALUES)
        done.append(f"{how} {where}")
    return payload, done
