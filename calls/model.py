"""One reading of a queued call (issue 10.0): the queue visits, read from the event stream once.

Every fact about a visit (joined, rang out, left, answered with Asterisk's hold time, abandoned,
QUEUESTATUS, the caller hanging up while queued, the queued channel gone) is written here and
nowhere else. The call log (calls/tracker.py), the live floor's figures (queues/service_level.py)
and everything reading them hold the same `QueueVisit` objects and judge them by the one rule in
calls/outcome.py, so they cannot disagree.

`QueueCalls.handle` takes each typed event once. In the engine `EventReading` is the single AMI
subscriber that feeds it and then the readers (the floor, the tracker, membership), each only
with the event names it reads; a reader built alone (tests, tools) feeds a model of its own.
"""
from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from calls.outcome import HANGUP_EVENTS, QueueVisit
from hotline.ami import events as ev
from hotline.ami.event_base import ChannelInfo

log = logging.getLogger(__name__)

KEEP = timedelta(hours=25)   # longer than the live window (24 h) and than any call the tracker follows

Key = tuple[str, str]        # (server, Uniqueid or Linkedid)


class QueueCalls:
    def __init__(self, clock: Callable[[], datetime], keep: timedelta = KEEP) -> None:
        self._clock = clock
        self._keep = keep
        self.by_channel: dict[Key, QueueVisit] = {}     # the queued channel's latest visit
        self.by_call: dict[Key, list[QueueVisit]] = {}  # a call's visits in order, by Linkedid
        self._order: deque[tuple[datetime, Key, Key, QueueVisit]] = deque()
        self.joined_listeners: list[Callable[[QueueVisit], None]] = []
        self.shared = False          # fed by an EventReading: its readers do not feed it again

    # --- the facts ---------------------------------------------------------------------------------
    def joined(self, queue: str, linkedid: str, uniqueid: str, server: str = "") -> QueueVisit:
        now = self._clock()
        call_key = (server, linkedid or uniqueid)
        visits = self.by_call.setdefault(call_key, [])
        if visits:
            visits[-1].note_next_visit(queue)
        visit = QueueVisit(queue, now, linkedid=linkedid or uniqueid, uniqueid=uniqueid)
        visits.append(visit)
        self.by_channel[(server, uniqueid)] = visit
        self._order.append((now, (server, uniqueid), call_key, visit))
        self._prune(now)
        for listener in self.joined_listeners:
            listener(visit)
        return visit

    def abandon_reported(self, uniqueid: str, hold_time: int | None, server: str = "") -> None:
        """QueueCallerAbandon: sent for an abandon and for a queue timeout alike (calls/outcome.py)."""
        visit = self.by_channel.get((server, uniqueid))
        if visit is not None and not visit.answered:
            visit.abandon_seen, visit.hold_seconds = True, hold_time

    def left(self, uniqueid: str, server: str = "") -> None:
        visit = self.by_channel.get((server, uniqueid))
        if visit is not None and visit.left_at is None:
            visit.left_at = self._clock()

    def answered(self, queue: str, uniqueid: str, hold_time: int | None, interface: str,
                 linkedid: str = "", server: str = "") -> QueueVisit | None:
        """AgentConnect: the call's latest visit of `queue` (by Linkedid, else the queued channel's)."""
        visit = next((v for v in reversed(self.by_call.get((server, linkedid), ())) if v.queue == queue), None)
        if visit is None:
            visit = self.by_channel.get((server, uniqueid))
            if visit is not None and visit.queue != queue:
                visit = None
        if visit is not None:
            visit.answered, visit.hold_seconds, visit.member = True, hold_time, interface
            visit.left_at = visit.left_at or self._clock()
        return visit

    def status(self, uniqueid: str, value: str, linkedid: str = "", server: str = "") -> None:
        """QUEUESTATUS, set by Queue() on the queued channel when it returns (after QueueCallerLeave)."""
        visit = self._visit_of(server, uniqueid, linkedid)
        if visit is not None and visit.left_at is not None:
            visit.status = value

    def hangup(self, uniqueid: str, linkedid: str, *, gone: bool, server: str = "") -> None:
        """A hangup (request) on the queued channel, or on the caller's own channel (Uniqueid ==
        Linkedid): while still queued and before QueueCallerAbandon, the caller hung up."""
        visit = self._visit_of(server, uniqueid, linkedid)
        if visit is None:
            return
        if visit.left_at is None and not visit.abandon_seen and not visit.answered:
            visit.caller_hung_up = True
        if gone and uniqueid == visit.uniqueid:
            visit.ended = True

    def _visit_of(self, server: str, uniqueid: str, linkedid: str) -> QueueVisit | None:
        visit = self.by_channel.get((server, uniqueid))
        if visit is None and uniqueid and uniqueid == linkedid:
            visits = self.by_call.get((server, linkedid))
            visit = visits[-1] if visits else None
        return visit

    def visits_of(self, server: str, linkedid: str) -> list[QueueVisit]:
        return self.by_call.get((server, linkedid), [])

    # --- the event stream -------------------------------------------------------------------------
    EVENTS = frozenset({"QueueCallerJoin", "QueueCallerAbandon", "QueueCallerLeave", "AgentConnect", "VarSet",
                        *HANGUP_EVENTS})

    def handle(self, event: ev.AmiEvent) -> None:
        """One typed event (any; those of EVENTS are read)."""
        name, server = event.name, event.server or ""
        if name in HANGUP_EVENTS:
            channel = getattr(event, "channel", None)
            if isinstance(channel, ChannelInfo):
                uniqueid, linkedid = channel.uniqueid, channel.linkedid
            elif event.headers is not None:
                uniqueid, linkedid = event.headers.get("Uniqueid", ""), event.headers.get("Linkedid", "")
            else:
                return
            if uniqueid:
                self.hangup(uniqueid, linkedid, gone=name == "Hangup", server=server)
        elif isinstance(event, ev.QueueCallerJoin):
            if event.channel is not None:
                self.joined(event.queue, event.channel.linkedid, event.channel.uniqueid, server)
        elif isinstance(event, ev.QueueCallerAbandon):
            self.abandon_reported(event.uniqueid, event.hold_time, server)
        elif isinstance(event, ev.QueueCallerLeave):
            self.left(event.uniqueid, server)
        elif isinstance(event, ev.AgentConnect):
            self.answered(event.queue, event.uniqueid, event.hold_time, event.interface, event.linkedid, server)
        elif isinstance(event, ev.VarSet):
            if event.variable.lstrip("_") == "QUEUESTATUS" and event.uniqueid:
                linkedid = event.channel.linkedid if event.channel is not None else ""
                self.status(event.uniqueid, event.value, linkedid, server)

    def _prune(self, now: datetime) -> None:
        cutoff = now - self._keep
        while self._order and self._order[0][0] < cutoff:
            _, channel_key, call_key, visit = self._order.popleft()
            if self.by_channel.get(channel_key) is visit:
                del self.by_channel[channel_key]
            visits = self.by_call.get(call_key)
            if visits and visits[0] is visit:
                visits.pop(0)
                if not visits:
                    del self.by_call[call_key]


class EventReading:
    """The one AMI subscriber for the queued calls: each event feeds the model once, then every
    reader that reads that event name (`reader.EVENTS`; None: all), in the order given."""

    def __init__(self, visits: QueueCalls, readers: Iterable) -> None:
        self.visits = visits
        visits.shared = True
        self._readers = list(readers)
        self._routes: dict[str, tuple[Callable, ...]] = {}
        self.errors = 0

    def _route(self, name: str) -> tuple[Callable, ...]:
        handlers = [self.visits.handle] if name in QueueCalls.EVENTS else []
        for reader in self._readers:
            names = getattr(reader, "EVENTS", None)
            if names is None or name in names:
                handlers.append(reader.handle)
        route = self._routes[name] = tuple(handlers)
        return route

    def handle(self, event: ev.AmiEvent) -> None:
        route = self._routes.get(event.name)
        if route is None:
            route = self._route(event.name)
        for handler in route:
            try:
                handler(event)
            except Exception:  # noqa: BLE001 - one reader's failure must not starve the others
                self.errors += 1
                log.exception("calls.reading_failed handler=%s event=%s", getattr(handler, "__qualname__", handler),
                              event.name)
