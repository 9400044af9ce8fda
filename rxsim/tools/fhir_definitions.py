"""Writes rxsim/fhir/r4-definitions.json, the FHIR R4 definitions the edge's validation reads
(rxsim.fhir.validate), from HL7's own package: the npm package `hl7.fhir.r4.examples@4.0.1`
(CC0), which ships the R4 StructureDefinitions with their constraints, ValueSets and
CodeSystems. The core package itself (hl7.fhir.r4.core) is on no registry this project
reaches, and fhir.resources carries no constraints.

    npm pack hl7.fhir.r4.examples@4.0.1
    python -m rxsim.tools.fhir_definitions hl7.fhir.r4.examples-4.0.1.tgz

Only the resources rxsim reads or emits (RESOURCES) and every datatype they use are taken:
- each invariant (key, severity, human text, FHIRPath expression, the element it applies
  to), apart from ele-1, which applies to every element and is kept once, and those whose
  expression needs what no FHIRPath engine here has (SKIPPED); dom-3 as R4B corrected it;
- each required binding of a `code` element, expanded to its codes, where the value set is
  made of code systems the package holds in full."""

import json
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

RESOURCES = (
    "Bundle", "MedicationRequest", "Medication", "Patient", "Practitioner", "PractitionerRole",
    "Organization", "Task", "MedicationDispense", "OperationOutcome", "AuditEvent",
    "Observation",
)  # fmt: skip
# Invariants evaluated by a function FHIRPath's specification leaves to each validator.
SKIPPED = {
    "txt-1": "htmlChecks() is the validator's own XHTML check",
    "txt-2": "htmlChecks() is the validator's own XHTML check",
    "rng-2": "fhirpathpy 2.2 cannot compare two Quantities (low <= high)",
}
# R4's dom-3 applies as() to a collection, which FHIRPath refuses (fhirpathpy raises); R4B
# published the same rule with ofType(), taken here.
ERRATA = {
    "dom-3": "contained.where((('#'+id in (%resource.descendants().reference | "
    "%resource.descendants().ofType(canonical) | %resource.descendants().ofType(uri) | "
    "%resource.descendants().ofType(url))) or descendants().where(reference = '#').exists() or "
    "descendants().where(ofType(canonical) = '#').exists() or "
    "descendants().where(ofType(canonical) = '#').exists()).not()).trace('unmatched', id).empty()"
}
OUT = Path(__file__).parents[1] / "fhir" / "r4-definitions.json"
_CORE = "http://hl7.org/fhir/StructureDefinition/"
_STRUCTURAL = ("BackboneElement", "Element", "Resource")


def _read(tarball: Path) -> dict[str, dict[str, Any]]:
    """Each StructureDefinition by name, each ValueSet and CodeSystem by url."""
    found: dict[str, dict[str, Any]] = {}
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            name = member.name.removeprefix("package/")
            if not name.startswith(("StructureDefinition-", "ValueSet-", "CodeSystem-")):
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            resource = json.load(handle)
            if resource["resourceType"] != "StructureDefinition":
                found[resource["url"]] = resource
            elif resource["url"] == _CORE + resource["name"]:  # not a profile or extension
                found[resource["name"]] = resource
    return found


def _model(path: str) -> str:
    """fhir.resources' model of an element path: `Timing.repeat` -> `TimingRepeat`."""
    first, *rest = path.replace("[x]", "").split(".")
    return first + "".join(part[0].upper() + part[1:] for part in rest)


def _types(element: dict[str, Any]) -> list[str]:
    return [t["code"] for t in element.get("type", []) if not t["code"].startswith("http")]


def _closure(definitions: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The StructureDefinitions of RESOURCES and of every complex type they use."""
    seen: dict[str, dict[str, Any]] = {}
    todo = list(RESOURCES)
    while todo:
        name = todo.pop(0)
        definition = definitions.get(name)
        if name in seen or definition is None or definition["kind"] == "primitive-type":
            continue
        seen[name] = definition
        for element in definition["snapshot"]["element"]:
            todo += [t for t in _types(element) if t not in _STRUCTURAL]
    return list(seen.values())


def _own_keys(name: str, definitions: dict[str, dict[str, Any]]) -> set[str]:
    """The keys of the invariants a type states of itself (on its root element)."""
    definition = definitions.get(name)
    if definition is None:
        return set()
    return {c["key"] for c in definition["snapshot"]["element"][0].get("constraint", [])}


def _invariants(
    definition: dict[str, Any], definitions: dict[str, dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    name = definition["name"]
    for element in definition["snapshot"]["element"]:
        path = element["path"]
        types = _types(element)
        of_type = _own_keys(types[0], definitions) if len(types) == 1 else set()
        for constraint in element.get("constraint", []):
            key = constraint["key"]
            if key == "ele-1" or key in SKIPPED or (path != name and key in of_type):
                continue  # a child's type has its own (ext-1 on every extension element)
            backbone = path == name or any(t in _STRUCTURAL for t in types)
            parent, _, field = path.rpartition(".")
            yield {
                "key": key,
                "severity": constraint["severity"],
                "human": constraint["human"],
                "expression": ERRATA.get(key, constraint["expression"]),
                "path": path,
                "model": _model(path) if backbone else _model(parent),
                "field": None if backbone else field,
            }


def _concepts(concepts: list[dict[str, Any]]) -> Iterator[str]:
    for concept in concepts:
        yield concept["code"]
        yield from _concepts(concept.get("concept", []))


def _expand(url: str, definitions: dict[str, dict[str, Any]]) -> list[str] | None:
    """The codes of a value set made of whole code systems or listed codes; None otherwise."""
    value_set = definitions.get(url.split("|")[0])
    if value_set is None or "exclude" in value_set.get("compose", {}):
        return None
    codes: set[str] = set()
    for include in value_set.get("compose", {}).get("include", []):
        if "filter" in include or "valueSet" in include:
            return None
        if "concept" in include:
            codes |= {concept["code"] for concept in include["concept"]}
            continue
        system = definitions.get(include.get("system", ""))
        if system is None or system.get("content") != "complete":
            return None
        codes |= set(_concepts(system.get("concept", [])))
    return sorted(codes)


def _bindings(
    definition: dict[str, Any], definitions: dict[str, dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    for element in definition["snapshot"]["element"]:
        binding = element.get("binding") or {}
        if binding.get("strength") != "required" or "code" not in _types(element):
            continue
        codes = _expand(binding["valueSet"], definitions)
        if codes is None:
            continue
        parent, _, field = element["path"].rpartition(".")
        yield {
            "path": element["path"],
            "model": _model(parent),
            "field": field,
            "valueSet": binding["valueSet"],
            "codes": codes,
        }


def build(tarball: Path) -> dict[str, Any]:
    definitions = _read(tarball)
    types = _closure(definitions)
    ele_1 = next(
        {"key": c["key"], "severity": c["severity"], "human": c["human"],
         "expression": c["expression"], "path": "Element", "model": "Element", "field": None}
        for c in definitions["Element"]["snapshot"]["element"][0]["constraint"]
        if c["key"] == "ele-1"
    )  # fmt: skip
    return {
        "source": "hl7.fhir.r4.examples@4.0.1 (npm, CC0-1.0): FHIR R4 4.0.1 definitions",
        "skipped": SKIPPED,
        "errata": ERRATA,
        "invariants": [ele_1, *(row for t in types for row in _invariants(t, definitions))],
        "bindings": [row for t in types for row in _bindings(t, definitions)],
    }


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m rxsim.tools.fhir_definitions hl7.fhir.r4.examples-4.0.1.tgz")
    table = build(Path(sys.argv[1]))
    OUT.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(table['invariants'])} invariants, {len(table['bindings'])} bindings")


if __name__ == "__main__":
    main()
