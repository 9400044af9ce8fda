"""What the hospital knows of its submissions: built from rx.status, keyed by submission.

A submission is forgotten as the coordinator forgets its prescription: once it has ended and
its issue is `kept` ago (its validity and `[retention] days_after_validity`), so the view of a
long run holds what is in flight and the retention, not the run's history. A submission the
coordinator never answered is forgotten as long after it was sent; one still in flight never.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rxsim.domain.reasons import Reason
from rxsim.domain.states import TERMINAL, supersedes
from rxsim.messaging.due import DueIndex
from schemas.envelope import Envelope
from schemas.events import State, StatusChanged

ENDED = frozenset(state.value for state in TERMINAL)


@dataclass
class Submission:
    submission_id: str
    prescription_id: str
    submitted_at: datetime
    facility_code: str | None = None  # whose it is: only that facility may see or cancel it
    history: list[dict[str, Any]] = field(default_factory=list)
    outcome: dict[str, Any] | None = None  # FHIR OperationOutcome of a rejection
    refused: list[dict[str, Any]] = field(default_factory=list)  # requests the hub refused
    # Its first MedicationRequest, as much as its cancellation sends again (rxsim.fhir).
    request: dict[str, Any] | None = field(default=None, repr=False)

    def newer(self, at: datetime, state: State) -> bool:
        last = self.history[-1]
        return supersedes(State(last["state"]), datetime.fromisoformat(last["at"]), state, at)

    @property
    def state(self) -> str:
        return self.history[-1]["state"] if self.history else "SUBMITTED"

    @property
    def in_flight(self) -> bool:
        """Whether the coordinator has answered and the prescription has not ended."""
        return bool(self.history) and self.state not in ENDED

    def as_dict(self) -> dict[str, Any]:
        last = self.history[-1] if self.history else {}
        return {
            "submission_id": self.submission_id,
            "prescription_id": self.prescription_id,
            "submitted_at": self.submitted_at.isoformat(),
            "facility_code": self.facility_code,
            "state": self.state,
            "reason_code": last.get("reason_code"),
            "reason": last.get("reason"),
            "history": self.history,
            "refused": self.refused,
            **({"outcome": self.outcome} if self.outcome else {}),
        }


@dataclass
class StatusView:
    # How long after its issue an ended submission is kept (real time; None: for ever).
    kept: timedelta | None = None
    submissions: dict[str, Submission] = field(default_factory=dict)
    owner_of_code: dict[str, str] = field(default_factory=dict)
    _forgetting: DueIndex[str] = field(default_factory=DueIndex, repr=False)  # by when

    def submitted(
        self,
        submission_id: str,
        prescription_id: str,
        at: datetime,
        facility_code: str | None = None,
        request: dict[str, Any] | None = None,
    ) -> None:
        """A submission sent, or read back from rx.issued (again after a restart): the first
        time makes it, later ones only keep the earliest time (a status may come first)."""
        known = self.submissions.get(submission_id)
        if known is None:
            self.submissions[submission_id] = Submission(
                submission_id, prescription_id, at, facility_code, request=request
            )
            self._forget_after(submission_id, at)
            return
        known.facility_code = known.facility_code or facility_code
        known.request = known.request or request
        if at < known.submitted_at:
            known.submitted_at = at

    def apply(self, envelope: Envelope, status: StatusChanged) -> None:
        sid = envelope.correlationid
        submission = self.submissions.get(sid)
        if submission is None:  # sent by another hospital process, or before a restart
            submission = self.submissions[sid] = Submission(
                sid, status.prescription_id, envelope.time, status.facility_code
            )
        submission.facility_code = submission.facility_code or status.facility_code
        # Due when the coordinator forgets it; if still in flight then, when it ends.
        self._forget_after(sid, status.issued_at or submission.submitted_at)
        if status.refused is not None:  # the prescription did not move: say what was refused
            if all(r["event_id"] != status.refused.event_id for r in submission.refused):
                submission.refused.append(
                    {**status.refused.model_dump(mode="json"), "at": envelope.time.isoformat()}
                )
            return
        if any(step["event_id"] == envelope.id for step in submission.history):
            return
        if submission.history and not submission.newer(envelope.time, status.state):
            return  # older than what the hospital already knows: a replay or a late copy
        submission.history.append(
            {
                "state": status.state.value,
                "at": envelope.time.isoformat(),
                "reason_code": status.reason_code,
                "reason": status.reason,
                "pharmacy_id": status.pharmacy_id,
                "event_id": envelope.id,
            }
        )
        if status.outcome:
            submission.outcome = status.outcome
        if status.reason_code != Reason.DUPLICATE_CODE:
            self.owner_of_code[status.prescription_id] = sid

    def by_code(self, prescription_id: str) -> Submission | None:
        sid = self.owner_of_code.get(prescription_id)
        if sid is None:  # not yet seen by the coordinator: the latest submission of that code
            matches = [s for s in self.submissions.values() if s.prescription_id == prescription_id]
            return matches[-1] if matches else None
        return self.submissions[sid]

    def forget_finished(self, now: datetime) -> list[str]:
        """Forget the submissions due at `now` that are not in flight (an ended one, or one
        never answered); the submission ids forgotten."""
        forgotten = []
        for sid in self._forgetting.due(now):
            submission = self.submissions.get(sid)
            if submission is None or submission.in_flight:
                continue  # gone, or due again when its end is applied
            del self.submissions[sid]
            if self.owner_of_code.get(submission.prescription_id) == sid:
                del self.owner_of_code[submission.prescription_id]
            forgotten.append(sid)
        return forgotten

    def _forget_after(self, sid: str, issued_at: datetime) -> None:
        if self.kept is not None:
            self._forgetting.set(sid, issued_at + self.kept)
