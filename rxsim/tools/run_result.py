"""A run's JSON result (`schemas/reports/run-result.schema.json`): the schema, its problems, and
reading a result file with one clear sentence for anything that is not a valid result."""

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

import schemas

SCHEMA_PATH = Path(schemas.__file__).parent / "reports" / "run-result.schema.json"

# A type error quotes the whole offending value; a line on a terminal needs only its start.
_LONGEST_MESSAGE = 200


class RunResultError(ValueError):
    """The file is missing, is not JSON, or is not a run result; the message says which."""


@cache
def load_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


# jsonschema checks "date-time" only with a package we do not need otherwise. Python reads
# ISO 8601 (RFC 3339 and a little more) itself; a time without its offset is no moment.
_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema(), format_checker=_FORMATS)


def problems(result: object) -> list[str]:
    """Every way `result` breaks the schema, as "JSON path: what is wrong", sorted by path so
    the first one is the same from run to run; empty when it is a valid result."""
    errors = sorted(_validator().iter_errors(result), key=lambda error: error.json_path)
    return [f"{error.json_path}: {_shortened(error.message)}" for error in errors]


def _shortened(message: str) -> str:
    if len(message) <= _LONGEST_MESSAGE:
        return message
    return message[: _LONGEST_MESSAGE - 1] + "…"


def read(path: Path) -> dict[str, Any]:
    """The run result in `path`, checked against the schema; RunResultError otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunResultError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise RunResultError(f"{path}: not JSON (not UTF-8 text)") from None
    except OSError as exc:
        raise RunResultError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        loaded = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise RunResultError(
            f"{path}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError as exc:
        raise RunResultError(f"{path}: not JSON ({exc})") from None
    found = problems(loaded)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise RunResultError(f"{path}: not a valid run result: {found[0]}{more}")
    result: dict[str, Any] = loaded
    return result


def _refuse_constant(name: str) -> None:
    # Python's json reads NaN and Infinity, which JSON does not have and no figure can be.
    raise ValueError(f"{name} is not a JSON number")


def why_not_passed(result: dict[str, Any]) -> list[str]:
    """One line per reason the run did not pass, to print and to grep."""
    lines = []
    outcomes = result["outcomes"]
    if outcomes["lost"]:
        lines.append(f"lost: {outcomes['lost']} prescriptions sent were never seen")
    if outcomes["in_flight"]:
        lines.append(f"in flight: {outcomes['in_flight']} prescriptions did not reach an end")
    for error, n in sorted(result["load"]["send_errors"].items()):
        lines.append(f"send errors: {n} {error}")
    lines += [
        f"threshold broken: {t['expression']} (measured {_measured(t['value'])})"
        for t in result["thresholds"]
        if not t["passed"]
    ]
    return lines


def _measured(value: float | None) -> str:
    return "nothing" if value is None else f"{value:g}"
