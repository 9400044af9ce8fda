"""The verdicts of the invariants a prescription Bundle meets at every element, in plain
Python, for the edge's speed: fhirpathpy reads about 8 µs an expression node, which made
these (bdl-3, bdl-4 and bdl-7 most, 0.5-2.5 ms each a Bundle) three times the cost of the rest
of the validation. The published FHIRPath stays the definition: tests/unit/
test_plain_invariants.py checks that each function here gives its verdict on every element
of the corpus, of rxsim's Bundles and of generated ones.

Each function takes the element (a JSON object), %resource and %rootResource (as JSON) and
says whether the element keeps the invariant, the way FHIRPath's three-valued logic does (an
empty answer is no failure), or raises Unsure on a shape it leaves to the FHIRPath: a
primitive's extension (`_name`), a value of an unexpected type, a contained resource for
dom-3."""

from collections.abc import Callable
from typing import Any

Node = dict[str, Any]
Check = Callable[[Node, Node, Node], bool]


class Unsure(Exception):
    """A shape the plain verdict does not decide: the FHIRPath does."""


def _items(node: Node, name: str) -> list[Any]:
    """FHIRPath's `name` on a JSON object, as a list of its values."""
    if f"_{name}" in node:  # the primitive's extension is an item of its own
        raise Unsure
    value = node.get(name)
    items = value if isinstance(value, list) else [] if value is None else [value]
    if any(item is None or isinstance(item, list) for item in items):
        raise Unsure
    return items


def _objects(node: Node, name: str) -> list[Node]:
    items = _items(node, name)
    if not all(isinstance(item, dict) for item in items):
        raise Unsure
    return items


def _one(node: Node, name: str, kind: Any = str) -> Any:
    """The single value of `name`, None when absent."""
    items = _items(node, name)
    if len(items) > 1 or (items and (not isinstance(items[0], kind) or isinstance(items[0], bool))):
        raise Unsure
    return items[0] if items else None


def _type(bundle: Node) -> str:
    """Bundle.type; a Bundle without one makes `type = ...` empty, left to the FHIRPath."""
    kind = _one(bundle, "type")
    if kind is None:
        raise Unsure
    return str(kind)


def _entries_all(name: str, kinds: tuple[str, ...]) -> Check:
    """bdl-3, bdl-4: `entry.all(<name>.exists() = (%resource.type in <kinds>))`."""

    def check(bundle: Node, resource: Node, root: Node) -> bool:
        entries = _objects(bundle, "entry")
        if not entries:
            return True
        wanted = _type(resource) in kinds
        return all(bool(_items(entry, name)) == wanted for entry in entries)

    return check


def _distinct_full_urls(bundle: Node, resource: Node, root: Node) -> bool:
    """bdl-7: `(type = 'history') or entry.where(fullUrl.exists())
    .select(fullUrl & resource.meta.versionId).isDistinct()` (no type: `{} or false` holds)."""
    if _one(bundle, "type") in (None, "history"):
        return True
    keys = []
    for entry in _objects(bundle, "entry"):
        url = _one(entry, "fullUrl")
        if url is None:
            continue
        meta = _one(_one(entry, "resource", dict) or {}, "meta", dict) or {}
        keys.append(url + (_one(meta, "versionId") or ""))
    return len(set(keys)) == len(keys)


def _document_or_message(kind: str, then: Callable[[Node], bool]) -> Check:
    """`type = <kind> implies <then>` (no type: `{} implies x` is never false)."""

    def check(bundle: Node, resource: Node, root: Node) -> bool:
        return _one(bundle, "type") != kind or then(bundle)

    return check


def _first_resource_is(kind: str) -> Callable[[Node], bool]:
    """`entry.first().resource.is(<kind>)`: no entry or resource is an empty answer."""

    def then(bundle: Node) -> bool:
        entries = _objects(bundle, "entry")
        first = _one(entries[0], "resource", dict) if entries else None
        if first is None:
            return True
        return _one(first, "resourceType") == kind

    return then


def _identified(bundle: Node) -> bool:
    """bdl-9: `identifier.system.exists() and identifier.value.exists()`."""
    identifier = _one(bundle, "identifier", dict) or {}
    return bool(_items(identifier, "system")) and bool(_items(identifier, "value"))


def _timestamped(bundle: Node) -> bool:
    """bdl-10: `timestamp.hasValue()`."""
    return _one(bundle, "timestamp") is not None


def _contained_empty(*names: str) -> Check:
    """dom-2, dom-4, dom-5: `contained.<names>.empty()`, each path of `names` (a.b)."""

    def check(node: Node, resource: Node, root: Node) -> bool:
        for path in names:
            items = _objects(node, "contained")
            *steps, last = path.split(".")
            for step in steps:
                items = [child for item in items for child in _objects(item, step)]
            if any(_items(item, last) for item in items):
                return False
        return True

    return check


def _no_contained(node: Node, resource: Node, root: Node) -> bool:
    """dom-3 when there is nothing contained (`contained.where(...).empty()`); which
    contained resource is referred to is the FHIRPath's to say."""
    if _objects(node, "contained"):
        raise Unsure
    return True


def _narrative(node: Node, resource: Node, root: Node) -> bool:
    """dom-6: `text.div.exists()`."""
    text = _one(node, "text", dict)
    return text is not None and bool(_items(text, "div"))


def _local_reference(node: Node, resource: Node, root: Node) -> bool:
    """ref-1: `reference.startsWith('#').not() or (reference.substring(1) in
    %rootResource.contained.id)`."""
    reference = _one(node, "reference")
    if reference is None or not reference.startswith("#"):
        return True
    ids = [_one(contained, "id") for contained in _objects(root, "contained")]
    return reference == "#" or reference[1:] in ids  # "#".substring(1) is empty


def _any_of(*names: str) -> Check:
    """`a.exists() or b.exists() or ...`."""

    def check(node: Node, resource: Node, root: Node) -> bool:
        return any(_items(node, name) for name in names)

    return check


def _absent_or(name: str, needed: str) -> Check:
    """`<name>.empty() or <needed>.exists()` (qty-3, tim-1, tim-2, tim-6, tim-7, tim-8)."""

    def check(node: Node, resource: Node, root: Node) -> bool:
        return not _items(node, name) or bool(_items(node, needed))

    return check


def _not_negative(name: str) -> Check:
    """`<name>.exists() implies <name> >= 0` (tim-4, tim-5)."""

    def check(node: Node, resource: Node, root: Node) -> bool:
        value = _one(node, name, int | float)
        return value is None or value >= 0

    return check


def _ucum_duration(node: Node, resource: Node, root: Node) -> bool:
    """drt-1: `code.exists() implies ((system = %ucum) and value.exists())`; without a system
    `{} and true` is empty, no failure, and `{} and false` is false."""
    if not _items(node, "code"):
        return True
    system = _one(node, "system")
    valued = bool(_items(node, "value"))
    return valued if system is None else system == _UCUM and valued


def _no_history(entry: Node, resource: Node, root: Node) -> bool:
    """bdl-8: `fullUrl.contains('/_history/').not()`."""
    url = _one(entry, "fullUrl")
    return url is None or "/_history/" not in url


_UCUM = "http://unitsofmeasure.org"
CHECKS: dict[str, Check] = {
    # bdl-1, bdl-2: no type makes `... or (type = 'searchset')` empty, no failure
    "bdl-1": lambda b, r, _: (
        not _items(b, "total") or _one(b, "type") in (None, "searchset", "history")
    ),
    "bdl-2": lambda b, r, _: (
        not any(_items(e, "search") for e in _objects(b, "entry"))
        or _one(b, "type") in (None, "searchset")
    ),
    "bdl-3": _entries_all("request", ("batch", "transaction", "history")),
    "bdl-4": _entries_all("response", ("batch-response", "transaction-response", "history")),
    "bdl-5": _any_of("resource", "request", "response"),
    "bdl-7": _distinct_full_urls,
    "bdl-8": _no_history,
    "bdl-9": _document_or_message("document", _identified),
    "bdl-10": _document_or_message("document", _timestamped),
    "bdl-11": _document_or_message("document", _first_resource_is("Composition")),
    "bdl-12": _document_or_message("message", _first_resource_is("MessageHeader")),
    "dom-2": _contained_empty("contained"),
    "dom-3": _no_contained,
    "dom-4": _contained_empty("meta.versionId", "meta.lastUpdated"),
    "dom-5": _contained_empty("meta.security"),
    "dom-6": _narrative,
    "ref-1": _local_reference,
    "qty-3": _absent_or("code", "system"),
    "drt-1": _ucum_duration,
    "tim-1": _absent_or("duration", "durationUnit"),
    "tim-2": _absent_or("period", "periodUnit"),
    "tim-4": _not_negative("duration"),
    "tim-5": _not_negative("period"),
    "tim-6": _absent_or("periodMax", "period"),
    "tim-7": _absent_or("durationMax", "duration"),
    "tim-8": _absent_or("countMax", "count"),
    "org-1": lambda o, r, _: len(_items(o, "identifier")) + len(_items(o, "name")) > 0,
    "pat-1": _any_of("name", "telecom", "address", "organization"),
}
