"""Real catalogs from CSV: a drug register and a list of ICD-10 diagnoses a user may have.

drugs:     registration_number,name,unit,type_letter,daily_units[,generic,atc,price_vnd]
diagnoses: code,name,weight[,chronic,cancer]

Both need a header row naming their columns (in any order). A bad file stops the scenario from
loading with an error naming the file, line and column, rather than failing mid-run.
"""

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rxsim.domain.reference.catalog import TYPE_NAMES, Diagnosis, Drug

DRUG_COLUMNS = ("registration_number", "name", "unit", "type_letter", "daily_units")
DIAGNOSIS_COLUMNS = ("code", "name", "weight")
ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")
BOOLEANS = {
    "": False,
    "0": False,
    "false": False,
    "no": False,
    "1": True,
    "true": True,
    "yes": True,
}


class CatalogError(ValueError):
    """A catalog file that cannot be used, with where: `path:line: column 'x': problem`."""


def _text(value: str) -> str:
    if not value:
        raise ValueError("is empty")
    return value


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise ValueError(f"{value!r} is not a whole number above 0")
    return int(value)


def _price(value: str) -> int:
    if value and not value.isdigit():
        raise ValueError(f"{value!r} is not a price in whole đồng")
    return int(value or 0)


def _type_letter(value: str) -> str:
    if value not in TYPE_NAMES:
        raise ValueError(f"{value!r} is not a prescription type (one of c, n, h, y)")
    return value


def _weight(value: str) -> float:
    try:
        weight = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not weight > 0:
        raise ValueError(f"{value!r} must be above 0")
    return weight


def _icd10(value: str) -> str:
    if not ICD10.match(value):
        raise ValueError(f"{value!r} is not an ICD-10 code such as I10 or E11.9")
    return value


def _boolean(value: str) -> bool:
    if value.lower() not in BOOLEANS:
        raise ValueError(f"{value!r} is not true/false, yes/no or 1/0")
    return BOOLEANS[value.lower()]


DRUG_FIELDS: dict[str, Callable[[str], Any]] = {
    "registration_number": _text,
    "name": _text,
    "unit": _text,
    "type_letter": _type_letter,
    "daily_units": _positive_int,
    "generic": str,
    "atc": str,
    "price_vnd": _price,
}
DIAGNOSIS_FIELDS: dict[str, Callable[[str], Any]] = {
    "code": _icd10,
    "name": _text,
    "weight": _weight,
    "chronic": _boolean,
    "cancer": _boolean,
}


def _rows(
    path: Path, required: tuple[str, ...], fields: dict[str, Callable[[str], Any]]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, converted values) for each data row; raises CatalogError naming the culprit."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel writes a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [column.strip() for column in next(reader, [])]
    missing = [column for column in required if column not in header]
    unknown = [column for column in header if column not in fields]
    if missing or unknown:
        problem = f"lacks {', '.join(missing)}" if missing else f"has unknown {', '.join(unknown)}"
        raise CatalogError(
            f"{path}:1: header {','.join(header) or '(empty)'} {problem}; the columns are "
            f"{', '.join(required)} and optionally {', '.join(set(fields) - set(required))}"
        )
    for row in reader:
        line = reader.line_num  # the physical line, even after a quoted line break
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise CatalogError(f"{path}:{line}: {len(row)} values for {len(header)} columns")
        values = {}
        for column, cell in zip(header, row, strict=True):
            try:
                values[column] = fields[column](cell.strip())
            except ValueError as exc:
                raise CatalogError(f"{path}:{line}: column {column!r}: {exc}") from None
        yield line, values


def _unique(path: Path, rows: Iterator[tuple[int, dict[str, Any]]], key: str) -> list[Any]:
    seen: dict[str, int] = {}
    kept = []
    for line, values in rows:
        if values[key] in seen:
            raise CatalogError(
                f"{path}:{line}: column {key!r}: {values[key]!r} repeats line {seen[values[key]]}"
            )
        seen[values[key]] = line
        kept.append(values)
    if not kept:
        raise CatalogError(f"{path}: no rows after the header")
    return kept


def load_drugs(path: Path) -> tuple[Drug, ...]:
    rows = _unique(path, _rows(path, DRUG_COLUMNS, DRUG_FIELDS), "registration_number")
    return tuple(Drug(**values) for values in rows)


def load_diagnoses(path: Path) -> tuple[Diagnosis, ...]:
    rows = _unique(path, _rows(path, DIAGNOSIS_COLUMNS, DIAGNOSIS_FIELDS), "code")
    return tuple(Diagnosis(**values) for values in rows)
