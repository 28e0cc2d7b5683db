"""The state of one call in flight and the rule that turns it into an outcome.

The outcome is decided once, when the call is over, from facts gathered on the way (queue
visits, QUEUESTATUS, DIALSTATUS, HOTLINE_* variables), because the events that tell an abandon
from a queue timeout arrive in either order: both send QueueCallerAbandon, only a timeout is
followed by QUEUESTATUS=TIMEOUT (traces 02b/02c).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from calls.codes import Outcome
from calls.finished import FinishedCall

NO_AGENT_STATUSES = frozenset({"FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL"})
UNKNOWN_IDS = frozenset({"", "<unknown>", "unknown", "anonymous", "Anonymous"})


@dataclass
class QueueVisit:
    queue: str
    joined_at: datetime
    left_at: datetime | None = None
    hold_seconds: int | None = None
    answered: bool = False
    abandon_seen: bool = False
    caller_hung_up: bool = False       # a caller-side channel hung up while still queued
    status: str = ""                   # QUEUESTATUS set after this visit


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
    visits: list[QueueVisit] = field(default_factory=list)
    answered_at: datetime | None = None
    answered_via: str = ""                                  # "queue" | "dial"
    answered_interface: str = ""
    answered_member: str = ""
    talk_seconds: int | None = None
    dial_status: str = ""

    def open_visit(self) -> QueueVisit | None:
        return next((v for v in reversed(self.visits) if v.left_at is None), None)

    def set_caller(self, number: str, name: str) -> None:
        if number not in UNKNOWN_IDS:
            self.caller_number = number
        if name not in UNKNOWN_IDS:
            self.caller_name = name

    def outcome(self, hotline_contexts: frozenset[str]) -> Outcome:
        v = self.variables
        action = v.get("HOTLINE_ACTION", "")
        if self.answered_via == "queue":
            return Outcome.ANSWERED
        if self.visits:
            last = self.visits[-1]
            if last.answered:
                return Outcome.ANSWERED
            if last.caller_hung_up:
                return Outcome.ABANDONED
            if last.status == "TIMEOUT":
                return Outcome.TIMEOUT
            if last.status in NO_AGENT_STATUSES:
                return Outcome.NO_AGENT
            return Outcome.ABANDONED
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
            ivr_vars={k: val for k, val in self.variables.items() if k.startswith("HOTLINE_")})
