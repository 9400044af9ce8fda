"""What the rules look drugs and diagnoses up in, and how a rule words its refusal."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from rxsim.domain.prescription import Issue, Item
from rxsim.domain.reasons import Reason
from rxsim.domain.reference import catalog
from rxsim.domain.reference.catalog import Diagnosis, Drug


def refusal(expression: str, code: Reason, message: str, fhir_code: str = "business-rule") -> Issue:
    return Issue(expression, code, message, fhir_code)


def missing(expression: str, code: Reason, message: str) -> Issue:
    return Issue(expression, code, message, "required")


@dataclass(frozen=True)
class Lookup:
    """The national drug register (by registration number) and the ICD-10 diagnoses known to
    the ministry's lists; a scenario may bring its own, rxsim's catalog is the default."""

    drugs: Mapping[str, Drug] = field(default_factory=lambda: catalog.DRUG_BY_CODE)
    diagnoses: Mapping[str, Diagnosis] = field(default_factory=lambda: catalog.DIAGNOSIS_BY_CODE)

    def drug(self, item: Item) -> Drug | None:
        return self.drugs.get(item.registration_number or "")

    def chronic(self, code: str) -> bool:
        """On the ministry's list of chronic conditions (up to 90 days' supply)."""
        known = self.diagnoses.get(code)
        return bool(known and known.chronic)

    def cancer(self, code: str) -> bool:
        """A malignant neoplasm: flagged in the catalog, or any ICD-10 C00-C97 code."""
        known = self.diagnoses.get(code)
        return bool(known and known.cancer) or code.upper().startswith("C")
