"""Reason codes are on the wire: one enum holds them, and code names the member."""

import re
from pathlib import Path

from rxsim.domain.reasons import Reason

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = [*ROOT.joinpath("rxsim").rglob("*.py"), *ROOT.joinpath("services").rglob("*.py")]


def test_each_reason_code_is_spelt_as_its_member_name() -> None:
    assert [reason.value for reason in Reason] == [reason.name for reason in Reason]


def test_each_reason_code_says_what_it_means_in_one_line() -> None:
    assert all(reason.meaning and "\n" not in reason.meaning for reason in Reason)


def test_production_code_names_reason_members_not_bare_strings() -> None:
    quoted = re.compile("|".join(f'"{reason.value}"' for reason in Reason))
    found = [
        f"{path.relative_to(ROOT)}: {match.group()}"
        for path in PRODUCTION
        if path.name != "reasons.py"
        for match in quoted.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
