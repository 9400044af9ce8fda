"""What the hospital's own topics say of its scheduled work, as plain data and functions: its
generator runs (hospital.generator-runs, and what each caused on rx.issued) and the
cancellations its simulated prescribers planned (deterministic from the scenario's seed and the
submission id) and sent (rx.cancel). A restarted hospital rebuilds this from the beginning of
those topics and resumes what is still due. No Kafka and no clock here: the desk does the I/O.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rxsim.scenario import Behaviour
from rxsim.scenario.clock import Clock
from schemas.events import GeneratorRunRecorded
from services.hospital.generator import GeneratorRun
from services.hospital.status_view import ENDED, StatusView

PRESCRIBER_CHANGED_MIND = "Bác sĩ đổi chỉ định (prescriber changed the treatment)"


@dataclass(frozen=True)
class Generated:
    """A submission the generator made: its prescription code and when it was issued."""

    prescription_id: str
    issued_at: datetime


@dataclass(frozen=True)
class CancelDue:
    submission_id: str
    prescription_id: str
    due_at: datetime


@dataclass
class RunBook:
    """What the runs did; a submission's entries go when the status view forgets it
    (`forget`), so a long run's book holds what is in flight and the retention."""

    runs: dict[str, GeneratorRunRecorded] = field(default_factory=dict)  # latest, by run id
    issued_by_run: dict[str, int] = field(default_factory=dict)  # run id -> how many
    generated: dict[str, Generated] = field(default_factory=dict)  # submission id ->
    cancel_sent: set[str] = field(default_factory=set)  # submission ids

    def recorded(self, run: GeneratorRunRecorded) -> None:
        """A run's record; once one says it ended, an older one delivered again changes
        nothing."""
        known = self.runs.get(run.run_id)
        if known is None or not known.finished:
            self.runs[run.run_id] = run

    def issued(self, run_id: str, submission_id: str, code: str, at: datetime) -> None:
        """The generator's run `run_id` issued `code` as `submission_id` (idempotent: the
        copies of one send a producer's retry leaves are next to each other on the topic, long
        before the submission ends and is forgotten)."""
        if submission_id in self.generated:
            return
        self.generated[submission_id] = Generated(code, at)
        self.issued_by_run[run_id] = self.issued_by_run.get(run_id, 0) + 1

    def forget(self, submission_id: str) -> None:
        """The status view forgot this submission: so does the book."""
        self.generated.pop(submission_id, None)
        self.cancel_sent.discard(submission_id)

    def unfinished(self) -> tuple[GeneratorRunRecorded, int] | None:
        """The latest run not ended, with how many it has issued so far."""
        going = [run for run in self.runs.values() if not run.finished]
        if not going:
            return None
        run = max(going, key=lambda r: r.started_at)
        return run, self.issued_by_run.get(run.run_id, 0)


def record_of(run: GeneratorRun) -> GeneratorRunRecorded:
    """What hospital.generator-runs keeps of a run, as it starts and as it ends."""
    return GeneratorRunRecorded(
        run_id=run.run_id,
        target=run.target,
        rate=run.rate,
        started_at=datetime.fromtimestamp(run.started_at, UTC),
        finished=run.finished,
        issued=run.issued,
        refused_at_edge=run.refused_at_edge,
        seed=run.seed,
        stopped=run.stopped,
    )


def planned_cancel(seed: int, behaviour: Behaviour, submission_id: str) -> timedelta | None:
    """After how much simulated time the simulated prescriber cancels this submission, or
    None if they never do: the same answer before and after a restart."""
    rng = random.Random(f"{seed}:cancel:{submission_id}")
    if rng.random() >= behaviour.cancel_share:
        return None
    return timedelta(minutes=rng.uniform(*behaviour.cancel_after_minutes))


def cancels_due(
    book: RunBook, view: StatusView, seed: int, behaviour: Behaviour, clock: Clock
) -> list[CancelDue]:
    """The planned cancellations not yet sent, of generated prescriptions not yet ended; each
    due at its issue time plus the planned delay, in real time at the scenario's clock."""
    due = []
    for sid, made in book.generated.items():
        if sid in book.cancel_sent:
            continue
        after = planned_cancel(seed, behaviour, sid)
        submission = view.submissions.get(sid)
        if after is None or (submission is not None and submission.state in ENDED):
            continue
        real = timedelta(seconds=clock.real_seconds(after))
        due.append(CancelDue(sid, made.prescription_id, made.issued_at + real))
    return sorted(due, key=lambda c: c.due_at)
