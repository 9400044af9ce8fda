"""TT 26/2025 supply limits: how many days one prescription may cover, by the drug's type,
the diagnosis and whether the treatment is long-term; with the fault that breaks them."""

import math

from rxsim.domain.prescription import Issue, Item, Prescription
from rxsim.domain.reasons import Reason
from rxsim.domain.reference.catalog import TYPE_NAMES
from rxsim.domain.rules import steps
from rxsim.domain.rules.lookup import Lookup, refusal
from rxsim.domain.rules.rule import Bundle, Draw, Fault, Rule, first_request
from rxsim.domain.rules.switches import Rules


def _why(type_letter: str, chronic: bool, cancer: bool, long_term: bool) -> str:
    if type_letter == "n":
        return "cancer" if cancer else "acute pain"
    if type_letter == "h":
        return "long-term treatment" if long_term else "acute treatment"
    return "a listed chronic condition" if chronic else "ordinary treatment"


def _limit_issue(rx: Prescription, item: Item, rules: Rules, catalog: Lookup) -> Issue | None:
    days = steps.treatment_days(item)  # a multi-step regimen's steps may run longer
    if days is None:
        return None  # the dosage rule names it
    drug = catalog.drug(item)
    # A drug rxsim does not know is taken to be of the prescription's type.
    letter = drug.type_letter if drug else rx.type_letter if rx.type_letter in TYPE_NAMES else "c"
    chronic = any(catalog.chronic(code) for code in item.diagnoses)
    cancer = any(catalog.cancer(code) for code in item.diagnoses)
    long_term = item.course == "continuous"
    limit = rules.max_days(letter, chronic=chronic, cancer=cancer, long_term=long_term)
    if days <= limit:
        return None
    return refusal(
        f"{item.where}.dispenseRequest.expectedSupplyDuration",
        Reason.SUPPLY_LIMIT_EXCEEDED,
        f"{item.name} ({TYPE_NAMES[letter]}) được kê tối đa {limit} ngày, đơn kê "
        f"{days:g} ngày (at most {limit} days for type '{letter}', "
        f"{_why(letter, chronic, cancer, long_term)})",
    )


def supply_limits(rx: Prescription, rules: Rules, catalog: Lookup) -> list[Issue]:
    """Ordinary 30 days (90 for listed chronic conditions), narcotics 7 (30 for cancer),
    psychotropics 10 (30 long-term, courseOfTherapyType continuous)."""
    return [issue for item in rx.items if (issue := _limit_issue(rx, item, rules, catalog))]


def longer_than_allowed(bundle: Bundle, draw: Draw) -> None:
    """The first drug line runs one to four weeks past the limit, its quantity still adding up
    (so the supply limit, not the quantity rule, refuses it)."""
    request = first_request(bundle)
    supply = request["dispenseRequest"]["expectedSupplyDuration"]
    dosage = request["dosageInstruction"][0]
    days = supply["value"] + draw.limit - draw.days + draw.rng.choice((7, 14, 30))
    dose = dosage["doseAndRate"][0]["doseQuantity"]["value"]
    times = dosage["timing"]["repeat"]["frequency"]
    dosage["text"] = dosage["text"].replace(f"trong {supply['value']} ngày", f"trong {days} ngày")
    supply["value"] = days
    request["dispenseRequest"]["quantity"]["value"] = math.ceil(dose * times * days)


SUPPLY_LIMITS = Rule(
    switch="supply_limits",
    check=lambda rx, at: supply_limits(rx, at.rules, at.catalog),
    reasons=(Reason.SUPPLY_LIMIT_EXCEEDED,),
    faults=(Fault("over_supply_limit", Reason.SUPPLY_LIMIT_EXCEEDED, longer_than_allowed),),
    summary="at most the days TT 26/2025 allows for the drug's type, diagnosis and course",
    regulation="TT 26/2025/TT-BYT, supply limits by type of drug",
)
