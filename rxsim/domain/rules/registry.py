"""Every national rule, once, in the order the coordinator applies them: who sent it, the code,
the patient, each drug line, then the limits (a hospital fixes them in that order, and the
first problem found is the reason code). A new rule is declared in its module as a `Rule`
(check, reason codes, fault, summary, regulation) and gets one line here.

What derives from this list: the rules `check_prescription` runs, the scenario's fault kinds
and their reason codes (rxsim.scenario.faults), and the generator's fault table.
"""

import copy

from rxsim.domain.rules import code, content, patient, sender, supply
from rxsim.domain.rules.rule import Bundle, Draw, Fault, Rule

RULES: tuple[Rule, ...] = (
    code.DUPLICATE_CODE,
    code.CODE_FORMAT,
    sender.FACILITY_ONBOARDED,
    sender.PRESCRIBER_LICENCE,
    code.TYPE_LETTER,
    patient.CCCD,
    patient.PATIENT_DETAILS,
    patient.CHILD_DETAILS,
    content.DIAGNOSIS,
    content.DRUG_IN_CATALOG,
    content.DOSAGE,
    content.QUANTITY_CONSISTENT,
    supply.SUPPLY_LIMITS,
    sender.NARCOTIC_FACILITY_BEDS,
)

# Every deliberate fault by its scenario name, in the rules' order (the generator draws by it).
FAULTS: dict[str, Fault] = {fault.name: fault for rule in RULES for fault in rule.faults}


def broken(kind: str, bundle: Bundle, draw: Draw) -> Bundle:
    """A copy of the Bundle with the one element fault `kind` names broken; the Bundle itself
    when the fault is drawn by the generator rather than made by breaking a Bundle."""
    breaks = FAULTS[kind].breaks
    if breaks is None:
        return bundle
    bundle = copy.deepcopy(bundle)
    breaks(bundle, draw)
    return bundle
