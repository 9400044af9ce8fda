"""FHIRPath expressions naming an element of a prescription Bundle, for every issue: the
edge's structure checks, its bindings and formats, and the national rules all name elements
in this one form, which a FHIRPath engine evaluated against the Bundle selects, e.g.
`Bundle.entry[0].resource.ofType(MedicationRequest).dosageInstruction[0].timing`.
Plain strings: no FHIR library here."""

from collections.abc import Iterable

BUNDLE = "Bundle"


def entry(index: int, kind: str) -> str:
    """The resource of entry `index`, of type `kind`."""
    return f"{BUNDLE}.entry[{index}].resource.ofType({kind})"


def every(kind: str) -> str:
    """Every resource of type `kind` in the Bundle: for what is about all of them, or none."""
    return f"{BUNDLE}.entry.resource.ofType({kind})"


def contained(where: str, index: int, kind: str) -> str:
    """The contained resource `index` of the resource at `where`, of type `kind`."""
    return f"{where}.contained[{index}].ofType({kind})"


def path(where: str, steps: Iterable[str | int]) -> str:
    """`where` followed by element names and list indexes: ('dosageInstruction', 0, 'timing')
    -> `where.dosageInstruction[0].timing`."""
    text = where
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text
