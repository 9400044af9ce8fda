"""Recording, on rx.audit, every read of a citizen's data and every change asked for through a
service's API: who (the token's subject), what, when, and whether it was done or refused, as
a FHIR AuditEvent (rxsim.fhir.audit). A route wraps what it does in `Auditor.recording`, so
a refusal raised inside (403, 404, 409) is recorded as such and still answered as before."""

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request

from rxsim.domain.reasons import Reason
from rxsim.fhir.audit import Action, Audited, Outcome, audit_event
from rxsim.messaging.codec import encode_bounded, new_event, now
from rxsim.messaging.tokens import Caller, Refused
from schemas import topics
from schemas.events import AuditRecorded

log = logging.getLogger(__name__)

Send = Callable[[str, bytes, bytes], Awaitable[None]]  # topic, key, value: delivered on return

ACTION_OF = {
    "GET": Action.READ,
    "HEAD": Action.READ,
    "PUT": Action.UPDATE,
    "PATCH": Action.UPDATE,
    "DELETE": Action.DELETE,
}
CCCD = re.compile(r"\d{12}")
MAX_ID = 64  # a prescription id from a path is recorded only if it could be one

# Reason codes of the refusals FastAPI answers by status rather than by rxsim's Refused.
BY_STATUS = {404: "NOT_FOUND", 409: "CONFLICT", 422: "INVALID_REQUEST", 503: "NOT_READY"}


@dataclass(frozen=True)
class Anonymous:
    """A caller without a valid token: known by its network address only."""

    address: str


@dataclass
class Entry:
    """What a route learns while it acts: whose data it was, or that it refused."""

    prescription_id: str | None = None
    citizen_id: str | None = None
    reason_code: str | None = None  # set by `refuse`: answered without raising

    def refuse(self, reason: str) -> None:
        self.reason_code = reason


class Auditor:
    def __init__(self, service: str, send: Send) -> None:
        self.service = service
        self.send = send

    @asynccontextmanager
    async def recording(
        self,
        caller: Caller,
        action: Action,
        what: str,
        *,
        prescription_id: str | None = None,
        citizen_id: str | None = None,
    ) -> AsyncIterator[Entry]:
        """Record what the block does, once it is done: refused when it raises a refusal (or
        calls `Entry.refuse`), failed when it raises anything else. A read is answered only
        once its record is written: a read that cannot be recorded is refused, 503."""
        entry = Entry(prescription_id, citizen_id)
        try:
            yield entry
        except Refused as refused:
            await self._record(caller, action, what, entry, Outcome.REFUSED, refused.reason)
            refused.audited = True
            raise
        except HTTPException as exc:
            reason = BY_STATUS.get(exc.status_code, f"HTTP_{exc.status_code}")
            await self._record(caller, action, what, entry, Outcome.REFUSED, reason)
            raise
        except Exception:
            await self._record(caller, action, what, entry, Outcome.FAILED, "FAILED")
            raise
        outcome = Outcome.REFUSED if entry.reason_code else Outcome.SUCCESS
        try:
            await self._record(caller, action, what, entry, outcome, entry.reason_code)
        except Exception:
            if action == Action.READ:
                raise Refused(
                    503, Reason.AUDIT_UNAVAILABLE, Reason.AUDIT_UNAVAILABLE.meaning
                ) from None
            # A change was made and is answered as made: its record is lost, and says so here.
            log.exception("%s %s done, but its audit record could not be written", action, what)

    async def refused_before_the_route(self, request: Request, refused: Refused) -> None:
        """Record a request refused before its route ran (no token, a token of another kind,
        too many requests): who, as far as the token says (else `anonymous` at the client's
        address), and whose data, as far as the path says."""
        route = request.scope.get("route")
        what = f"{request.method} {getattr(route, 'path', request.url.path)}"
        params = request.path_params
        cccd, code = params.get("cccd"), params.get("prescription_id")
        entry = Entry(
            prescription_id=code if isinstance(code, str) and len(code) <= MAX_ID else None,
            citizen_id=cccd if isinstance(cccd, str) and CCCD.fullmatch(cccd) else None,
        )
        caller = refused.caller or Anonymous(request.client.host if request.client else "?")
        action = ACTION_OF.get(request.method, Action.EXECUTE)
        try:
            await self._record(caller, action, what, entry, Outcome.REFUSED, refused.reason)
        except Exception:  # the refusal is answered all the same: nothing was read or changed
            log.exception("a refused %s could not be recorded in the audit", what)

    async def _record(
        self,
        caller: Caller | Anonymous,
        action: Action,
        what: str,
        entry: Entry,
        outcome: Outcome,
        reason: str | None,
    ) -> None:
        event = audit_record(self.service, caller, action, what, entry, outcome, reason)
        key = str(event["subject"]).encode()
        await self.send(topics.RX_AUDIT.name, key, encode_bounded(event))


def audit_record(
    service: str,
    caller: Caller | Anonymous,
    action: Action,
    what: str,
    entry: Entry,
    outcome: Outcome = Outcome.SUCCESS,
    reason: str | None = None,
) -> dict[str, Any]:
    """The rx.audit event `service` publishes for what `caller` did."""
    audited = Audited(
        at=now(),
        service=service,
        caller_role=caller.role.value if isinstance(caller, Caller) else "anonymous",
        caller=caller.subject if isinstance(caller, Caller) else caller.address,
        action=action,
        what=what,
        outcome=outcome,
        reason_code=reason,
        prescription_id=entry.prescription_id,
        citizen_id=entry.citizen_id,
    )
    data = AuditRecorded(
        prescription_id=entry.prescription_id,
        citizen_id=entry.citizen_id,
        audit_event=audit_event(audited),
    )
    topics.check_write(service, topics.RX_AUDIT)
    subject = entry.prescription_id or entry.citizen_id or audited.caller
    return new_event(topics.RX_AUDIT, source=f"rxsim/{service}", subject=subject, data=data)
