"""The national rules the coordinator applies to every prescription (TT 26/2025/TT-BYT and the
national API). Each rule is a plain function returning the problems it finds (empty when it
passes), each problem with its own reason code, the element it concerns, and a message in
Vietnamese with an English gloss; each rule can be switched off in a scenario's `[rules]`.

rxsim.domain.rules.registry lists the rules; docs/prescription-bundle.md lists where each
checked element sits in the Bundle.
"""

from rxsim.domain.prescription import Issue, Prescription
from rxsim.domain.rules.code import duplicate_code, subject_mismatch
from rxsim.domain.rules.lookup import Lookup
from rxsim.domain.rules.registry import RULES
from rxsim.domain.rules.rule import Setting

__all__ = [
    "Lookup",
    "Setting",
    "check_prescription",
    "duplicate_code",
    "subject_mismatch",
]


def check_prescription(rx: Prescription, at: Setting) -> list[Issue]:
    """Every switched-on rule, in the registry's order. The first issue is the reason code."""
    switches = at.rules
    return [
        issue
        for rule in RULES
        if rule.check is not None and getattr(switches, rule.switch)
        for issue in rule.check(rx, at)
    ]
