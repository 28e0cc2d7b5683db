"""How one queue visit ends and how long a caller waited: the definitions the call log, the live
floor and the figures share, so each is written once (docs/metrics.md).

Pure: facts in (what Asterisk reported about the visit), a verdict out. The readers (calls/tracker.py,
queues/live.py) only gather the facts from the event stream.

Asterisk sends QueueCallerAbandon both when the caller hangs up and when Queue() gives up (traces
02b/02c); what tells them apart is whether the caller's side hung up before it (02b: a hangup
request on the queued channel) or the dialplan then reads QUEUESTATUS=TIMEOUT (02c). A visit that
ended unanswered without the caller hanging up and is followed by a visit to another queue of the
same call is an overflow (a dedicated line's wait ran out and the call went on to the pool).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

NO_AGENT_STATUSES = frozenset({"FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL"})
HANGUP_EVENTS = frozenset({"Hangup", "HangupRequest", "SoftHangupRequest"})


class VisitOutcome(StrEnum):
    ANSWERED = "answered"        # AgentConnect in this queue
    ABANDONED = "abandoned"      # the caller hung up while queued (or ringing an agent)
    TIMEOUT = "timeout"          # Queue() gave up (QUEUESTATUS=TIMEOUT) and the call went no further
    NO_AGENT = "no_agent"        # the queue dropped the caller (LEAVEEMPTY, ...)
    OVERFLOWED = "overflowed"    # left unanswered, without hanging up, for another queue of the call


@dataclass
class QueueVisit:
    """One stay of a call in one queue, as Asterisk reported it."""

    queue: str
    joined_at: datetime
    left_at: datetime | None = None
    hold_seconds: int | None = None    # Asterisk's HoldTime (AgentConnect / QueueCallerAbandon)
    answered: bool = False
    abandon_seen: bool = False         # QueueCallerAbandon: sent for abandons and timeouts alike
    caller_hung_up: bool = False       # a caller-side channel hung up while still queued
    status: str = ""                   # QUEUESTATUS set after this visit
    overflowed_to: str = ""            # the queue the call joined next, having left this one unanswered
    member: str = ""                   # the interface that answered
    linkedid: str = ""                 # the call
    uniqueid: str = ""                 # the queued channel
    ended: bool = False                # the queued channel is gone: an undecided visit is decided

    def note_next_visit(self, queue: str) -> None:
        """The same call joined `queue` after this visit: an overflow unless answered or hung up."""
        if not self.answered and not self.caller_hung_up and queue != self.queue:
            self.overflowed_to = queue


def visit_outcome(visit: QueueVisit, *, call_over: bool) -> VisitOutcome | None:
    """None while undecided: an unanswered visit with no hangup and no QUEUESTATUS yet, in a call
    still going (the timeout's QUEUESTATUS arrives after QueueCallerLeave)."""
    if visit.answered:
        return VisitOutcome.ANSWERED
    if visit.caller_hung_up:
        return VisitOutcome.ABANDONED
    if visit.overflowed_to:
        return VisitOutcome.OVERFLOWED
    if visit.status == "TIMEOUT":
        return VisitOutcome.TIMEOUT
    if visit.status in NO_AGENT_STATUSES:
        return VisitOutcome.NO_AGENT
    if call_over:
        return VisitOutcome.ABANDONED
    return None


def answered_wait(visits: Sequence[QueueVisit]) -> int | None:
    """A call's wait before a person answered, in Asterisk's own hold times: every visit up to and
    including the answered one (an overflow's wait in the dedicated queue counts). None if unanswered."""
    total = 0
    for visit in visits:
        total += visit.hold_seconds or 0
        if visit.answered:
            return total
    return None
