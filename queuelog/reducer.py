"""From queue_log records to per-call outcomes, as Asterisk counted them.

A call is keyed by the queue caller's Uniqueid (queue_log's callid), which stays the same
when the dialplan queues the caller again: an overflow from a dedicated queue to the pool
(EXITWITHTIMEOUT then ENTERQUEUE in the pool) and a blind transfer to a busy 120 that brings
the caller back (BLINDTRANSFER then ENTERQUEUE). Each Queue() run is a `Visit`; a visit that
timed out or found the queue empty and was followed by another visit *overflowed* (its own
outcome, not an abandon). The call's outcome: answered (or transferred, when its last answer
ended in a transfer) if any visit was answered, else the last visit's (abandoned, timeout,
exit_empty).

Whether a call is over cannot always be read from its last line: after EXITWITHTIMEOUT,
EXITEMPTY or a transfer the dialplan may queue the caller again. ABANDON and COMPLETECALLER /
COMPLETEAGENT end the call; the others settle once `settle_seconds` have passed without a new
visit. A call that changes after it was handed out (the 120 that was busy after a long ring)
is handed out again; the sink reconciles idempotently.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from queuelog.records import QueueLogRecord


class VisitOutcome(StrEnum):
    WAITING = "waiting"
    CONNECTED = "connected"          # answered, conversation not over yet
    ANSWERED = "answered"            # COMPLETECALLER / COMPLETEAGENT
    TRANSFERRED = "transferred"      # BLINDTRANSFER / ATTENDEDTRANSFER after an answer
    ABANDONED = "abandoned"          # ABANDON: the caller hung up while waiting
    TIMEOUT = "timeout"              # EXITWITHTIMEOUT
    EXIT_EMPTY = "exit_empty"        # EXITEMPTY (leavewhenempty)
    EXIT_KEY = "exit_key"            # EXITWITHKEY
    OVERFLOWED = "overflowed"        # timed out / empty, then queued again elsewhere


_FINAL_EVENTS = frozenset({"ABANDON", "COMPLETECALLER", "COMPLETEAGENT"})
_LEAVE_EVENTS = {"ABANDON": VisitOutcome.ABANDONED, "EXITWITHTIMEOUT": VisitOutcome.TIMEOUT,
                 "EXITEMPTY": VisitOutcome.EXIT_EMPTY}
_MISSED = (VisitOutcome.TIMEOUT, VisitOutcome.EXIT_EMPTY, VisitOutcome.EXIT_KEY)


@dataclass
class Visit:
    queue: str
    entered: int
    position: int = 0                # original position (ENTERQUEUE data3)
    outcome: VisitOutcome = VisitOutcome.WAITING
    left: int | None = None
    wait_seconds: int | None = None  # holdtime (CONNECT data1) or wait (ABANDON/EXIT* data3)
    talk_seconds: int | None = None
    agent: str = ""
    agent_uniqueid: str = ""         # CONNECT data2: the member channel's Uniqueid
    ring_no_answer: int = 0
    transfer_to: str = ""            # BLINDTRANSFER exten@context, ATTENDEDTRANSFER target


@dataclass
class CallOutcome:
    callid: str
    caller_number: str = ""
    visits: list[Visit] = field(default_factory=list)
    first_offset: int = -1
    last_time: int = 0
    final: bool = False              # ended by ABANDON or COMPLETE*: nothing can follow
    version: int = 0                 # bumped on every change; the reducer hands a call out per version

    @property
    def started(self) -> int:
        return self.visits[0].entered if self.visits else self.last_time

    @property
    def answered_visit(self) -> Visit | None:
        return next((v for v in reversed(self.visits)
                     if v.outcome in (VisitOutcome.CONNECTED, VisitOutcome.ANSWERED, VisitOutcome.TRANSFERRED)), None)

    @property
    def outcome(self) -> VisitOutcome:
        answered = self.answered_visit
        if answered is not None:
            if answered.outcome is VisitOutcome.TRANSFERRED and answered is self.visits[-1]:
                return VisitOutcome.TRANSFERRED
            return VisitOutcome.ANSWERED if answered.outcome is not VisitOutcome.CONNECTED else VisitOutcome.CONNECTED
        return self.visits[-1].outcome if self.visits else VisitOutcome.WAITING

    @property
    def closed(self) -> bool:
        return bool(self.visits) and self.visits[-1].outcome not in (VisitOutcome.WAITING, VisitOutcome.CONNECTED)

    @property
    def wait_seconds(self) -> int:
        """Time spent waiting for an agent over all visits (Asterisk's own holdtime / wait)."""
        return sum(v.wait_seconds or 0 for v in self.visits)

    @property
    def talk_seconds(self) -> int | None:
        talks = [v.talk_seconds for v in self.visits if v.talk_seconds is not None]
        return sum(talks) if talks else None

    @property
    def agent(self) -> str:
        answered = self.answered_visit
        return answered.agent if answered else ""

    @property
    def answered_at(self) -> int | None:
        answered = next((v for v in self.visits if v.agent_uniqueid), None)
        return None if answered is None else answered.entered + (answered.wait_seconds or 0)

    @property
    def ended(self) -> int:
        last = self.visits[-1] if self.visits else None
        return last.left if last is not None and last.left is not None else self.last_time

    @property
    def first_queue(self) -> str:
        return self.visits[0].queue if self.visits else ""

    @property
    def final_queue(self) -> str:
        return self.visits[-1].queue if self.visits else ""


class QueueLogReducer:
    """Feed records in log order; `settled(now)` hands out calls whose outcome is known."""

    def __init__(self, settle_seconds: int = 5, keep_seconds: int = 3600) -> None:
        self.settle_seconds = settle_seconds
        self.keep_seconds = keep_seconds
        self.calls: OrderedDict[str, CallOutcome] = OrderedDict()
        self._handed: dict[str, int] = {}
        self.latest = 0
        self.records = 0
        self.orphans = 0             # call events of a call whose ENTERQUEUE was never seen

    def feed(self, records: Iterable[QueueLogRecord]) -> None:
        for record in records:
            self.records += 1
            self.latest = max(self.latest, record.time)
            handler = _HANDLERS.get(record.event)
            if handler is not None:
                handler(self, record)

    # --- event handlers ----------------------------------------------------------------------
    def _enter(self, r: QueueLogRecord) -> None:
        call = self.calls.get(r.callid)
        if call is None:
            call = self.calls[r.callid] = CallOutcome(r.callid, first_offset=r.offset)
        else:
            self.calls.move_to_end(r.callid)
            last = call.visits[-1] if call.visits else None
            if last is not None and last.outcome in _MISSED:
                last.outcome = VisitOutcome.OVERFLOWED
            call.final = False
        call.caller_number = call.caller_number or r.field(2)
        call.visits.append(Visit(r.queue, r.time, position=r.number(3)))
        self._touch(call, r)

    def _visit(self, r: QueueLogRecord) -> tuple[CallOutcome, Visit] | None:
        call = self.calls.get(r.callid)
        if call is None or not call.visits:
            self.orphans += 1
            return None
        visit = next((v for v in reversed(call.visits) if v.queue == r.queue), call.visits[-1])
        return call, visit

    def _connect(self, r: QueueLogRecord) -> None:
        found = self._visit(r)
        if found:
            call, visit = found
            visit.outcome, visit.agent = VisitOutcome.CONNECTED, r.agent
            visit.wait_seconds, visit.agent_uniqueid = r.number(1), r.field(2)
            self._touch(call, r)

    def _complete(self, r: QueueLogRecord) -> None:
        found = self._visit(r)
        if found:
            call, visit = found
            visit.outcome, visit.left = VisitOutcome.ANSWERED, r.time
            visit.agent = visit.agent or r.agent
            visit.wait_seconds, visit.talk_seconds = r.number(1), r.number(2)
            call.final = True
            self._touch(call, r)

    def _transfer(self, r: QueueLogRecord) -> None:
        found = self._visit(r)
        if found:
            call, visit = found
            hold, talk = r.data[-3:-1] if len(r.data) >= 3 else ("0", "0")
            visit.outcome, visit.left = VisitOutcome.TRANSFERRED, r.time
            visit.agent = visit.agent or r.agent
            visit.wait_seconds, visit.talk_seconds = _int(hold), _int(talk)
            visit.transfer_to = (f"{r.field(1)}@{r.field(2)}" if r.event == "BLINDTRANSFER"
                                 else "|".join(r.data[:-3]))
            self._touch(call, r)

    def _leave(self, r: QueueLogRecord) -> None:
        found = self._visit(r)
        if found:
            call, visit = found
            if r.event == "EXITWITHKEY":
                visit.outcome, visit.wait_seconds = VisitOutcome.EXIT_KEY, r.number(4)
            else:
                visit.outcome, visit.wait_seconds = _LEAVE_EVENTS[r.event], r.number(3)
            visit.left = r.time
            call.final = r.event in _FINAL_EVENTS
            self._touch(call, r)

    def _ring_no_answer(self, r: QueueLogRecord) -> None:
        found = self._visit(r)
        if found:
            found[1].ring_no_answer += 1
            self._touch(found[0], r)

    def _touch(self, call: CallOutcome, r: QueueLogRecord) -> None:
        call.last_time = max(call.last_time, r.time)
        call.version += 1

    # --- handing out -------------------------------------------------------------------------
    def is_settled(self, call: CallOutcome, now: int) -> bool:
        return call.closed and (call.final or now - call.last_time >= self.settle_seconds)

    def settled(self, now: int | None = None) -> list[CallOutcome]:
        """Calls settled and not handed out in their current version, oldest first. `now`: epoch
        seconds (the later of the log's latest line and the wall clock). Mark them with `handed`
        once the sink took them, so a failing sink gets them again."""
        now = max(self.latest, now or 0)
        out = [call for callid, call in self.calls.items()
               if self._handed.get(callid) != call.version and self.is_settled(call, now)]
        self._forget(now)
        return out

    def handed(self, calls: Iterable[CallOutcome], versions: dict[str, int] | None = None) -> None:
        for call in calls:
            self._handed[call.callid] = (versions or {}).get(call.callid, call.version)

    def settling(self) -> int:
        """Calls over but not yet settled (a timeout an overflow may still follow)."""
        return sum(1 for c in self.calls.values()
                   if c.closed and not c.final and self._handed.get(c.callid) != c.version)

    def safe_offset(self, end_offset: int) -> int:
        """Where a restart must read from so no unsettled call loses its first lines."""
        pending = [c.first_offset for c in self.calls.values()
                   if self._handed.get(c.callid) != c.version and c.first_offset >= 0]
        return min(pending, default=end_offset)

    def _forget(self, now: int) -> None:
        while self.calls:
            callid, call = next(iter(self.calls.items()))
            if now - call.last_time < self.keep_seconds or self._handed.get(callid) != call.version:
                break
            del self.calls[callid]
            self._handed.pop(callid, None)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


_HANDLERS = {
    "ENTERQUEUE": QueueLogReducer._enter,
    "CONNECT": QueueLogReducer._connect,
    "COMPLETECALLER": QueueLogReducer._complete,
    "COMPLETEAGENT": QueueLogReducer._complete,
    "BLINDTRANSFER": QueueLogReducer._transfer,
    "ATTENDEDTRANSFER": QueueLogReducer._transfer,
    "ABANDON": QueueLogReducer._leave,
    "EXITWITHTIMEOUT": QueueLogReducer._leave,
    "EXITEMPTY": QueueLogReducer._leave,
    "EXITWITHKEY": QueueLogReducer._leave,
    "RINGNOANSWER": QueueLogReducer._ring_no_answer,
}
