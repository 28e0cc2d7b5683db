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
from queues.service_level import ServiceLevel

log = logging.getLogger(__name__)

# Asterisk device states (QueueMember/QueueMemberStatus `Status`)
DEVICE_NOT_INUSE, DEVICE_INUSE, DEVICE_BUSY, DEVICE_INVALID, DEVICE_UNAVAILABLE = 1, 2, 3, 4, 5
DEVICE_RINGING, DEVICE_RINGINUSE, DEVICE_ONHOLD = 6, 7, 8


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
class AgentState:
    server: str
    interface: str
    name: str
    queues: set[str] = field(default_factory=set)
    paused: bool = False
    paused_reason: str = ""
    device_status: int = DEVICE_NOT_INUSE
    in_call: bool = False
    ringing: bool = False
    since: datetime | None = None
    calls_taken: int = 0
    talking_to: str = ""  # linkedid of the call being handled

    @property
    def state(self) -> str:
        """One word for the wallboard: talking, ringing, paused, unavailable, idle."""
        if self.in_call:
            return "talking"
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


class LiveFloor:
    def __init__(self, clock: Callable[[], datetime], service_level: ServiceLevel | None = None) -> None:
        self._clock = clock
        self.callers: dict[str, WaitingCaller] = {}          # uniqueid -> caller
        self.agents: dict[tuple[str, str], AgentState] = {}  # (server, interface) -> agent
        self.service_level = service_level or ServiceLevel(clock)
        self.listeners: list[Callable[[str, object], None]] = []
        self.resyncs = 0

    # --- queries -------------------------------------------------------------------------------
    def waiting(self, queue: str | None = None) -> list[WaitingCaller]:
        found = [c for c in self.callers.values() if queue is None or c.queue == queue]
        return sorted(found, key=lambda c: (c.queue, c.position or 0, c.joined_at))

    def available_agents(self, queue: str) -> int:
        return sum(1 for a in self.agents.values() if queue in a.queues and a.available)

    def callers_ahead(self, queue: str, since: datetime) -> int:
        """Callers already waiting in `queue` who joined before `since` (a call's start)."""
        return sum(1 for c in self.callers.values() if c.queue == queue and c.joined_at <= since)

    def longest_wait(self, queue: str | None = None) -> float:
        now = self._clock()
        waits = [(now - c.joined_at).total_seconds() for c in self.waiting(queue)]
        return max(waits, default=0.0)

    # --- event projection ------------------------------------------------------------------------
    def handle(self, event: ev.AmiEvent) -> None:
        """Subscriber entry point (typed events from hotline.ami)."""
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is not None:
            handler(event)
            self._notify(type(event).__name__, event)

    def _notify(self, kind: str, payload: object) -> None:
        for listener in list(self.listeners):
            listener(kind, payload)

    def _server(self, event: ev.AmiEvent) -> str:
        return event.server or ""

    def _agent(self, event, interface: str, name: str = "") -> AgentState:
        key = (self._server(event), interface)
        agent = self.agents.get(key)
        if agent is None:
            agent = self.agents[key] = AgentState(self._server(event), interface, name or interface,
                                                  since=self._clock())
        if name:
            agent.name = name
        return agent

    def _on_QueueCallerJoin(self, e: ev.QueueCallerJoin) -> None:
        c = e.channel
        if c is None:
            return
        self.callers[c.uniqueid] = WaitingCaller(self._server(e), e.queue, c.uniqueid, c.linkedid, c.channel,
                                                 c.caller_id_num, c.caller_id_name, self._clock(), e.position)
        self.service_level.offered(e.queue, c.linkedid)

    def _on_QueueCallerLeave(self, e: ev.QueueCallerLeave) -> None:
        self.callers.pop(e.uniqueid, None)

    def _on_QueueCallerAbandon(self, e: ev.QueueCallerAbandon) -> None:
        self.callers.pop(e.uniqueid, None)
        self.service_level.abandoned(e.queue, e.linkedid, e.hold_time or 0)

    def _on_AgentCalled(self, e: ev.AgentCalled) -> None:
        agent = self._agent(e, e.interface, e.member_name)
        agent.ringing, agent.since = True, self._clock()

    def _on_AgentRingNoAnswer(self, e: ev.AgentRingNoAnswer) -> None:
        agent = self._agent(e, e.interface, e.member_name)
        agent.ringing = False

    def _on_AgentConnect(self, e: ev.AgentConnect) -> None:
        agent = self._agent(e, e.interface, e.member_name)
        agent.ringing, agent.in_call, agent.since, agent.talking_to = False, True, self._clock(), e.linkedid
        self.service_level.answered(e.queue, e.linkedid, e.hold_time or 0)

    def _on_AgentComplete(self, e: ev.AgentComplete) -> None:
        agent = self._agent(e, e.interface, e.member_name)
        agent.in_call, agent.since, agent.talking_to = False, self._clock(), ""

    def _member(self, e: ev._MemberEvent) -> AgentState:
        agent = self._agent(e, e.interface, e.member_name)
        agent.queues.add(e.queue)
        if e.paused is not None:
            if e.paused != agent.paused:
                agent.since = self._clock()
            agent.paused = e.paused
            agent.paused_reason = e.paused_reason if e.paused else ""
        if e.status is not None:
            agent.device_status = e.status
        if e.in_call is not None:
            agent.in_call = e.in_call
            if not e.in_call:
                agent.talking_to = ""
        if e.calls_taken is not None:
            agent.calls_taken = e.calls_taken
        return agent

    def _on_QueueMemberAdded(self, e: ev.QueueMemberAdded) -> None:
        self._member(e)

    def _on_QueueMemberPause(self, e: ev.QueueMemberPause) -> None:
        self._member(e)

    def _on_QueueMemberStatus(self, e: ev.QueueMemberStatus) -> None:
        self._member(e)

    def _on_QueueMemberRemoved(self, e: ev.QueueMemberRemoved) -> None:
        agent = self.agents.get((self._server(e), e.interface))
        if agent is not None:
            agent.queues.discard(e.queue)
            if not agent.queues:
                del self.agents[(self._server(e), e.interface)]

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
                agent.queues.add(item.queue)
                agent.paused = bool(item.paused)
                agent.paused_reason = item.paused_reason if item.paused else ""
                agent.device_status = item.status or DEVICE_NOT_INUSE
                agent.in_call = bool(item.in_call)
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
                if name in agent.queues:
                    states[agent.state] = states.get(agent.state, 0) + 1
            q["agents"] = states
            q["service"] = self.service_level.figures(name)
        return {
            "queues": queues,
            "center": self.service_level.figures(None),
            "agents": [{"server": a.server, "interface": a.interface, "name": a.name, "state": a.state,
                        "paused_reason": a.paused_reason, "queues": sorted(a.queues),
                        "seconds_in_state": round((now - a.since).total_seconds()) if a.since else None,
                        "calls_taken": a.calls_taken}
                       for a in sorted(self.agents.values(), key=lambda a: a.name)],
            "callers": [{"queue": c.queue, "caller": mask(c.caller_num), "name": c.caller_name,
                         "waited": round((now - c.joined_at).total_seconds(), 1), "linkedid": c.linkedid}
                        for c in self.waiting()],
        }
