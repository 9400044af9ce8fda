"""A scenario's rule switches: which national rules the coordinator applies, and their limits.

Every switch is on by default and every limit defaults to the regulation (TT 26/2025/TT-BYT);
a scenario turns a rule off or changes a limit in its `[rules]` section.
"""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

Days = int


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The prescription code and who sent it.
    prescription_code_format: bool = True
    type_letter: bool = True  # the code's letter is the drugs' type, one type per prescription
    duplicate_code: bool = True
    facility_onboarded: bool = True
    prescriber_licence: bool = True
    # The patient.
    cccd: bool = True  # 12 digits, province of birth registration, century/sex, birth year
    patient_details: bool = True  # birth date and sex present
    child_details: bool = True  # weight and guardian for young children
    child_age_months: int = Field(default=72, ge=0)
    # What is prescribed.
    diagnosis: bool = True  # an ICD-10 code on every drug
    known_diagnoses_only: bool = False  # the ICD-10 code must also be in rxsim's catalog
    drug_in_catalog: bool = True
    dosage: bool = True  # dose, times per day, days
    quantity_consistent: bool = True  # quantity = dose x times per day x days
    # How much, and from where.
    supply_limits: bool = True
    ordinary_max_days: Days = Field(default=30, ge=1)
    chronic_max_days: Days = Field(default=90, ge=1)
    narcotic_acute_max_days: Days = Field(default=7, ge=1)
    narcotic_cancer_max_days: Days = Field(default=30, ge=1)
    psychotropic_acute_max_days: Days = Field(default=10, ge=1)
    psychotropic_long_term_max_days: Days = Field(default=30, ge=1)
    narcotic_facility_beds: bool = True  # narcotics only from facilities with inpatient beds
    # Dispensing.
    validity_days: float = Field(default=5.0, gt=0)
    home_delivery_of_controlled: bool = False  # Pharmacy Law 2024: n/h pickup only by default

    def max_days(self, type_letter: str, *, chronic: bool, cancer: bool, long_term: bool) -> Days:
        """The most days one prescription may supply of a drug of this type (TT 26/2025)."""
        if type_letter == "n":
            return self.narcotic_cancer_max_days if cancer else self.narcotic_acute_max_days
        if type_letter == "h":
            return (
                self.psychotropic_long_term_max_days
                if long_term
                else self.psychotropic_acute_max_days
            )
        return self.chronic_max_days if chronic else self.ordinary_max_days

    def is_child(self, birth: date, on: date) -> bool:
        """Younger than `child_age_months` full months on `on` (weight and guardian required)."""
        return age_in_months(birth, on) < self.child_age_months


def age_in_months(birth: date, on: date) -> int:
    """Full months lived: born 15 March, one month old on 15 April, not on 14 April."""
    months = (on.year - birth.year) * 12 + on.month - birth.month
    return months - (on.day < birth.day)
