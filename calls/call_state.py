"""The state of one call in flight and the rule that turns it into an outcome.

The outcome is decided once, when the call is over, from facts gathered on the way (queue
visits, QUEUESTATUS, DIALSTATUS, HOTLINE_* variables), because the events that tell an abandon
from a queue timeout arrive in either order: both send QueueCallerAbandon, only a timeout is
followed by QUEUESTATUS=TIMEOUT (traces 02b/02c). The visits are the queued calls' model's
(calls/model.py, the same objects the live floor counts); how a visit ends is calls/outcome.py's rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from calls.codes import Outcome
from calls.finished import FinishedCall
from calls.outcome import NO_AGENT_STATUSES, QueueVisit, VisitOutcome, visit_outcome

__all__ = ["CallState", "QueueVisit"]

UNKNOWN_IDS = frozenset({"", "<unknown>", "unknown", "anonymous", "Anonymous"})


@dataclass
class CallState:
    server: str
    linkedid: str
    started_at: datetime
    live: set[str] = field(default_factory=set)            # uniqueids of channels still up
    gone: set[str] = field(default_factory=set)
    caller_side: set[str] = field(default_factory=set)     # root, its Local partner, queued channels
    root_name: str = ""
    root_context: str = ""
    root_exten: str = ""
    caller_number: str = ""
    caller_name: str = ""
    variables: dict[str, str] = field(default_factory=dict)  # HOTLINE_* and *STATUS, last value wins
    visits: list[QueueVisit] = field(default_factory=list)   # the model's visits (calls/model.py)
    answered_at: datetime | None = None
    answered_via: str = ""                                  # "queue" | "dial"
    answered_interface: str = ""
    answered_member: str = ""
    talk_seconds: int | None = None
    dial_status: str = ""
    queue_uniqueid: str = ""                                # the channel that ran Queue() (queue_log callid)
    partner_uniqueid: str = ""                              # the root's Local `;2` half, if any

    def set_caller(self, number: str, name: str) -> None:
        if number not in UNKNOWN_IDS:
            self.caller_number = number
        if name not in UNKNOWN_IDS:
            self.caller_name = name

    def outcome(self, hotline_contexts: frozenset[str]) -> Outcome:
        v = self.variables
        action = v.get("HOTLINE_ACTION", "")
        if v.get("HOTLINE_CALLBACK_CID") or v.get("HOTLINE_SURVEY_JOB"):
            return Outcome.OTHER  # a call out (回访/漏接回拨 click-to-call, 语音回访), not a citizen's call in
        if self.answered_via == "queue":
            return Outcome.ANSWERED
        if self.visits:
            return _CALL_OUTCOME[visit_outcome(self.visits[-1], call_over=True)]
        if action == "emergency" or v.get("HOTLINE_EMERGENCY"):
            return Outcome.EMERGENCY
        if action == "subcenter":
            if self.answered_via == "dial":
                return Outcome.SUBCENTER
            return Outcome.ABANDONED if self.dial_status in ("CANCEL", "") else Outcome.FAILED
        if self.answered_via == "dial":
            return Outcome.ANSWERED
        if v.get("QUEUESTATUS") in NO_AGENT_STATUSES:
            return Outcome.NO_AGENT
        if self.is_hotline(hotline_contexts):
            return Outcome.IVR_HANGUP
        return Outcome.OTHER

    def is_hotline(self, hotline_contexts: frozenset[str]) -> bool:
        return bool(self.visits or any(k.startswith("HOTLINE_") for k in self.variables)
                    or self.root_context in hotline_contexts)

    def finish(self, ended_at: datetime, hotline_contexts: frozenset[str],
               outcome: Outcome | None = None) -> FinishedCall:
        outcome = outcome or self.outcome(hotline_contexts)
        queues = [visit.queue for visit in self.visits]
        holds = [visit.hold_seconds if visit.hold_seconds is not None
                 else round(((visit.left_at or ended_at) - visit.joined_at).total_seconds())
                 for visit in self.visits]
        last = self.visits[-1] if self.visits else None
        left_at = last.left_at if last is not None and not last.answered else None
        return FinishedCall(
            server=self.server, linkedid=self.linkedid, outcome=outcome, started_at=self.started_at,
            ended_at=ended_at, caller_number=self.caller_number, caller_name=self.caller_name,
            line=self.variables.get("HOTLINE_LINE") or self.root_exten, answered_at=self.answered_at,
            left_queue_at=left_at, first_queue=queues[0] if queues else "",
            final_queue=queues[-1] if queues else "", hold_seconds=max(0, sum(holds)),
            talk_seconds=self.talk_seconds, answered_interface=self.answered_interface,
            answered_member=self.answered_member, ticket_number=self.variables.get("HOTLINE_TICKET", ""),
            hotline=outcome is not Outcome.OTHER,
            queue_uniqueid=self.queue_uniqueid or self.partner_uniqueid or self.linkedid,
            ivr_vars={k: val for k, val in self.variables.items() if k.startswith("HOTLINE_")})


_CALL_OUTCOME = {VisitOutcome.ANSWERED: Outcome.ANSWERED, VisitOutcome.ABANDONED: Outcome.ABANDONED,
                 VisitOutcome.TIMEOUT: Outcome.TIMEOUT, VisitOutcome.NO_AGENT: Outcome.NO_AGENT,
                 VisitOutcome.OVERFLOWED: Outcome.ABANDONED}
"""The call's outcome is its last visit's (a last visit is never an overflow: nothing followed it)."""
