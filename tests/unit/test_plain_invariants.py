"""The plain-Python verdicts of the hot invariants (rxsim.fhir.plain_invariants) are their
published FHIRPath's, as fhirpathpy evaluates it, on every element validation asks about: in
the corpus, HL7's examples, rxsim's Bundles, Bundles that break each invariant and Bundles
generated with every shape those invariants look at. A wrong plain verdict is caught."""

import copy
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rxsim import scenario as scenarios
from rxsim.fhir import definitions as spec
from rxsim.fhir.plain_invariants import CHECKS, Check, Unsure
from rxsim.fhir.validate import validate
from rxsim.tools.mutation import json_paths
from services.hospital.generator import synthetic_prescriptions
from tests.support import factories as make
from tests.unit.test_fhir_invariants import BUNDLE_CASES, CASES, _published, bundle_with

Mismatch = tuple[str, str, dict[str, Any], bool, bool]  # key, path, element, plain, FHIRPath


def compare(resources: list[Any], checks: dict[str, Check]) -> tuple[list[Mismatch], Counter]:
    """Validate each resource and, wherever an invariant of `checks` is asked about an element,
    compare `checks`' verdict with the FHIRPath's: the elements they differ on, and how often
    each (key, verdict) was given in plain Python."""
    mismatches: list[Mismatch] = []
    decided: Counter[tuple[str, bool]] = Counter()
    holds = spec.Invariant.holds

    def both(self: spec.Invariant, node: Any, path: str, resource: Any, root: Any) -> bool:
        check = checks.get(self.key)
        if check is not None:
            published = _verdict(lambda: self.published(node, path, resource, root))
            try:
                plain = _verdict(lambda: check(node, resource.data, root.data))
            except Unsure:
                plain = None
            if plain is not None:
                decided[self.key, plain] += 1
                if plain != published:
                    mismatches.append((self.key, path, node, plain, published))
        return holds(self, node, path, resource, root)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spec.Invariant, "holds", both)
        for resource in resources:
            validate(copy.deepcopy(resource))
    return mismatches, decided


def _verdict(holds: Callable[[], bool]) -> bool:
    """As the walk takes it: an invariant whose evaluation raises (a value of the wrong shape,
    which the structure check names) is no failure."""
    try:
        return holds()
    except Unsure:
        raise
    except Exception:
        return True


DROP = object()


def _apply(node: dict[str, Any], change: dict[str, Any]) -> None:
    for name, value in change.items():
        if value is DROP:
            node.pop(name, None)
        else:
            node[name] = value


def _bundle(**change: Any) -> dict[str, Any]:
    bundle = bundle_with()
    _apply(bundle, change)
    return bundle


def _edit(bundle: dict[str, Any], kind: str, **change: Any) -> dict[str, Any]:
    _apply(make.resource(bundle, kind), change)
    return bundle


def _entry(index: int, **change: Any) -> dict[str, Any]:
    bundle = bundle_with()
    _apply(bundle["entry"][index], change)
    return bundle


def _same_full_url(*versions: str) -> dict[str, Any]:
    bundle = bundle_with()
    for entry, version in zip(bundle["entry"], versions, strict=False):
        entry["fullUrl"] = "urn:uuid:1"
        entry["resource"].setdefault("meta", {})["versionId"] = version
    return bundle


def _fields(**values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Some of the named elements, each set to a drawn value or removed (DROP)."""
    return st.fixed_dictionaries({}, optional={k: v | st.just(DROP) for k, v in values.items()})


BREAKING = [  # beside test_fhir_invariants' cases, one that breaks each other plain verdict
    _entry(0, search={"mode": "match"}),  # bdl-2
    _entry(0, request={"method": "GET", "url": "x"}),  # bdl-3
    _entry(0, response={"status": "200"}),  # bdl-4
    bundle_with(type="batch-response"),  # bdl-4: a batch-response without responses
    _entry(1, resource=DROP) | {"type": "transaction"},  # bdl-5 (and bdl-3)
    _same_full_url("1", "1"),  # bdl-7 (and "1", "2" keeps it)
    _same_full_url("1", "2"),
    _entry(1, fullUrl="http://x/Patient/1/_history/2"),  # bdl-8
    _bundle(type="document", timestamp=DROP),  # bdl-10, bdl-11
    _edit(bundle_with(), "Organization", identifier=DROP, name=DROP),  # org-1
    _edit(bundle_with(), "Patient", contact=[{"gender": "male"}]),  # pat-1
    _edit(bundle_with(), "Patient", text={"status": "empty"}),  # dom-6 without a div
    bundle_with({"dispenseRequest": {"expectedSupplyDuration": {"value": 5, "code": "d"}}}),
    bundle_with({"requester": {"reference": "#"}}),  # "#".substring(1) is empty: ref-1 holds
]
FIXED = [
    *_published(),
    make.bundle(),
    *synthetic_prescriptions(scenarios.load("pilot"), 40, today=date(2026, 1, 1), seed=7),
    *(bundle_with(broken) for _, broken, _, _ in CASES),
    *(bundle_with(kept) for _, _, kept, _ in CASES),
    *(bundle_with(**broken) for _, broken, _ in BUNDLE_CASES),
    *BREAKING,
]


def test_every_plain_verdict_is_the_fhirpaths_and_each_is_given_both_ways() -> None:
    mismatches, decided = compare(FIXED, CHECKS)
    assert mismatches == []
    assert {key for key, _ in decided} == set(CHECKS)
    only_kept = {"dom-3"}  # decided in plain Python only when nothing is contained
    assert {key for key, verdict in decided if not verdict} == set(CHECKS) - only_kept


WRONG: dict[str, Check] = {  # plausible slips, each of which the comparison must catch
    "ref-1": lambda n, r, root: not str(n.get("reference", "")).startswith("#"),
    "bdl-3": lambda b, r, _: all("request" not in e for e in b.get("entry", [])),
    "bdl-7": lambda b, r, _: len({e.get("fullUrl") for e in b["entry"]}) == len(b["entry"]),
    "drt-1": lambda n, r, _: "code" not in n or n.get("system") == "http://unitsofmeasure.org",
    "tim-5": lambda n, r, _: n.get("period", 0) > 0,
    "dom-6": lambda n, r, _: "text" in n,
}


@pytest.mark.parametrize("key", sorted(WRONG))
def test_a_wrong_plain_verdict_is_caught(key: str) -> None:
    mismatches, _ = compare(FIXED, {key: WRONG[key]})
    assert mismatches and {m[0] for m in mismatches} == {key}


OTHER_SHAPES = st.sampled_from([None, [], {}, [None], 0, "", ["a", "b"], [{}], [[]]])
TEXTS = st.sampled_from(["#m", "#x", "#", "m", "Practitioner/1", "urn:uuid:1", ""])
NUMBERS = st.sampled_from([-1, 0, 1, 2.5, "1", True])
UCUM = "http://unitsofmeasure.org"


EXTENSION = st.just({"extension": [{"url": "http://x", "valueString": "y"}]})
BUNDLE_FIELDS = _fields(
    type=st.sampled_from(["collection", "batch", "transaction", "history", "searchset",
                          "document", "message", "batch-response", "transaction-response"]),
    total=st.integers(0, 2),
    identifier=st.fixed_dictionaries({}, optional={"system": TEXTS, "value": TEXTS}),
    timestamp=st.just("2026-01-01T00:00:00Z"),
    _type=EXTENSION,
    _timestamp=EXTENSION,
)  # fmt: skip
ENTRY_FIELDS = _fields(
    fullUrl=st.sampled_from(["urn:uuid:1", "urn:uuid:12", "http://x/Patient/1/_history/2"]),
    request=st.just({"method": "POST", "url": "Patient"}),
    response=st.just({"status": "201"}),
    search=st.just({"mode": "match"}),
    _fullUrl=EXTENSION,
    resource=st.just(DROP),
)
CONTAINED = st.lists(
    st.fixed_dictionaries(
        {"resourceType": st.just("Medication"), "id": st.sampled_from(["m", "x"])},
        optional={
            "meta": st.fixed_dictionaries({}, optional={
                "versionId": st.just("2"), "lastUpdated": st.just("2026-01-01T00:00:00Z"),
                "security": st.just([{"code": "R"}]), "tag": st.just([{"code": "R"}])}),
            "contained": st.just([{"resourceType": "Substance", "id": "s", "code": {"text": "s"}}]),
            "code": st.just({"text": "x"}),
        },
    ),
    max_size=2,
)  # fmt: skip
RESOURCE_FIELDS = _fields(
    contained=CONTAINED,
    text=st.sampled_from([{"status": "generated", "div": "<div>x</div>"}, {"status": "empty"}]),
    meta=st.fixed_dictionaries({}, optional={"versionId": st.sampled_from(["1", "2"])}),
)
REFERENCE = st.fixed_dictionaries({}, optional={"reference": TEXTS, "_reference": EXTENSION})
REPEAT = _fields(
    **{name: NUMBERS for name in ("duration", "durationMax", "period", "periodMax", "count",
                                  "countMax")},
    durationUnit=st.sampled_from(["h", "d"]),
    periodUnit=st.sampled_from(["h", "d"]),
    _period=EXTENSION,
)  # fmt: skip
QUANTITY = _fields(
    value=NUMBERS,
    code=st.sampled_from(["d", "TAB"]),
    system=st.sampled_from([UCUM, "http://x"]),
    unit=st.just("days"),
    _code=EXTENSION,
)

ORGANIZATION = _fields(identifier=st.just([]), name=st.just("x"))
PATIENT = _fields(contact=st.sampled_from([[{"gender": "male"}], [{"name": {"text": "x"}}]]))


@st.composite
def bundles(draw: st.DrawFn) -> dict[str, Any]:
    """A prescription Bundle with some of the elements the plain verdicts read changed."""
    bundle = copy.deepcopy(make.bundle(seed=draw(st.integers(1, 3))))
    request = make.resource(bundle, "MedicationRequest")
    request["requester"] = draw(REFERENCE)
    dosage = request.setdefault("dosageInstruction", [{"text": "x"}])[0]
    _apply(dosage.setdefault("timing", {}).setdefault("repeat", {}), draw(REPEAT))
    dispense = request.setdefault("dispenseRequest", {})
    _apply(dispense.setdefault("quantity", {}), draw(QUANTITY))
    _apply(dispense.setdefault("expectedSupplyDuration", {}), draw(QUANTITY))
    _apply(make.resource(bundle, "Organization"), draw(ORGANIZATION))
    _apply(make.resource(bundle, "Patient"), draw(PATIENT))
    _apply(bundle, draw(BUNDLE_FIELDS))
    shared = draw(st.integers(0, 3))  # bdl-7: entries of one fullUrl, told apart by versionId?
    versioned = draw(st.booleans())
    for index, entry in enumerate(bundle["entry"]):
        if index < shared:
            entry["fullUrl"] = "urn:uuid:1"
            if versioned:
                entry["resource"].setdefault("meta", {})["versionId"] = str(index)
        _apply(entry["resource"], draw(RESOURCE_FIELDS))
        _apply(entry, draw(ENTRY_FIELDS))
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["Composition", "MessageHeader"]))
        bundle["entry"].insert(0, {"fullUrl": "urn:uuid:0", "resource": {"resourceType": kind}})
    bundle = copy.deepcopy(bundle)  # apart from the values drawn, which others share
    for _ in range(draw(st.integers(0, 2))):  # a value of another shape, anywhere
        *steps, last = draw(st.sampled_from(json_paths(bundle)[1:]))
        parent: Any = bundle
        for step in steps:
            parent = parent[step]
        parent[last] = copy.deepcopy(draw(OTHER_SHAPES))
    return bundle


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundles())
def test_every_plain_verdict_is_the_fhirpaths_on_generated_bundles(bundle: dict[str, Any]) -> None:
    mismatches, _ = compare([bundle], CHECKS)
    assert mismatches == []
