"""Bad messages on the services' topics land in rx.deadletter with their original bytes,
source topic, partition, offset, consumer and reason, while good messages keep flowing.

Bad messages are keyed like the good prescription that follows them, so they sit on the same
partitions: each consumer has to get past them to reach the good one.
"""

import base64
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
import pytest

from rxsim.domain.reference.country import DRUG_BY_CODE
from rxsim.fhir import bundles, signing, synthetic
from rxsim.messaging import codec
from rxsim.scenario import load
from rxsim.tools import examples, hostile
from rxsim.tools.stack import Stack
from rxsim.tools.topic_reader import read
from schemas import topics
from tests.support.stack_client import STACK_SCENARIO, StackClient, eventually

pytestmark = pytest.mark.integration

SCENARIO = load(str(STACK_SCENARIO))
COUNTRY = SCENARIO.country
HOSPITAL = COUNTRY.hospital_by_code["01001"]  # Hà Nội, onboarded in the pilot
rng = random.Random()


@dataclass(frozen=True)
class Sent:
    what: str
    topic: str
    partition: int
    offset: int
    value: bytes
    consumers: tuple[str, ...]
    reason_starts: str


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[StackClient]:
    yield StackClient(stack)


def a_valid_issued_event(code: str) -> dict[str, Any]:
    citizen = next(c for c in COUNTRY.citizens if c.province == HOSPITAL.province)
    bundle = synthetic.prescription(
        rng, code=code, hospital=HOSPITAL, citizen=citizen, drugs=[DRUG_BY_CODE["VD-25123-18"]]
    )
    signature = signing.simulated_signature(bundle, SCENARIO.seed, validated=True)
    return codec.new_event(
        topics.RX_ISSUED, source="rxsim/test", subject=code, data=bundle, signature=signature
    )


class Bad(NamedTuple):
    what: str
    topic: str
    key: str
    value: bytes
    consumers: tuple[str, ...]  # every consumer of the topic must refuse it
    reason_starts: str


def bad_messages(code: str, citizen: str, pharmacy: str) -> list[Bad]:
    good = a_valid_issued_event(code)
    wrong_version = {**good, "dataschema": "urn:rxsim:schema:vn.rxsim.rx.issued:2"}
    wrong_resource = {**good, "data": {**good["data"], "resourceType": "Patient"}}
    choice = next(e for t, e in examples.story() if t == topics.CITIZEN_CHOICES)
    choice_v2 = {**choice, "dataschema": choice["dataschema"].replace(":1", ":2")}
    garbage = bytes([0xFF, 0x00]) + rng.randbytes(62)
    coordinator = ("coordinator",)
    return [
        Bad("garbage", "rx.issued", code, garbage, coordinator, "not JSON"),
        Bad(
            "wrong schema version",
            "rx.issued",
            code,
            codec.encode(wrong_version),
            coordinator,
            "dataschema 'urn:rxsim:schema:vn.rxsim.rx.issued:2'",
        ),
        Bad(
            "wrong FHIR resourceType",
            "rx.issued",
            code,
            codec.encode(wrong_resource),
            coordinator,
            "data.resourceType: Input should be 'Bundle'",
        ),
        Bad("truncated", "rx.issued", code, codec.encode(good)[:300], coordinator, "not JSON"),
        Bad(
            "wrong version",
            "citizen.choices",
            code,
            codec.encode(choice_v2),
            coordinator,
            "dataschema ",
        ),
        Bad("garbage", "citizen.inbox", citizen, garbage, ("citizen_app",), "not JSON"),
        # Only the hospital reads its generator runs (to resume them): it parks what it
        # cannot decode there itself.
        Bad("garbage", "hospital.generator-runs", code, garbage, ("hospital",), "not JSON"),
        Bad(
            "truncated",
            "pharmacy.orders",
            pharmacy,
            codec.encode(good)[:120],
            ("pharmacy",),
            "not JSON",
        ),
        Bad(
            "wrong event type",
            "rx.status",
            code,
            codec.encode(good),
            ("citizen_app", "hospital"),
            "type 'vn.rxsim.rx.issued' does not belong on rx.status",
        ),
    ]


def produce(bootstrap: str, bad: list[Bad]) -> list[Sent]:
    messages = [hostile.Hostile(b.what, b.topic, b.key.encode(), b.value) for b in bad]
    landed = hostile.produce(bootstrap, messages)
    return [
        Sent(b.what, b.topic, at.partition, at.offset, b.value, b.consumers, b.reason_starts)
        for b, at in zip(bad, landed, strict=True)
    ]


def test_bad_messages_are_dead_lettered_and_good_ones_keep_flowing(client: StackClient) -> None:
    # Given a prescription code, its citizen and a pharmacy, and bad messages on their partitions
    code = bundles.new_code(rng, HOSPITAL.code)
    citizen = next(c for c in COUNTRY.citizens if c.province == HOSPITAL.province)
    pharmacy = client["pharmacy"].get("/pharmacies", params={"province": "Hà Nội"}).json()[0]["id"]
    sent = produce(client.stack.bootstrap, bad_messages(code, citizen.cccd, pharmacy))

    # When the good prescription follows them through the hospital's API, and is chosen
    bundle = synthetic.prescription(
        rng, code=code, hospital=HOSPITAL, citizen=citizen, drugs=[DRUG_BY_CODE["VD-25123-18"]],
        simulated=False,
    )  # fmt: skip
    submission = client.post_until_available(bundle, citizen.cccd, code)
    choice = {"pharmacy_id": pharmacy, "fulfilment": "pickup"}
    response = client["citizen_app"].post(
        f"/citizens/{citizen.cccd}/prescriptions/{code}/choice",
        json=choice,
        headers=client.citizen(citizen.cccd),
    )
    assert response.status_code == 202, response.text

    # Then the pharmacy answers it (accepted or declined): every hop got past the bad messages
    eventually(
        lambda: [t for t, _ in client.events(submission)],
        lambda seen: "pharmacy.events" in seen,
        f"the pharmacy to answer the order for {code}",
    )
    # And every bad message is in rx.deadletter once per consumer that refused it
    wanted = {(s.topic, s.partition, s.offset, c): s for s in sent for c in s.consumers}
    letters = wait_for_dead_letters(client.stack.bootstrap, set(wanted))
    for where, message in wanted.items():
        letter = letters[where]
        assert base64.b64decode(letter["original_b64"]) == message.value, message.what
        assert letter["original_key"] in (code, citizen.cccd, pharmacy)
        assert letter["reason"].startswith(message.reason_starts), (message.what, letter["reason"])


def wait_for_dead_letters(
    bootstrap: str, wanted: set[tuple[str, int, int, str]], timeout: float = 60.0
) -> dict[tuple[str, int, int, str], dict[str, Any]]:
    eventually(
        lambda: wanted - set(hostile.dead_letters(bootstrap)),
        lambda missing: not missing,
        "every bad message in rx.deadletter (last seen: the ones still missing)",
        timeout,
    )
    return hostile.dead_letters(bootstrap)


def test_oversized_message_is_dead_lettered(client: StackClient) -> None:
    code = bundles.new_code(rng, HOSPITAL.code)
    good = a_valid_issued_event(code)
    oversized = {**good, "data": {**good["data"], "padding": "x" * codec.MAX_MESSAGE_BYTES}}
    bad = [Bad("oversized", "rx.issued", code, codec.encode(oversized), ("coordinator",), "")]
    (sent,) = produce(client.stack.bootstrap, bad)
    where = (sent.topic, sent.partition, sent.offset, "coordinator")
    letter = wait_for_dead_letters(client.stack.bootstrap, {where}, timeout=30.0)[where]
    assert letter["reason"].startswith(f"message of {len(sent.value)} bytes exceeds")
    # It keeps the start of the original, and says how to find the whole of it.
    assert letter["truncated"] is True
    assert letter["original_size"] == len(sent.value)
    assert base64.b64decode(letter["original_b64"]) == sent.value[: codec.DEAD_LETTER_KEEPS]


@pytest.fixture(scope="module")
def garbage_letter(stack: Stack) -> Sent:
    """A garbage message on citizen.inbox, once its dead letter is there."""
    garbage = Bad("garbage", "citizen.inbox", "000000000000", b"\xff not json", (), "")
    (sent,) = produce(stack.bootstrap, [garbage])
    where = (sent.topic, sent.partition, sent.offset, "citizen_app")
    wait_for_dead_letters(stack.bootstrap, {where})
    return sent


def test_deadletters_command_lists_them_readably(stack: Stack, garbage_letter: Sent) -> None:
    from typer.testing import CliRunner

    from rxsim.cli.main import app

    args = ["deadletters", "--bootstrap", stack.bootstrap]
    result = CliRunner().invoke(app, args, terminal_width=250)
    assert result.exit_code == 0, result.output
    source = f"citizen.inbox[{garbage_letter.partition}]@{garbage_letter.offset}"
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if source in line)
    assert "citizen_app refused" in lines[at] and "key=000000000000" in lines[at]
    assert lines[at + 1].startswith("    reason:   not JSON:")
    assert lines[at + 2].startswith("    original: 10 bytes:")


def test_dead_letters_are_themselves_valid_messages(stack: Stack, garbage_letter: Sent) -> None:
    from rxsim.tools.contracts.validation import validate

    records = list(read(stack.bootstrap, [topics.RX_DEADLETTER.name]))
    assert records
    for record in records:
        assert validate(topics.RX_DEADLETTER, orjson.loads(record.value or b"")) == []


def test_a_huge_key_is_dead_lettered_by_every_consumer_and_stops_none(
    client: StackClient,
) -> None:
    # Given a 600 KB key on a message on each consumed topic
    huge = "k" * hostile.HUGE_KEY_BYTES
    bad = [
        Bad("huge key", "rx.status", huge, b"\xff not json", ("citizen_app", "hospital"), ""),
        Bad("huge key", "citizen.inbox", huge, b"\xff not json", ("citizen_app",), ""),
        Bad("huge key", "rx.cancel", huge, b"\xff not json", ("coordinator",), ""),
        Bad("huge key", "pharmacy.orders", huge, b"\xff not json", ("pharmacy",), ""),
    ]
    sent = produce(client.stack.bootstrap, bad)
    # Then each consumer leaves a dead letter with the key's start, size and hash
    wanted = {(s.topic, s.partition, s.offset, c) for s in sent for c in s.consumers}
    letters = wait_for_dead_letters(client.stack.bootstrap, wanted)
    for where in wanted:
        letter = letters[where]
        assert huge.startswith(letter["original_key"]), where
        assert len(letter["original_key"]) == codec.DEAD_LETTER_KEY_KEEPS
        assert letter["original_key_size"] == len(huge)
        assert letter["reason"].startswith("not JSON"), letter["reason"]
    # And every consumer still follows its topics: a prescription flows to the citizen
    code = bundles.new_code(rng, HOSPITAL.code)
    citizen = next(c for c in COUNTRY.citizens if c.province == HOSPITAL.province)
    bundle = synthetic.prescription(
        rng, code=code, hospital=HOSPITAL, citizen=citizen, drugs=[DRUG_BY_CODE["VD-25123-18"]],
        simulated=False,
    )  # fmt: skip
    client.post_until_available(bundle, citizen.cccd, code)
    for service in ("hospital", "citizen_app", "coordinator", "pharmacy"):
        assert client[service].get("/readyz").status_code == 200, service
