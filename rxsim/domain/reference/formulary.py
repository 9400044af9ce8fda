"""A catalog in use (rxsim's built-in one, or a scenario's from CSV) and which of its drugs fit
which diagnosis, so that generated prescriptions read like a doctor wrote them."""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from rxsim.domain.reference.catalog import DIAGNOSES, DRUGS, Diagnosis, Drug

# ICD-10 code prefix -> ATC code prefixes of the drugs that treat it, and registration numbers
# of the traditional medicines used for it (they have no ATC code). The longest prefix wins,
# so a real catalog loaded from CSV fits by ATC without listing its own drugs here.
INDICATIONS: dict[str, tuple[str, ...]] = {
    "A09": ("A07CA", "A03FA"),
    "C": ("N02A", "N02BE"),  # cancer pain: opioids first, paracetamol beside
    "E11": ("A10",),
    "E78": ("C10",),
    "F32": ("N06AB",),
    "F41": ("N05BA", "N06AB"),
    "G40": ("N03",),
    "G47": ("N05CF", "N05BA", "VD-33817-20"),
    "I10": ("C08CA", "C09", "C07AB"),
    "I25": ("B01AC", "C10", "C07AB"),
    "I50": ("C03", "C09AA", "C07AB"),
    "I67": ("B01AC", "VD-32210-19"),
    "J02": ("J01CA", "J01CR", "N02BE", "VD-35066-21"),
    "J06": ("N02BE", "R05CB", "R06", "J01CA", "VD-35066-21"),
    "J18": ("J01CR", "J01DC", "J01FA", "R05CB"),
    "J20": ("J01CR", "J01FA", "R05CB", "VD-35066-21"),
    "J44": ("R03", "R05CB"),
    "J45": ("R03",),
    "K21": ("A02BC", "A03FA"),
    "K29": ("A02BC", "A03FA"),
    "K76": ("VD-26534-17",),
    "L30": ("R06",),
    "M15": ("M01AC", "N02BE", "VD-34455-20"),
    "M54": ("M01", "M03BX", "N02BE", "VD-34455-20"),
    "N39": ("J01MA", "J01DC"),
    "R50": ("N02BE",),
    "S": ("N02AA", "M01", "N02BE"),  # injuries: acute pain, a short opioid course at most
}
SYMPTOMATIC = ("N02BE",)  # a diagnosis nothing above fits gets paracetamol-like relief


@dataclass(frozen=True)
class Catalog:
    drugs: tuple[Drug, ...]
    diagnoses: tuple[Diagnosis, ...]

    @cached_property
    def drug_by_code(self) -> dict[str, Drug]:
        return {drug.registration_number: drug for drug in self.drugs}

    @cached_property
    def diagnosis_by_code(self) -> dict[str, Diagnosis]:
        return {diagnosis.code: diagnosis for diagnosis in self.diagnoses}

    @cached_property
    def weights(self) -> tuple[float, ...]:
        return tuple(diagnosis.weight for diagnosis in self.diagnoses)

    def drugs_for(self, diagnosis: Diagnosis) -> tuple[Drug, ...]:
        """The catalog's drugs that treat this diagnosis (never empty while there are drugs)."""
        return self._fitting.get(diagnosis.code) or self._fallback

    @cached_property
    def _fitting(self) -> dict[str, tuple[Drug, ...]]:
        # Worked out once: the generator asks for every prescription.
        return {d.code: tuple(self._matching(indication(d.code))) for d in self.diagnoses}

    def _matching(self, keys: Iterable[str]) -> Iterable[Drug]:
        keys = tuple(keys)
        return (
            drug
            for drug in self.drugs
            if drug.registration_number in keys or (drug.atc and drug.atc.startswith(keys))
        )

    @cached_property
    def _fallback(self) -> tuple[Drug, ...]:
        ordinary = [drug for drug in self.drugs if drug.type_letter == "c"]
        return tuple(self._matching(SYMPTOMATIC)) or tuple(ordinary) or self.drugs


def indication(icd10: str) -> tuple[str, ...]:
    """ATC prefixes and registration numbers for an ICD-10 code, by its longest known prefix."""
    prefixes = [p for p in INDICATIONS if icd10.upper().startswith(p)]
    return INDICATIONS[max(prefixes, key=len)] if prefixes else ()


BUILT_IN = Catalog(DRUGS, DIAGNOSES)
