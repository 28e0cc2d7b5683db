"""The live floor: callers waiting and agents, projected from AMI events, rebuilt on (re)connect.

Nothing here is assumed: state changes only on what Asterisk reports, and after every
(re)connect the part that belongs to that Asterisk is thrown away and rebuilt from
QueueStatus, so a dropped connection never leaves a stale caller or agent on the wallboard.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hotline.ami import events as ev
from hotline.ami.events import to_event
from calls.model import QueueCalls
from calls.outcome import HANGUP_EVENTS
from queues.service_level import ServiceLevel

log = logging.getLogger(__name__)

# Asterisk device states (QueueMember/QueueMemberStatus `Status`)
DEVICE_NOT_INUSE, DEVICE_INUSE, DEVICE_BUSY, DEVICE_INVALID, DEVICE_UNAVAILABLE = 1, 2, 3, 4, 5
DEVICE_RINGING, DEVICE_RINGINUSE, DEVICE_ONHOLD = 6, 7, 8
DEVICE_ON_A_CALL = (DEVICE_INUSE, DEVICE_BUSY, DEVICE_RINGINUSE, DEVICE_ONHOLD)


@dataclass
class WaitingCaller:
    server: str
    queue: str
    uniqueid: str
    linkedid: str
    channel: str
    caller_num: str
    caller_name: str
    joined_at: datetime
    position: int | None = None


@dataclass
class Membership:
    """The member as one queue reports it: app_queue keeps pause and InCall per queue."""

    paused: bool = False
    paused_reason: str = ""
    in_call: bool = False


@dataclass
class AgentState:
    """An agent (one interface) across its queues. Busy in one queue means busy in all: talking and
    ringing are read from every membership, never from the last event's queue alone."""

    server: str
    interface: str
    name: str
    memberships: dict[str, Membership] = field(default_factory=dict)
    device_status: int = DEVICE_NOT_INUSE
    ringing_for: dict[str, str] = field(default_factory=dict)   # queued caller's Uniqueid -> queue
    talking: dict[str, str] = field(default_factory=dict)       # queue -> Linkedid (AgentConnect..Complete)
    since: datetime | None = None
    calls_taken: int = 0  # Asterisk's CallsTaken: restarts when the member is re-added, not shown as a figure

    @property
    def queues(self) -> set[str]:
        return set(self.memberships)

    @property
    def in_call(self) -> bool:
        return bool(self.talking) or any(m.in_call for m in self.memberships.values())

    @property
    def ringing(self) -> bool:
        """Rung by a queue, or its phone ringing (a direct call): app_queue skips a RINGING
        member as it skips an INUSE one (ringinuse=no)."""
        return bool(self.ringing_for) or self.device_status == DEVICE_RINGING

    @property
    def paused(self) -> bool:
        return bool(self.memberships) and all(m.paused for m in self.memberships.values())

    @property
    def paused_reason(self) -> str:
        return next((m.paused_reason for m in self.memberships.values() if m.paused and m.paused_reason), "")

    @property
    def talking_to(self) -> str:
        return next(iter(self.talking.values()), "")

    @property
    def state(self) -> str:
        """One word for the wallboard: talking, ringing, paused, unavailable, idle."""
        if self.in_call or self.device_status in DEVICE_ON_A_CALL:
            return "talking"  # a phone in use outside the queue is not offered a caller (ringinuse=no)
        if self.ringing:
            return "ringing"
        if self.paused:
            return "paused"
        if self.device_status in (DEVICE_INVALID, DEVICE_UNAVAILABLE):
            return "unavailable"
        return "idle"

    @property
    def available(self) -> bool:
        return self.state == "idle"

    def state_in(self, queue: str) -> str:
        """The word for one queue's row: talking and ringing count everywhere, a pause only where set."""
        membership = self.memberships.get(queue)
        if self.busy or membership is None:
            return self.state
        if membership.paused:
            return "paused"
        return "unavailable" if self.device_status in (DEVICE_INVALID, DEVICE_UNAVAILABLE) else "idle"

    def available_in(self, queue: str) -> bool:
        """Free to take a call of `queue`: a member there, not paused there, not busy anywhere."""
        membership = self.memberships.get(queue)
        if membership is None or membership.paused or self.busy:
            return False
        return self.device_status not in (DEVICE_INVALID, DEVICE_UNAVAILABLE)

    def accepts_in(self, queue: str) -> bool:
        """Counts for strict joinempty (paused,unavailable,invalid): a member there, not paused there,
        reachable; busy members count (the caller waits for them)."""
        membership = self.memberships.get(queue)
        return (membership is not None and not membership.paused
                and self.device_status not in (DEVICE_INVALID, DEVICE_UNAVAILABLE))

    @property
    def busy(self) -> bool:
        """Talking or ringing anywhere, or its phone in use outside the queues (ringinuse=no)."""
        return self.in_call or self.ringing or self.device_status in DEVICE_ON_A_CALL


class LiveFloor:
    """A reader of the event stream for callers waiting and agents; how a queue visit went is the
    queued calls' model (calls/model.py), which its service level reads."""

    EVENTS = frozenset({*HANGUP_EVENTS, "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon",
                        "AgentCalled", "AgentRingNoAnswer", "AgentConnect", "AgentComplete", "QueueMemberAdded",
                        "QueueMemberPause", "QueueMemberStatus", "QueueMemberRemoved", "AmiClientDisconnected",
                        "AmiClientReady"})
    """The event names it reads (calls.model.EventReading routes only these to it)."""

    def __init__(self, clock: Callable[[], datetime], service_level: ServiceLevel | None = None,
                 visits: QueueCalls | None = None) -> None:
        self._clock = clock
        self.callers: dict[str, WaitingCaller] = {}          # uniqueid -> caller
        self.agents: dict[tuple[str, str], AgentState] = {}  # (server, interface) -> agent
        self.service_level = service_level or ServiceLevel(clock, visits=visits)
        self.listeners: list[Callable[[str, object], None]] = []
        self.resyncs = 0

    # --- queries -------------------------------------------------------------------------------
    def waiting(self, queue: str | None = None) -> list[WaitingCaller]:
        found = [c for c in self.callers.values() if queue is None or c.queue == queue]
        return sorted(found, key=lambda c: (c.queue, c.position or 0, c.joined_at))

    def available_agents(self, queue: str) -> int:
        return sum(1 for a in self.agents.values() if a.available_in(queue))

    def accepts_callers(self, queue: str) -> bool:
        """Whether a strict-joinempty queue (paused,unavailable,invalid) lets a caller join: app_queue's
        get_member_status finds a member that is neither paused nor unavailable/invalid."""
        return any(a.accepts_in(queue) for a in self.agents.values())

    def callers_ahead(self, queue: str, since: datetime) -> int:
        """Callers already waiting in `queue` who joined before `since` (a call's start)."""
        return sum(1 for c in self.callers.values() if c.queue == queue and c.joined_at <= since)

    def longest_wait(self, queue: str | None = None) -> float:
        now = self._clock()
        waits = [(now - c.joined_at).total_seconds() for c in self.waiting(queue)]
        return max(waits, default=0.0)

    def answered_by(self, agent: AgentState) -> int:
        """Calls this agent answered in the last 24 h, from our own AgentConnect records."""
        return self.service_level.agent_answered(agent.server, agent.interface)

    # --- event projection ------------------------------------------------------------------------
    def handle(self, event: ev.AmiEvent) -> None:
        """Subscriber entry point (typed events from hotline.ami)."""
        visits = self.service_level.visits
        if not visits.shared:   # alone: it feeds its own model; in the engine EventReading does, once
            visits.handle(event)
        if event.name in HANGUP_EVENTS:
            return
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is not None:
            handler(event)
            self._notify(type(event).__name__, event)

    def _notify(self, kind: str, payload: object) -> None:
        for listener in list(self.listeners):
            listener(kind, payload)

    def _server(self, event: ev.AmiEvent) -> str:
        return event.server or ""

    def _known(self, event, interface: str) -> AgentState | None:
        """Call events (AgentCalled...) only update an agent a membership event put on the floor:
        a member removed mid-call must not come back with its AgentComplete."""
        return self.agents.get((self._server(event), interface))

    def _changed(self, agent: AgentState, before: str) -> None:
        if agent.state != before:
            agent.since = self._clock()

    def _on_QueueCallerJoin(self, e: ev.QueueCallerJoin) -> None:
        c = e.channel
        if c is None:
            return
        self.callers[c.uniqueid] = WaitingCaller(self._server(e), e.queue, c.uniqueid, c.linkedid, c.channel,
                                                 c.caller_id_num, c.caller_id_name, self._clock(), e.position)

    def _stop_ringing_for(self, uniqueid: str) -> None:
        """The caller is out of the queue: no agent is still being rung for it (trace 02b: the
        caller hung up while the agent's phone rang and no AgentRingNoAnswer ever came)."""
        for agent in self.agents.values():
            if uniqueid in agent.ringing_for:
                before = agent.state
                del agent.ringing_for[uniqueid]
                self._changed(agent, before)

    def _on_QueueCallerLeave(self, e: ev.QueueCallerLeave) -> None:
        self.callers.pop(e.uniqueid, None)
        self._stop_ringing_for(e.uniqueid)

    def _on_QueueCallerAbandon(self, e: ev.QueueCallerAbandon) -> None:
        self.callers.pop(e.uniqueid, None)
        self._stop_ringing_for(e.uniqueid)

    def _on_AgentCalled(self, e: ev.AgentCalled) -> None:
        """Asterisk rings only a member of `queue`: a static member not yet seen is added here."""
        key = (self._server(e), e.interface)
        agent = self.agents.get(key)
        if agent is None:
            agent = self.agents[key] = AgentState(key[0], e.interface, e.member_name or e.interface,
                                                  since=self._clock())
        agent.memberships.setdefault(e.queue, Membership())
        before = agent.state
        agent.ringing_for[e.uniqueid] = e.queue
        self._changed(agent, before)

    def _on_AgentRingNoAnswer(self, e: ev.AgentRingNoAnswer) -> None:
        agent = self._known(e, e.interface)
        if agent is not None:
            before = agent.state
            agent.ringing_for.pop(e.uniqueid, None)
            self._changed(agent, before)

    def _on_AgentConnect(self, e: ev.AgentConnect) -> None:
        self.service_level.agent_connected((self._server(e), e.interface))
        agent = self._known(e, e.interface)
        if agent is None:
            return
        before = agent.state
        agent.ringing_for.pop(e.uniqueid, None)
        agent.talking[e.queue] = e.linkedid
        if e.queue in agent.memberships:
            agent.memberships[e.queue].in_call = True
        self._changed(agent, before)

    def _on_AgentComplete(self, e: ev.AgentComplete) -> None:
        """Matched by queue and member: Asterisk 22 may send it without the caller's channel fields."""
        agent = self._known(e, e.interface)
        if agent is None:
            return
        before = agent.state
        agent.talking.pop(e.queue, None)
        if e.queue in agent.memberships:
            agent.memberships[e.queue].in_call = False
        self._changed(agent, before)

    def _member(self, e: ev._MemberEvent) -> AgentState:
        key = (self._server(e), e.interface)
        agent = self.agents.get(key)
        if agent is None:
            agent = self.agents[key] = AgentState(key[0], e.interface, e.member_name or e.interface,
                                                  since=self._clock())
        elif e.member_name:
            agent.name = e.member_name
        before = agent.state
        membership = agent.memberships.setdefault(e.queue, Membership())
        if e.paused is not None:
            membership.paused = e.paused
            membership.paused_reason = e.paused_reason if e.paused else ""
        if e.status is not None:
            agent.device_status = e.status
        if e.in_call is not None:
            membership.in_call = e.in_call      # this queue's InCall only (app_queue.c keeps it per queue)
            if not e.in_call:
                agent.talking.pop(e.queue, None)
        if e.calls_taken is not None:
            agent.calls_taken = e.calls_taken
        self._changed(agent, before)
        return agent

    def _on_QueueMemberAdded(self, e: ev.QueueMemberAdded) -> None:
        self._member(e)

    def _on_QueueMemberPause(self, e: ev.QueueMemberPause) -> None:
        self._member(e)

    def _on_QueueMemberStatus(self, e: ev.QueueMemberStatus) -> None:
        self._member(e)

    def _on_QueueMemberRemoved(self, e: ev.QueueMemberRemoved) -> None:
        key = (self._server(e), e.interface)
        agent = self.agents.get(key)
        if agent is not None:
            agent.memberships.pop(e.queue, None)
            agent.talking.pop(e.queue, None)
            for uniqueid, queue in list(agent.ringing_for.items()):
                if queue == e.queue:
                    del agent.ringing_for[uniqueid]
            if not agent.memberships:
                del self.agents[key]

    def _on_AmiClientDisconnected(self, e: ev.AmiClientDisconnected) -> None:
        log.warning("AMI %s disconnected: its live state is stale until the resync", e.server)

    # --- resync ------------------------------------------------------------------------------------
    async def resync(self, session) -> None:
        """on_connected hook: drop what we knew about this server and rebuild from QueueStatus."""
        server = session.server
        response = await session.send("QueueStatus")
        items = [to_event(m) for m in response.items]
        now = self._clock()
        self.callers = {k: c for k, c in self.callers.items() if c.server != server}
        self.agents = {k: a for k, a in self.agents.items() if a.server != server}
        for item in items:
            if isinstance(item, ev.QueueMember):
                key = (server, item.interface)
                agent = self.agents.get(key) or AgentState(server, item.interface, item.member_name or item.interface,
                                                           since=now)
                agent.memberships[item.queue] = Membership(bool(item.paused),
                                                           item.paused_reason if item.paused else "",
                                                           bool(item.in_call))
                agent.device_status = item.status or DEVICE_NOT_INUSE
                agent.calls_taken = item.calls_taken or 0
                self.agents[key] = agent
            elif isinstance(item, ev.QueueEntry):
                self.callers[item.uniqueid] = WaitingCaller(
                    server, item.queue, item.uniqueid, "", item.channel, item.caller_id_num, item.caller_id_name,
                    now - timedelta(seconds=item.wait or 0), item.position)
        self.resyncs += 1
        self._notify("resync", server)

    # --- wallboard snapshot -------------------------------------------------------------------------
    def snapshot(self, mask: Callable[[str], str] = lambda n: n) -> dict:
        now = self._clock()
        queues: dict[str, dict] = {}
        for agent in self.agents.values():
            for q in agent.queues:
                queues.setdefault(q, {"waiting": 0, "longest_wait": 0.0, "agents": {}})
        for caller in self.callers.values():
            queues.setdefault(caller.queue, {"waiting": 0, "longest_wait": 0.0, "agents": {}})
        for name, q in queues.items():
            q["waiting"] = len(self.waiting(name))
            q["longest_wait"] = round(self.longest_wait(name), 1)
            states: dict[str, int] = {}
            for agent in self.agents.values():
                if name in agent.memberships:
                    state = agent.state_in(name)
                    states[state] = states.get(state, 0) + 1
            q["agents"] = states
            q["service"] = self.service_level.figures(name)
        return {
            "queues": queues,
            "center": self.service_level.figures(None),
            "agents": [{"server": a.server, "interface": a.interface, "name": a.name, "state": a.state,
                        "paused_reason": a.paused_reason, "queues": sorted(a.queues),
                        "seconds_in_state": round((now - a.since).total_seconds()) if a.since else None,
                        "answered": self.answered_by(a)}
                       for a in sorted(self.agents.values(), key=lambda a: a.name)],
            "callers": [{"queue": c.queue, "caller": mask(c.caller_num), "name": c.caller_name,
                         "waited": round((now - c.joined_at).total_seconds(), 1), "linkedid": c.linkedid}
                        for c in self.waiting()],
        }
