"""The open-loop sender of `rxsim load`: a process of its own that sends the scenario's
synthetic prescriptions on the profile's schedule, whatever the pipeline does, and writes one
JSON line per send (when it was due, when it left, when it was acknowledged, or why not).

Open loop: a send never waits for the one before it to be acknowledged; when the process
falls behind its schedule (it cannot make the Bundles fast enough, or the broker pushes back),
the sends leave late and each line says how late, so coordinated omission shows instead of
hiding in a slower schedule. Two entry points: `kafka` publishes straight onto rx.issued as a
hospital system does (volume), `http` posts each Bundle to the hospital's API (the edge).
"""

import asyncio
import multiprocessing
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

from rxsim import fhir
from rxsim import scenario as scenarios
from rxsim.fhir import signing
from rxsim.messaging import tokens
from rxsim.messaging.codec import STRUCTURED, encode_bounded, new_event, now
from rxsim.messaging.kafka_io import Producer
from rxsim.messaging.kafka_security import aiokafka_args
from rxsim.messaging.tokens import Role
from rxsim.tools import trace_file
from rxsim.tools.load_profile import Profile
from schemas import topics
from services.hospital.generator import synthetic_prescriptions

ENTRIES = ("kafka", "http")
MAX_HTTP_IN_FLIGHT = 512  # more requests at once only queue in the client: they leave late
HTTP_TIMEOUT_S = 30.0
START_AFTER_S = 0.2


@dataclass(frozen=True)
class Synthetic:
    """The scenario's synthetic prescriptions, on a profile's schedule."""

    profile: Profile
    scenario: str
    speedup: float | None
    seed: int | None

    def sends(self) -> tuple[int, Iterator[tuple[float, dict[str, Any]]]]:
        scenario = scenarios.load(self.scenario, self.speedup)
        expected = self.profile.expected()
        bundles = synthetic_prescriptions(scenario, expected, seed=self.seed)
        return expected, zip(self.profile.due_times(), bundles, strict=False)


@dataclass(frozen=True)
class FromTrace:
    """A trace's Bundles, in its order, `speed` times faster than it was recorded."""

    path: Path
    speed: float
    expected: int

    def sends(self) -> tuple[int, Iterator[tuple[float, dict[str, Any]]]]:
        return self.expected, ((at / self.speed, b) for at, b in trace_file.issuances(self.path))


@dataclass(frozen=True)
class SendPlan:
    entry: str  # kafka | http
    source: Synthetic | FromTrace
    bootstrap: str
    hospital_url: str
    out: Path  # a first line {"start_at", "scheduled"}, then one JSON line per send
    stack_seed: int  # the stack's scenario seed: its hospitals' keys sign what goes to Kafka
    auth_secret: str  # the stack's tokens' key: each Bundle goes to HTTP as its facility


def start_sender(plan: SendPlan) -> multiprocessing.process.BaseProcess:
    """The sender in a process of its own (spawned: nothing of ours is shared with it)."""
    process = multiprocessing.get_context("spawn").Process(
        target=run_sender, args=(plan,), name="rxsim-load-sender", daemon=True
    )
    process.start()
    return process


def run_sender(plan: SendPlan) -> None:
    asyncio.run(_send_all(plan))


async def _send_all(plan: SendPlan) -> None:
    scheduled, sends = plan.source.sends()
    with plan.out.open("wb", buffering=0) as out:
        entry = (
            _KafkaEntry(plan.bootstrap, plan.stack_seed, isinstance(plan.source, Synthetic))
            if plan.entry == "kafka"
            else _HttpEntry(plan)
        )
        await entry.start()
        # The schedule starts once the clients are connected, so that starting is not lateness.
        start_at = time.time() + START_AFTER_S
        _line(out, {"start_at": start_at, "scheduled": scheduled})
        try:
            for index, (due, bundle) in enumerate(sends):
                wait = start_at + due - time.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                await entry.send(index, start_at + due, bundle, out)
        finally:
            await entry.stop()


async def post_prescription(hospital: httpx.AsyncClient, bundle: Any, token: str) -> httpx.Response:
    """POST a Bundle (or anything, as a hostile sender would) to the hospital's edge as FHIR
    JSON, with a facility's token."""
    return await hospital.post(
        "/prescriptions",
        content=orjson.dumps(bundle),
        headers={"content-type": "application/fhir+json", "authorization": f"Bearer {token}"},
    )


def _line(out: IO[bytes], line: dict[str, Any]) -> None:
    out.write(orjson.dumps(line) + b"\n")


class _KafkaEntry:
    """Straight onto rx.issued, as the hospital publishes: the same envelope, keyed by the
    prescription code and signed with the issuing hospital's key of the stack's scenario. The
    Bundles are valid FHIR by construction (the generator's faults break national rules, not
    structure), as the hospital's own generator trusts them too."""

    def __init__(self, bootstrap: str, seed: int, built_here: bool) -> None:
        # Synthetic Bundles come from rxsim's own builder, valid by construction: signed as
        # validated, as the hospital signs its generator's. A trace's may be anything: the
        # coordinator validates those in full.
        self.seed, self.built_here = seed, built_here
        self.producer = Producer(
            **aiokafka_args(bootstrap),
            linger_ms=5,
            max_batch_size=256 * 1024,  # a batch carries dozens of prescriptions, not three
            client_id="rxsim-load",
        )
        self.pending: set[asyncio.Future[Any]] = set()

    async def start(self) -> None:
        await self.producer.start()

    async def send(self, index: int, due: float, bundle: dict[str, Any], out: IO[bytes]) -> None:
        code = fhir.prescription_code(bundle) or f"no-code-{index}"
        signature = signing.simulated_signature(bundle, self.seed, validated=self.built_here)
        event = new_event(
            topics.RX_ISSUED,
            source="rxsim/hospital",
            subject=code,
            data=bundle,
            signature=signature,
        )
        sent = time.time()
        line = {"n": index, "due": due, "sent": sent, "submission_id": event["id"], "code": code}
        try:
            acked = await self.producer.send(
                topics.RX_ISSUED.name, encode_bounded(event), code.encode(), headers=STRUCTURED
            )
        except Exception as exc:  # the producer refused it at once: a send error, recorded
            _line(out, {**line, "acked": None, "error": type(exc).__name__})
            return

        def done(future: asyncio.Future[Any]) -> None:
            self.pending.discard(future)
            failed = future.exception()
            error = None if failed is None else type(failed).__name__
            _line(out, {**line, "acked": time.time(), "error": error})

        self.pending.add(acked)
        acked.add_done_callback(done)

    async def stop(self) -> None:
        if self.pending:
            await asyncio.wait(self.pending, timeout=HTTP_TIMEOUT_S)
        await self.producer.stop()


class _HttpEntry:
    """POST /prescriptions to the hospital: the edge validates each Bundle as it would an
    outside system's. Each request is a task of its own, so a slow answer delays no send."""

    def __init__(self, plan: SendPlan) -> None:
        self.client = httpx.AsyncClient(
            base_url=plan.hospital_url,
            timeout=HTTP_TIMEOUT_S,
            limits=httpx.Limits(max_connections=MAX_HTTP_IN_FLIGHT),
        )
        self.tasks: set[asyncio.Task[None]] = set()
        self.secret = plan.auth_secret
        self.tokens: dict[str, str] = {}  # facility code -> its token

    async def start(self) -> None:
        pass

    def token_of(self, bundle: dict[str, Any]) -> str:
        """The token of the Bundle's facility, as that hospital's system would hold it."""
        facility = fhir.facility_code(bundle) or ""
        if facility not in self.tokens:
            self.tokens[facility] = tokens.issue(self.secret, Role.FACILITY, facility, now())
        return self.tokens[facility]

    async def send(self, index: int, due: float, bundle: dict[str, Any], out: IO[bytes]) -> None:
        task = asyncio.create_task(self._post(index, due, bundle, out))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _post(self, index: int, due: float, bundle: dict[str, Any], out: IO[bytes]) -> None:
        sent = time.time()
        line: dict[str, Any] = {"n": index, "due": due, "sent": sent}
        try:
            answer = await post_prescription(self.client, bundle, self.token_of(bundle))
        except httpx.HTTPError as exc:
            _line(out, {**line, "acked": None, "error": type(exc).__name__})
            return
        body = answer.json() if answer.headers.get("content-type", "").endswith("json") else {}
        _line(
            out,
            {
                **line,
                "acked": time.time(),
                "status": answer.status_code,
                "submission_id": body.get("submission_id"),
                "code": body.get("prescription_id"),
                "error": None,
            },
        )

    async def stop(self) -> None:
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=HTTP_TIMEOUT_S)
        await self.client.aclose()
