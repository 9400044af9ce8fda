"""The hospitals' desk: what the hospital service does with a prescription once the HTTP edge
has read it. It holds the service's state (the status view, the generator's runs and planned
cancellations) and its only way out (the publisher), so routes stay thin and tests can pass
fakes. Its state is rebuilt from the broker on every start (`receive`, then `recover` once
caught up): what was due while the hospital was down is sent then, and a run not ended goes on.
Once caught up, what ended is forgotten after the retention (`forget_finished`).
"""

import asyncio
import time
from datetime import datetime
from typing import Any

from rxsim import fhir
from rxsim.domain.prescription import Prescription
from rxsim.domain.reasons import Reason
from rxsim.fhir import signing
from rxsim.messaging import tokens
from rxsim.messaging.codec import now
from rxsim.messaging.kafka_io import Publisher
from rxsim.messaging.tasks import spawn
from rxsim.messaging.tokens import Caller, Role
from rxsim.scenario import Scenario
from schemas import topics
from schemas.envelope import Envelope
from schemas.events import CancellationRequested, GeneratorRunRecorded, StatusChanged
from schemas.topics import Topic
from services.hospital import generator, runs
from services.hospital.status_view import StatusView, Submission

SOURCE = "rxsim/hospital"


class RunGoing(Exception):
    """A generator run is already going."""


class NoRunGoing(Exception):
    """No generator run is going: nothing to stop."""


class Recovering(Exception):
    """The hospital is still rebuilding its view from the broker: a run may be going."""


class Desk:
    def __init__(self, scenario: Scenario, publisher: Publisher, view: StatusView) -> None:
        self.scenario = scenario
        self.publisher = publisher
        self.view = view
        self.book = runs.RunBook()
        self.current_run: generator.GeneratorRun | None = None
        self.recovered = False

    async def submit(
        self, bundle: dict[str, Any], caller: Caller, rx: Prescription | None = None
    ) -> tuple[str, str]:
        """Validate at the edge (raises InvalidPrescription; `rx`: already validated) and
        publish to rx.issued, if the caller is the Bundle's facility (raises tokens.Refused
        otherwise): the hospital signs what it sends as that facility."""
        rx = rx or fhir.parse_prescription(bundle)
        tokens.refuse_other(caller, Role.FACILITY, rx.facility_code, Reason.OTHER_FACILITY)
        return rx.code, await self.publish(bundle, rx.code)

    async def publish(self, bundle: dict[str, Any], code: str, run_id: str | None = None) -> str:
        """Publish a prescription to rx.issued (caused by a generator run, if `run_id`), signed
        with its facility's key: what an outside system posts to this edge, the hospital has
        accepted as its own, so it signs it; its submission id."""
        # Validated here (`submit`) or built by rxsim's own builder (the generator): the
        # signature says so, and the coordinator does not validate it a second time.
        signature = signing.simulated_signature(bundle, self.scenario.seed, validated=True)
        event = await self.publisher.publish(
            topics.RX_ISSUED, code, bundle, subject=code, causation_id=run_id, signature=signature
        )
        request = fhir.kept_for_cancelling(bundle)
        self.view.submitted(event["id"], code, now(), fhir.facility_code(bundle), request)
        return str(event["id"])

    async def cancel(self, submission: Submission, reason: str) -> None:
        await self._send_cancel(submission.prescription_id, submission.submission_id, reason)

    async def _send_cancel(self, code: str, submission_id: str, reason: str) -> None:
        """rx.cancel, the prescription's MedicationRequest cancelled, signed with the key of
        its facility: the coordinator takes a cancellation only from the facility that issued
        the prescription."""
        submission = self.view.submissions.get(submission_id)
        data = fhir.cancellation(code, reason, submission.request if submission else None)
        facility = submission.facility_code if submission else None
        signature = None
        if facility is not None:
            body = data.model_dump(mode="json", exclude_none=True)  # what the envelope carries
            signature = signing.simulated_signer(self.scenario.seed, facility).sign(body)
        await self.publisher.publish(
            topics.RX_CANCEL,
            code,
            data,
            subject=code,
            correlation_id=submission_id,
            signature=signature,
        )
        self.book.cancel_sent.add(submission_id)

    def forget_finished(self, at: datetime | None = None) -> None:
        """Forget the submissions that ended past their retention (status_view.py), and what
        the runs kept of them; only once caught up, when every status read again is in."""
        if not self.recovered:
            return
        for submission_id in self.view.forget_finished(at or now()):
            self.book.forget(submission_id)

    async def receive(self, topic: Topic, envelope: Envelope, data: Any) -> None:
        """What the hospital reads: statuses, and its own writes read back after a restart."""
        if isinstance(data, StatusChanged):
            self.view.apply(envelope, data)
        elif isinstance(data, GeneratorRunRecorded):
            self.book.recorded(data)
        elif isinstance(data, CancellationRequested):
            self.book.cancel_sent.add(envelope.correlationid)
        elif topic == topics.RX_ISSUED and envelope.source == SOURCE:
            facility = fhir.facility_code(data) if isinstance(data, dict) else None
            request = fhir.kept_for_cancelling(data) if isinstance(data, dict) else None
            self.view.submitted(envelope.id, envelope.subject, envelope.time, facility, request)
            if envelope.causationid is not None:  # made by a generator run
                self.book.issued(envelope.causationid, envelope.id, envelope.subject, envelope.time)

    async def recover(self) -> None:
        """Caught up with the broker: send the planned cancellations now due, and go on with
        a generator run that had not ended."""
        due = runs.cancels_due(
            self.book, self.view, self.scenario.seed, self.scenario.behaviour, self.scenario.clock
        )
        for cancel in due:
            wait = (cancel.due_at - now()).total_seconds()
            spawn(self._cancel_later(cancel.prescription_id, cancel.submission_id, wait))
        going = self.book.unfinished()
        if going is not None:
            record, issued = going
            run = generator.GeneratorRun(
                record.target, record.rate, record.run_id, issued=issued,
                started_at=record.started_at.timestamp(), seed=record.seed,
            )  # fmt: skip
            self.current_run = run
            spawn(self._run(run))
        self.recovered = True

    async def start_run(
        self, count: int | None, rate: float | None, seed: int | None = None
    ) -> generator.GeneratorRun:
        """Issue the scenario's synthetic prescriptions at a fixed rate, in the background; the
        run is recorded first, so that a restarted hospital goes on with it. Unless given a
        seed, the n-th run on this stack uses the scenario's seed plus n - 1: the first is the
        scenario's own, and no two runs repeat each other's prescription codes."""
        if not self.recovered:
            raise Recovering()
        if self.current_run is not None and not self.current_run.finished:
            raise RunGoing()
        run = self.current_run = generator.GeneratorRun(
            target=count or self.scenario.load.prescriptions,
            rate=rate or self.scenario.load.rate_per_second,
            seed=self.scenario.seed + len(self.book.runs) if seed is None else seed,
        )
        await self._record(run)
        spawn(self._run(run))
        return run

    async def stop_run(self) -> generator.GeneratorRun:
        """Stop the run going: it issues nothing more, and is recorded as stopped, so that a
        restarted hospital does not resume it."""
        run = self.current_run
        if run is None or run.finished:
            raise NoRunGoing()
        run.stopped = run.finished = True
        await self._record(run)
        return run

    async def _run(self, run: generator.GeneratorRun) -> None:
        async def submit(bundle: dict[str, Any]) -> bool:
            return await self._generated(bundle, run.run_id)

        await generator.run(
            run, self.scenario, submit, clock=time.time, start=run.started_at, issuable=_issuable
        )
        await self._record(run)

    async def _record(self, run: generator.GeneratorRun) -> None:
        record = runs.record_of(run)
        await self.publisher.publish(topics.HOSPITAL_RUNS, run.run_id, record, subject=run.run_id)
        self.book.recorded(record)

    async def _generated(self, bundle: dict[str, Any], run_id: str) -> bool:
        # The generator's Bundles are valid FHIR by construction (its faults break national
        # rules, not structure), so they are not parsed here a first time.
        code = fhir.prescription_code(bundle)
        if code is None:
            return False
        submission_id = await self.publish(bundle, code, run_id)
        after = runs.planned_cancel(self.scenario.seed, self.scenario.behaviour, submission_id)
        if after is not None:
            spawn(self._cancel_later(code, submission_id, self.scenario.clock.real_seconds(after)))
        return True

    async def _cancel_later(self, code: str, submission_id: str, seconds: float) -> None:
        """A simulated prescriber changes their mind: the prescription is never amended, only
        cancelled (and a new one issued)."""
        await asyncio.sleep(max(0.0, seconds))
        if submission_id in self.book.cancel_sent or submission_id not in self.view.submissions:
            return  # sent, or ended and forgotten
        await self._send_cancel(code, submission_id, runs.PRESCRIBER_CHANGED_MIND)


def _issuable(bundle: dict[str, Any]) -> bool:
    """What the desk publishes of a generated Bundle (one without a code is refused)."""
    return fhir.prescription_code(bundle) is not None
