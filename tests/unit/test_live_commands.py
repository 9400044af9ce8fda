"""`rxsim tail`, `trace` and `deadletters` read like a person would want, against records
given by a fake reader (the reading itself is tested on a real broker elsewhere)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from rxsim.cli.main import app
from rxsim.messaging import codec
from rxsim.tools import examples
from rxsim.tools.topic_reader import Poll, Record
from schemas import topics

T0 = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)


def record(topic: str, partition: int, offset: int, event: dict[str, Any]) -> Record:
    return Record(topic, partition, offset, None, orjson.dumps(event), 0)


def status(code: str, state: str, seconds: int) -> dict[str, Any]:
    event = examples.story()[1][1]
    event["subject"] = event["data"]["prescription_id"] = code
    event["data"]["state"] = state
    event["time"] = (T0 + timedelta(seconds=seconds)).isoformat()
    return event


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> list[list[Record]]:
    """The polls the fake broker answers, in order (each a list of records)."""
    answers: list[list[Record]] = []

    def polls(*_: Any, **__: Any) -> Iterator[Poll]:
        for records in answers:
            yield Poll(records, caught_up=True)

    def read(*_: Any, **__: Any) -> Iterator[Record]:
        for records in answers:
            yield from records

    monkeypatch.setattr("rxsim.tools.live.connect", lambda bootstrap, err: "fake:9092")
    monkeypatch.setattr("rxsim.tools.topic_reader.polls", polls)
    monkeypatch.setattr("rxsim.tools.topic_reader.read", read)
    return answers


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), terminal_width=300)


def test_tail_prints_records_of_all_partitions_in_event_time_order(
    broker: list[list[Record]],
) -> None:
    # Given partition 0 is read before partition 1, as Kafka gives them
    broker.append(
        [
            record("rx.status", 0, 0, status("01001aaaaaaa-c", "VALIDATED", 1)),
            record("rx.status", 0, 1, status("01001aaaaaaa-c", "AVAILABLE", 3)),
            record("rx.status", 1, 0, status("01001bbbbbbb-c", "VALIDATED", 2)),
            record("rx.status", 1, 1, status("01001bbbbbbb-c", "AVAILABLE", 4)),
        ]
    )
    result = run("tail", "rx.status", "--from-beginning")
    assert result.exit_code == 0, result.output
    shown = [line.split()[1] for line in result.output.splitlines()[1:]]
    assert shown == ["0@0", "1@0", "0@1", "1@1"]
    assert "status changed: ISSUED → VALIDATED" in result.output


def test_trace_finds_a_story_by_its_submission_id(broker: list[list[Record]]) -> None:
    story = examples.story()
    issued = story[0][1]
    broker.append([record(t.name, 0, n, e) for n, (t, e) in enumerate(story)])
    result = run("trace", issued["id"])
    assert result.exit_code == 0, result.output
    assert f"(prescription {issued['subject']})" in result.output
    assert "counterfeit suspected" in result.output
    assert "vn.rxsim" not in result.output


def test_trace_of_an_unknown_id_says_so(broker: list[list[Record]]) -> None:
    broker.append([record(t.name, 0, n, e) for n, (t, e) in enumerate(examples.story())])
    result = run("trace", "no-such-id")
    assert result.exit_code == 1
    assert "no event about no-such-id" in result.output


def test_deadletters_shows_every_problem_and_the_whole_original_with_full(
    broker: list[list[Record]],
) -> None:
    event = examples.story()[1][1]
    del event["source"], event["subject"]
    original = codec.encode(event)
    try:
        codec.decode(topics.RX_STATUS, original)
    except codec.Undecodable as exc:
        reason = exc.reason
    _, letter = codec.dead_letter(
        raw=original, key=b"k", source_topic="rx.status", partition=0, offset=7,
        consumer="hospital", reason=reason,
    )  # fmt: skip
    broker.append([Record("rx.deadletter", 0, 0, b"k", letter, 0)])
    short, full = run("deadletters"), run("deadletters", "--full")
    for result in (short, full):
        assert result.exit_code == 0, result.output
        assert "envelope.source: Field required" in result.output
        assert "envelope.subject: Field required" in result.output
    assert original.decode()[-40:] not in short.output
    assert original.decode()[-40:] in full.output
