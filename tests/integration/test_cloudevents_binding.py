"""The CloudEvents Kafka protocol binding, checked with the CloudEvents Python SDK: every event
rxsim writes is a structured-mode record (`content-type: application/cloudevents+json`) that
the SDK reads back as the same event, and a hospital system that writes rx.issued in binary
mode (attributes in `ce_` headers, the Bundle alone in the value) is understood."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka, to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from kafka import KafkaProducer

from rxsim import fhir
from rxsim.fhir import signing
from rxsim.messaging.kafka_security import kafka_python_args
from rxsim.scenario import load
from rxsim.tools.live import parse
from rxsim.tools.stack import Stack
from rxsim.tools.topic_reader import read
from schemas import topics
from tests.integration.test_rules_via_api import PLACE
from tests.support.rule_faults import prescription
from tests.support.stack_client import STACK_SCENARIO, StackClient, eventually

pytestmark = pytest.mark.integration

SCENARIO = load(str(STACK_SCENARIO))
EVENT_TOPICS = [t.name for t in topics.ALL_TOPICS if t is not topics.RX_DEADLETTER]


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[StackClient]:
    yield StackClient(stack)


def statuses(client: StackClient, submission_id: str) -> list[str]:
    return [
        event["data"]["state"]
        for record in read(client.stack.bootstrap, [topics.RX_STATUS.name])
        if (event := parse(record.value, record.headers))
        and event.get("correlationid") == submission_id
    ]


def test_every_event_of_a_prescriptions_story_is_a_structured_cloudevent_the_sdk_reads(
    client: StackClient,
) -> None:
    bundle = prescription(PLACE, seed=uuid.uuid4().int)
    submission = client.post_prescription(bundle)["submission_id"]
    client.wait_for_state(submission, "AVAILABLE")

    checked: dict[str, int] = {}
    for record in read(client.stack.bootstrap, EVENT_TOPICS):
        event = parse(record.value, record.headers)
        if not event or event.get("correlationid") != submission:
            continue  # other tests write as hospital systems or intruders would, headers or not
        headers = dict(record.headers)
        assert headers.get("content-type") == b"application/cloudevents+json", record
        read_back = from_kafka(KafkaMessage(headers, record.key, record.value or b""), JSONFormat())
        assert read_back.get_id() == event["id"]
        assert read_back.get_type() == event["type"]
        assert read_back.get_extension("correlationid") == event["correlationid"]
        checked[record.topic] = checked.get(record.topic, 0) + 1
    # The issue and what the coordinator made of it, at least.
    assert {topics.RX_ISSUED.name, topics.RX_STATUS.name, topics.CITIZEN_INBOX.name} <= set(checked)


def test_a_hospital_system_writing_binary_mode_is_understood(client: StackClient) -> None:
    bundle = prescription(PLACE, seed=uuid.uuid4().int)
    code = str(fhir.prescription_code(bundle))
    event = CloudEvent(
        attributes={
            "type": topics.RX_ISSUED.event_type,
            "source": "urn:test:hospital-system",
            "subject": code,
            "datacontenttype": topics.RX_ISSUED.datacontenttype,
            "dataschema": topics.RX_ISSUED.dataschema,
            "correlationid": str(uuid.uuid4()),
            "signature": signing.simulated_signature(bundle, SCENARIO.seed, validated=False),
        },
        data=bundle,
    )
    message = to_binary(event, JSONFormat())
    assert not message.value.lstrip().startswith(b'{"specversion"')  # the Bundle alone
    producer = KafkaProducer(**kafka_python_args(client.stack.bootstrap))
    producer.send(
        topics.RX_ISSUED.name,
        key=code.encode(),
        value=message.value,
        headers=list(message.headers.items()),
    ).get(timeout=10)
    producer.close()

    submission: Any = event.get_extension("correlationid")
    eventually(
        lambda: statuses(client, submission),
        lambda seen: "AVAILABLE" in seen,
        f"{code} AVAILABLE",
    )
