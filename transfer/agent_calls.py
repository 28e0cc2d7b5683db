"""Which call each agent phone is on, from the queue's own AgentConnect (trace 02a, fact 15).

AgentConnect names both legs: the citizen's channel (channel block, whose Linkedid is the call id)
and the agent's phone channel (Dest block), plus the member Interface the console knows the
agent by (`User.phone_interface`). The floor (queues/live.py) keeps only the Linkedid, not the
channels a transfer has to act on, hence this small index beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

from hotline.ami import events as ev


@dataclass(frozen=True)
class AgentCall:
    server: str | None
    interface: str
    agent_channel: str
    citizen_channel: str
    linkedid: str
    citizen_number: str
    queue: str


class AgentCalls:
    def __init__(self) -> None:
        self._by_interface: dict[str, AgentCall] = {}

    def of(self, interface: str | None) -> AgentCall | None:
        return self._by_interface.get(interface) if interface else None

    def handle(self, event: ev.AmiEvent) -> None:
        if isinstance(event, ev.AgentConnect) and event.channel and event.dest:
            self._by_interface[event.interface] = AgentCall(
                event.server, event.interface, event.dest.channel, event.channel.channel, event.channel.linkedid,
                event.channel.caller_id_num, event.queue)
        elif isinstance(event, ev.AgentComplete):
            self._forget(lambda c: c.interface == event.interface)
        elif isinstance(event, ev.Hangup) and event.channel:
            gone = event.channel.channel
            self._forget(lambda c: gone in (c.agent_channel, c.citizen_channel))
        elif isinstance(event, ev.AmiClientDisconnected):
            self._forget(lambda c: c.server == event.server)

    def forget_all(self) -> None:
        self._by_interface.clear()

    def _forget(self, matches) -> None:
        for interface in [i for i, c in self._by_interface.items() if matches(c)]:
            del self._by_interface[interface]
