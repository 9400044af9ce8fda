"""What a doctor would prescribe: a facility, a patient, diagnoses drawn by how common they are,
drugs that treat them (one prescription type), and a course and days within the supply limits.
The generator turns a plan into a Bundle; a fault kind bends the plan where the fault lies in
who prescribes or for whom (a facility not onboarded, narcotics without beds, a young child)."""

import random
from dataclasses import dataclass
from datetime import date

from rxsim.domain.reference.catalog import Diagnosis, Drug
from rxsim.domain.reference.country import Citizen, Hospital
from rxsim.domain.reference.provinces import POPULATION_MILLIONS
from rxsim.scenario import Scenario

KIND_WEIGHT = {"hospital": 3.0, "clinic": 1.0}  # a hospital writes more prescriptions a day
LOCAL_SHARE = 0.8  # most patients are seen in their own province
COMORBID_SHARE = 0.3  # a chronic patient often has a second chronic condition treated too
CHILD_FAULTS = ("child_without_weight", "child_without_guardian")


@dataclass(frozen=True)
class Plan:
    facility: Hospital
    citizen: Citizen
    diagnoses: tuple[Diagnosis, ...]
    drugs: tuple[Drug, ...]
    course: str  # "acute" | "continuous"
    days: int
    limit: int  # the most days the rules in force allow for this prescription

    @property
    def type_letter(self) -> str:
        return self.drugs[0].type_letter


class Prescriber:
    """The scenario's onboarded facilities and citizens, ready to draw prescriptions from."""

    def __init__(self, scenario: Scenario, today: date) -> None:
        self.rules, self.catalog, country = scenario.rules, scenario.catalog, scenario.country
        onboarded = scenario.onboarded_facilities
        self.facilities = [f for f in country.facilities if f.code in onboarded]
        self.weights = _facility_weights(self.facilities)
        self.not_onboarded = [f for f in country.facilities if f.code not in onboarded]
        self.bedless = [f for f in self.facilities if not f.inpatient_beds]
        self.country = country
        self.children = [c for c in country.citizens if self.rules.is_child(c.birth_date, today)]
        young = set(self.children)
        self.adults = [c for c in country.citizens if c not in young]
        self.today = today
        self._treatable_cache: dict[tuple[str, bool], tuple[str, list[Diagnosis]]] = {}

    def plan(self, rng: random.Random, fault: str | None = None) -> Plan:
        facility = self._facility(rng, fault)
        citizen = self._citizen(rng, facility, fault)
        child = self.rules.is_child(citizen.birth_date, self.today)
        if child:
            letters = "cy"  # young children: no controlled drugs
        elif fault == "narcotic_from_clinic" and not facility.inpatient_beds:
            letters = "n"
        else:  # TT 26/2025: narcotics only where there are inpatient beds
            letters = "nchy" if facility.inpatient_beds else "chy"
        letters, treatable = self._treatable(letters, child)
        diagnosis = rng.choices(treatable, [d.weight for d in treatable])[0]
        options = [d for d in self.catalog.drugs_for(diagnosis) if d.type_letter in letters]
        anchor = rng.choice(options)
        same = [d for d in options if d.type_letter == anchor.type_letter and d != anchor]
        drugs = [anchor, *rng.sample(same, rng.randint(0, min(2, len(same))))]
        diagnoses = [diagnosis]
        if diagnosis.chronic and not diagnosis.cancer and rng.random() < COMORBID_SHARE:
            diagnoses, drugs = self._comorbid(rng, diagnoses, drugs)
        return self._course(rng, facility, citizen, tuple(diagnoses), tuple(drugs))

    def _treatable(self, letters: str, child: bool) -> tuple[str, list[Diagnosis]]:
        """Diagnoses some drug of these types treats (for a young child, not chronic ones and
        not cancer); a catalog too small for that relaxes the wish rather than loop."""
        key = (letters, child)
        if key not in self._treatable_cache:
            for wanted, for_child in ((letters, child), (letters, False), ("chy", False)):
                found = [
                    d
                    for d in self.catalog.diagnoses
                    if not (for_child and (d.chronic or d.cancer))
                    and any(x.type_letter in wanted for x in self.catalog.drugs_for(d))
                ]
                if found:
                    break
            self._treatable_cache[key] = (wanted, found or list(self.catalog.diagnoses))
        return self._treatable_cache[key]

    def _facility(self, rng: random.Random, fault: str | None) -> Hospital:
        if fault == "not_onboarded_facility" and self.not_onboarded:
            return rng.choice(self.not_onboarded)
        if fault == "narcotic_from_clinic" and self.bedless:
            return rng.choice(self.bedless)
        return rng.choices(self.facilities, self.weights)[0]

    def _citizen(self, rng: random.Random, facility: Hospital, fault: str | None) -> Citizen:
        if fault in CHILD_FAULTS and self.children:
            return rng.choice(self.children)
        if fault == "narcotic_from_clinic" and self.adults:
            return rng.choice(self.adults)
        local = self.country.citizens_in(facility.province)
        return rng.choice(local if local and rng.random() < LOCAL_SHARE else self.country.citizens)

    def _comorbid(
        self, rng: random.Random, diagnoses: list[Diagnosis], drugs: list[Drug]
    ) -> tuple[list[Diagnosis], list[Drug]]:
        """A second chronic condition, with one drug of the same type for it."""
        letter = drugs[0].type_letter
        other = rng.choices(self.catalog.diagnoses, self.catalog.weights)[0]
        extra = [
            d for d in self.catalog.drugs_for(other) if d.type_letter == letter and d not in drugs
        ]
        if not other.chronic or other.cancer or other in diagnoses or not extra:
            return diagnoses, drugs
        return [*diagnoses, other], [*drugs, rng.choice(extra)]

    def _course(
        self,
        rng: random.Random,
        facility: Hospital,
        citizen: Citizen,
        diagnoses: tuple[Diagnosis, ...],
        drugs: tuple[Drug, ...],
    ) -> Plan:
        letter = drugs[0].type_letter
        chronic = any(d.chronic for d in diagnoses)
        cancer = any(d.cancer for d in diagnoses)
        course = "continuous" if (cancer if letter == "n" else chronic) else "acute"
        limit = self.rules.max_days(
            letter, chronic=chronic, cancer=cancer, long_term=course == "continuous"
        )
        if course == "continuous":  # a month's supply is the habit; 2-3 months for the stable
            wanted = rng.choice((28, 30, 30, 60, 90) if letter in "cy" else (10, 20, 30))
        else:
            wanted = rng.randint(3, 10)
        days = max(1, min(wanted, limit))
        return Plan(facility, citizen, diagnoses, drugs, course, days, limit)


def _facility_weights(facilities: list[Hospital]) -> list[float]:
    """Each province's share follows its population; within it, hospitals outweigh clinics."""
    per_province: dict[str, float] = {}
    for f in facilities:
        per_province[f.province] = per_province.get(f.province, 0) + KIND_WEIGHT[f.kind]
    return [
        POPULATION_MILLIONS[f.province] * KIND_WEIGHT[f.kind] / per_province[f.province]
        for f in facilities
    ]
