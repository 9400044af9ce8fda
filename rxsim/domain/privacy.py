"""How personal data is shown where its owner is not the reader: a CCCD but its province, a
name as its initials. Plain functions."""

import re

# A CCCD: 12 digits, the first three its province of birth (which is kept: it names no one).
CCCD = re.compile(r"(?<!\d)(\d{3})\d{9}(?!\d)")


def masked(text: str) -> str:
    """`text` with every CCCD in it masked but its province."""
    return CCCD.sub(r"\1*********", text)


def initials(name: str) -> str:
    """A name as its initials ("Nguyễn Văn An" -> "N. V. A."): enough to tell records apart."""
    return " ".join(f"{part[0]}." for part in name.split())
