"""What the tracker hands over when a call is over: a plain, immutable record (no ORM)."""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime

from calls.codes import Outcome


@dataclass(frozen=True)
class FinishedCall:
    server: str
    linkedid: str
    outcome: Outcome
    started_at: datetime
    ended_at: datetime
    caller_number: str = ""
    caller_name: str = ""
    line: str = ""
    answered_at: datetime | None = None
    left_queue_at: datetime | None = None   # when the caller left the last queue unanswered
    first_queue: str = ""
    final_queue: str = ""
    hold_seconds: int = 0
    talk_seconds: int | None = None
    answered_interface: str = ""
    answered_member: str = ""
    ticket_number: str = ""
    hotline: bool = True                     # False for outcome OTHER
    queue_uniqueid: str = ""                 # the channel that ran Queue(): queue_log's callid
    from_queue_log: bool = False             # the outcome is Asterisk's own record (queuelog reconcile)
    ivr_vars: dict[str, str] = field(default_factory=dict)

    def cleaned(self) -> FinishedCall:
        """Caller ids come from carriers and may carry NUL, escapes or line separators: PostgreSQL refuses NUL
        in text, so one such call would block the call log (issue 10.6). Non-printable characters go."""
        changes = {f.name: _printable(value) for f in fields(self)
                   if isinstance(value := getattr(self, f.name), str) and not value.isprintable()}
        if any(not (k.isprintable() and v.isprintable()) for k, v in self.ivr_vars.items()):
            changes["ivr_vars"] = {_printable(k): _printable(v) for k, v in self.ivr_vars.items()}
        return replace(self, **changes) if changes else self

    @property
    def missed_at(self) -> datetime:
        return self.left_queue_at or self.ended_at

    @property
    def waited_seconds(self) -> int:
        """Time the citizen spent waiting for a person: queue hold time, else the whole call."""
        if self.hold_seconds:
            return self.hold_seconds
        return max(0, round((self.missed_at - self.started_at).total_seconds()))


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable())
