"""A run result is read with one clear sentence for whatever is wrong with its file, and the
schema's problems are named by their JSON path."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from rxsim.tools.run_result import SCHEMA_PATH, RunResultError, load_schema, problems, read
from tests.support.run_results import a_run_result


def test_the_schema_is_a_valid_json_schema_found_beside_the_contracts() -> None:
    assert SCHEMA_PATH.name == "run-result.schema.json"
    Draft202012Validator.check_schema(load_schema())


def test_the_tests_result_is_valid() -> None:
    assert problems(a_run_result()) == []
    assert problems(a_run_result(stuck=0)) == []


def test_problems_name_each_path_sorted() -> None:
    result = a_run_result()
    result["load"]["sent"] = -1
    del result["outcomes"]["lost"]
    result["timeline"][2]["visible_p50_ms"] = "fast"

    assert problems(result) == [
        "$.load.sent: -1 is less than the minimum of 0",
        "$.outcomes: 'lost' is a required property",
        "$.timeline[2].visible_p50_ms: 'fast' is not of type 'number', 'null'",
    ]


@pytest.mark.parametrize(
    ("started_at", "valid"),
    [
        ("2026-05-04T09:30:00+07:00", True),
        ("2026-05-04T02:30:00.123456Z", True),
        ("2026-05-04T09:30:00", False),  # no offset: not a moment
        ("yesterday", False),
    ],
)
def test_started_at_is_an_rfc3339_time_with_its_offset(started_at: str, valid: bool) -> None:
    result = {**a_run_result(), "started_at": started_at}
    expected = [] if valid else [f"$.started_at: '{started_at}' is not a 'date-time'"]
    assert problems(result) == expected


def test_a_problem_quoting_a_large_value_stays_one_short_line() -> None:
    (found,) = problems({**a_run_result(), "stages": "x" * 5000})
    assert found.startswith("$.stages: 'xxx")
    assert len(found) < 220
    assert found.endswith("…")


def test_a_valid_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(a_run_result()))
    assert read(path) == a_run_result()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "run.json: no such file"),
        (b"{not json", "run.json: not JSON (Expecting property name enclosed in double quotes at "
                       "line 1, column 2)"),
        (b"\xff\xfe\x00", "run.json: not JSON (not UTF-8 text)"),
        (b'{"elapsed_s": NaN}', "run.json: not JSON (NaN is not a JSON number)"),
        (b"[]", "run.json: not a valid run result: $: [] is not of type 'object'"),
        (b"{}", "run.json: not a valid run result: $: 'version' is a required property (and "
                "11 more)"),
    ],
)  # fmt: skip
def test_what_is_wrong_with_a_file_is_said_in_one_sentence(
    tmp_path: Path, content: bytes | None, says: str
) -> None:
    path = tmp_path / "run.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RunResultError) as raised:
        read(path)
    assert str(raised.value) == f"{tmp_path}/{says}"
