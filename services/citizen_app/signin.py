"""The simulated VNeID sign-in: the app asks for a one-time code, VNeID sends it to the phone
registered for the CCCD (here: shows it in the answer, this being a simulator), and the code,
used once, is exchanged for a citizen's token bound to that CCCD. Plain data and functions of
the time given, so the rules are tested without a server: a code lasts 5 minutes, a new one
replaces the old, it is void once used or after 5 wrong tries."""

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rxsim.domain.reasons import Reason
from rxsim.messaging.due import DueIndex

CODE_LIFETIME = timedelta(minutes=5)
MAX_ATTEMPTS = 5


class CodeRefused(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.meaning)
        self.reason = reason


@dataclass
class Pending:
    code: str
    expires_at: datetime
    attempts_left: int = MAX_ATTEMPTS


@dataclass
class SignIn:
    """The one-time codes sent and not yet used, by CCCD, in memory (a restarted app forgets
    them: the citizen asks for a new code). A code expired and never used is dropped as new
    ones are sent, so this holds the codes of the last CODE_LIFETIME, not of every CCCD ever
    asked for."""

    pending: dict[str, Pending] = field(default_factory=dict)
    _expiring: DueIndex[str] = field(default_factory=DueIndex, repr=False)  # CCCDs by when

    def send_code(self, cccd: str, now: datetime) -> Pending:
        """A new 6-digit code for `cccd`, replacing any earlier one."""
        for expired in self._expiring.due(now):
            self.pending.pop(expired, None)
        sent = Pending(f"{secrets.randbelow(10**6):06d}", now + CODE_LIFETIME)
        self.pending[cccd] = sent
        self._expiring.set(cccd, sent.expires_at)
        return sent

    def redeem(self, cccd: str, code: str, now: datetime) -> None:
        """Use the code sent to `cccd`: it is void afterwards, whether it was right or not
        (after MAX_ATTEMPTS wrong ones). Raises CodeRefused with the reason."""
        sent = self.pending.get(cccd)
        if sent is None:
            raise CodeRefused(Reason.CODE_NOT_SENT)
        if now >= sent.expires_at:
            del self.pending[cccd]
            raise CodeRefused(Reason.CODE_EXPIRED)
        if not hmac.compare_digest(sent.code.encode(), code.encode()):
            sent.attempts_left -= 1
            if sent.attempts_left > 0:
                raise CodeRefused(Reason.CODE_WRONG)
            del self.pending[cccd]
            raise CodeRefused(Reason.CODE_ATTEMPTS_EXCEEDED)
        del self.pending[cccd]
