"""The hospitals' desk: what the hospital service does with a prescription once the HTTP edge
has read it. It holds the service's state (the status view, the generator's current run) and
its only way out (the publisher), so routes stay thin and tests can pass fakes."""

import asyncio
import random
from datetime import timedelta
from typing import Any

from rxsim import fhir
from rxsim.messaging.codec import now
from rxsim.messaging.kafka_io import Publisher
from rxsim.messaging.tasks import spawn
from rxsim.scenario import Scenario
from schemas import topics
from schemas.events import CancellationRequested
from services.hospital import generator
from services.hospital.status_view import StatusView, Submission


class RunGoing(Exception):
    """A generator run is already going."""


class Desk:
    def __init__(self, scenario: Scenario, publisher: Publisher, view: StatusView) -> None:
        self.scenario = scenario
        self.publisher = publisher
        self.view = view
        self.current_run: generator.GeneratorRun | None = None

    async def submit(self, bundle: dict[str, Any]) -> tuple[str, str]:
        """Validate at the edge (raises InvalidPrescription) and publish to rx.issued."""
        rx = fhir.parse_prescription(bundle)
        return rx.code, await self.publish(bundle, rx.code)

    async def publish(self, bundle: dict[str, Any], code: str) -> str:
        """Publish a prescription to rx.issued; its submission id."""
        event = await self.publisher.publish(topics.RX_ISSUED, code, bundle, subject=code)
        self.view.submitted(event["id"], code, now())
        return str(event["id"])

    async def cancel(self, submission: Submission, reason: str) -> None:
        code = submission.prescription_id
        data = CancellationRequested(prescription_id=code, reason=reason)
        await self.publisher.publish(
            topics.RX_CANCEL, code, data, subject=code, correlation_id=submission.submission_id
        )

    def start_run(self, count: int | None, rate: float | None) -> generator.GeneratorRun:
        """Issue the scenario's synthetic prescriptions at a fixed rate, in the background."""
        if self.current_run is not None and not self.current_run.finished:
            raise RunGoing()
        self.current_run = generator.GeneratorRun(
            target=count or self.scenario.load.prescriptions,
            rate=rate or self.scenario.load.rate_per_second,
        )
        spawn(generator.run(self.current_run, self.scenario, self._generated))
        return self.current_run

    async def _generated(self, bundle: dict[str, Any]) -> bool:
        # The generator's Bundles are valid FHIR by construction (its faults break national
        # rules, not structure), so they are not parsed here a first time.
        code = fhir.prescription_code(bundle)
        if code is None:
            return False
        submission_id = await self.publish(bundle, code)
        behaviour = self.scenario.behaviour
        rng = random.Random(f"{self.scenario.seed}:cancel:{submission_id}")
        if rng.random() < behaviour.cancel_share:
            delay = timedelta(minutes=rng.uniform(*behaviour.cancel_after_minutes))
            spawn(self._cancel_later(code, submission_id, self.scenario.clock.real_seconds(delay)))
        return True

    async def _cancel_later(self, code: str, submission_id: str, seconds: float) -> None:
        """A simulated prescriber changes their mind: the prescription is never amended, only
        cancelled (and a new one issued)."""
        await asyncio.sleep(seconds)
        data = CancellationRequested(
            prescription_id=code, reason="Bác sĩ đổi chỉ định (prescriber changed the treatment)"
        )
        await self.publisher.publish(
            topics.RX_CANCEL, code, data, subject=code, correlation_id=submission_id
        )
