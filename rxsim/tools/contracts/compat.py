"""Schema compatibility as plain functions: what changed between two JSON Schemas of one
message, field by field, and which compatibility modes each change breaks.

The rules are the Schema Registry's, read as "can one side still read the other's data":
BACKWARD breaks when the new schema rejects data valid under the old one (consumers upgrade
first); FORWARD breaks when the old schema rejects data valid under the new one (producers
upgrade first). Content models matter: adding a field to a closed object (additionalProperties
false) is a FORWARD break, because an old reader refuses the unknown field.
"""

from dataclasses import dataclass
from typing import Any

from schemas.topics import Compatibility

Schema = dict[str, Any]
BACKWARD, FORWARD = Compatibility.BACKWARD, Compatibility.FORWARD
ANY_TYPE = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
# (keyword, True when a larger value accepts more data)
BOUNDS = (
    ("minLength", False),
    ("maxLength", True),
    ("minItems", False),
    ("maxItems", True),
    ("minimum", False),
    ("maximum", True),
    ("exclusiveMinimum", False),
    ("exclusiveMaximum", True),
)


@dataclass(frozen=True)
class Change:
    path: str  # dotted field path, `[]` for array items, e.g. `data.items[].quantity`
    what: str
    breaks: frozenset[Compatibility]

    def breaks_mode(self, mode: Compatibility) -> bool:
        return bool(self.breaks) if mode == Compatibility.FULL else mode in self.breaks


def changes(old: Schema, new: Schema) -> list[Change]:
    """Every change from `old` to `new` that breaks at least one direction."""
    found: list[Change] = []
    _walk(old, new, old, new, "", found, 0)
    return found


def breaking(old: Schema, new: Schema, mode: Compatibility) -> list[Change]:
    return [change for change in changes(old, new) if change.breaks_mode(mode)]


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _branches(node: Schema, root: Schema) -> list[Schema]:
    node = _resolve(node, root)
    options = node.get("anyOf") or node.get("oneOf")
    if not options:
        return [node]
    # Beside the node's own keywords (an object that must also have one of two fields), each
    # option narrows the node: the branch is both, so their fields are still compared.
    own = {key: value for key, value in node.items() if key not in ("anyOf", "oneOf")}
    return [
        branch
        for option in options
        for branch in _branches(_both(own, _resolve(option, root)), root)
    ]


def _both(node: Schema, option: Schema) -> Schema:
    required = [*node.get("required", ()), *option.get("required", ())]
    both = {**node, **option}
    if required:
        both["required"] = list(dict.fromkeys(required))
    return both


def _types(node: Schema, root: Schema) -> set[str]:
    found: set[str] = set()
    for branch in _branches(node, root):
        declared = branch.get("type")
        if declared is None:
            found |= ANY_TYPE
        else:
            found |= {declared} if isinstance(declared, str) else set(declared)
    return found


def _values(node: Schema, root: Schema) -> set[Any] | None:
    """The allowed values when every non-null branch is an enum or const, else None (any)."""
    values: set[Any] = set()
    for branch in _branches(node, root):
        if branch.get("type") == "null":
            continue
        if "const" in branch:
            values.add(branch["const"])
        elif "enum" in branch:
            values |= set(branch["enum"])
        else:
            return None
    return values


def _of_type(node: Schema, root: Schema, kind: str) -> Schema | None:
    return next((b for b in _branches(node, root) if b.get("type") == kind), None)


def _missing(wanted: set[str], offered: set[str]) -> set[str]:
    # an integer is a number: a schema that takes numbers takes integers too
    return {t for t in wanted - offered if not (t == "integer" and "number" in offered)}


def _add(found: list[Change], path: str, what: str, *breaks: Compatibility) -> None:
    if breaks:
        found.append(Change(path or "(message)", what, frozenset(breaks)))


def _walk(
    old: Schema,
    new: Schema,
    old_root: Schema,
    new_root: Schema,
    path: str,
    found: list[Change],
    depth: int,
) -> None:
    if depth > 40:  # recursive schemas: compared deeply enough
        return
    old_types, new_types = _types(old, old_root), _types(new, new_root)
    lost, gained = _missing(old_types, new_types), _missing(new_types, old_types)
    if lost or gained:
        shown = "type changed from {} to {}".format(
            "|".join(sorted(old_types)), "|".join(sorted(new_types))
        )
        if lost == {"null"} and not gained:
            shown = "null no longer allowed"
        elif gained == {"null"} and not lost:
            shown = "null now allowed"
        _add(found, path, shown, *([BACKWARD] if lost else []), *([FORWARD] if gained else []))
    _compare_values(_values(old, old_root), _values(new, new_root), path, found)
    for kind in ("string", "number", "integer", "array", "object"):
        old_branch, new_branch = _of_type(old, old_root, kind), _of_type(new, new_root, kind)
        if old_branch is None or new_branch is None:
            continue
        _compare_bounds(old_branch, new_branch, path, found)
        if kind == "array":
            _walk(
                old_branch.get("items", {}),
                new_branch.get("items", {}),
                old_root,
                new_root,
                f"{path}[]",
                found,
                depth + 1,
            )
        if kind == "object":
            _compare_objects(old_branch, new_branch, old_root, new_root, path, found, depth)


def _compare_values(
    old: set[Any] | None, new: set[Any] | None, path: str, found: list[Change]
) -> None:
    if old == new:
        return
    if old is None:
        _add(found, path, f"now restricted to {sorted(new or ())}", BACKWARD)
    elif new is None:
        _add(found, path, f"no longer restricted to {sorted(old)}", FORWARD)
    else:
        if old - new:
            removed = ", ".join(repr(v) for v in sorted(old - new, key=str))
            _add(found, path, f"enum narrowed (removed {removed})", BACKWARD)
        if new - old:
            added = ", ".join(repr(v) for v in sorted(new - old, key=str))
            _add(found, path, f"enum widened (added {added})", FORWARD)


def _compare_bounds(old: Schema, new: Schema, path: str, found: list[Change]) -> None:
    for keyword, larger_accepts_more in BOUNDS:
        before, after = old.get(keyword), new.get(keyword)
        if before == after:
            continue
        if before is None or after is None:
            tighter = before is None
        else:
            tighter = (after < before) if larger_accepts_more else (after > before)
        shown = f"{keyword} {before} → {after}"
        _add(
            found,
            path,
            f"{shown} (tightened)" if tighter else f"{shown} (loosened)",
            BACKWARD if tighter else FORWARD,
        )
    if old.get("pattern") != new.get("pattern"):
        _add(
            found,
            path,
            f"pattern {old.get('pattern')!r} → {new.get('pattern')!r}",
            *((BACKWARD,) if new.get("pattern") else ()),
            *((FORWARD,) if old.get("pattern") else ()),
        )


def _compare_objects(
    old: Schema,
    new: Schema,
    old_root: Schema,
    new_root: Schema,
    path: str,
    found: list[Change],
    depth: int,
) -> None:
    old_open = old.get("additionalProperties", True) is not False
    new_open = new.get("additionalProperties", True) is not False
    if old_open and not new_open:
        _add(found, path, "content model closed (unknown fields now refused)", BACKWARD)
    if new_open and not old_open:
        _add(found, path, "content model opened (unknown fields now allowed)", FORWARD)
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_req, new_req = set(old.get("required", ())), set(new.get("required", ()))
    for name in [*old_props, *(n for n in new_props if n not in old_props)]:
        where = f"{path}.{name}" if path else name
        if name not in new_props:
            # old data carries the field: a closed new schema refuses it
            refuse = (BACKWARD,) if not new_open else ()
            if name in old_req:
                _add(found, where, "required field removed", FORWARD, *refuse)
            else:
                _add(found, where, "optional field removed", *refuse)
        elif name not in old_props:
            # new data carries the field: a closed old schema refuses it
            refuse = (FORWARD,) if not old_open else ()
            if name in new_req:
                _add(found, where, "new required field", BACKWARD, *refuse)
            else:
                _add(found, where, "new optional field", *refuse)
        else:
            if name in new_req and name not in old_req:
                _add(found, where, "optional field became required", BACKWARD)
            if name in old_req and name not in new_req:
                _add(found, where, "required field became optional", FORWARD)
            _walk(old_props[name], new_props[name], old_root, new_root, where, found, depth + 1)
    old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
    if isinstance(old_extra, dict) and isinstance(new_extra, dict):
        _walk(old_extra, new_extra, old_root, new_root, f"{path}.*", found, depth + 1)
