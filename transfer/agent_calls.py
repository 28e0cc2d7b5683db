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
    """Indexed by interface and by each leg's channel: a Hangup (the commonest event on a busy
    floor) finds its call without scanning every call in progress."""

    def __init__(self) -> None:
        self._by_interface: dict[str, AgentCall] = {}
        self._by_channel: dict[str, str] = {}  # either leg's channel -> interface

    def of(self, interface: str | None) -> AgentCall | None:
        return self._by_interface.get(interface) if interface else None

    def handle(self, event: ev.AmiEvent) -> None:
        if isinstance(event, ev.AgentConnect) and event.channel and event.dest:
            self._drop(event.interface)
            call = AgentCall(event.server, event.interface, event.dest.channel, event.channel.channel,
                             event.channel.linkedid, event.channel.caller_id_num, event.queue)
            self._by_interface[event.interface] = call
            self._by_channel[call.agent_channel] = self._by_channel[call.citizen_channel] = event.interface
        elif isinstance(event, ev.AgentComplete):
            self._drop(event.interface)
        elif isinstance(event, ev.Hangup) and event.channel:
            interface = self._by_channel.get(event.channel.channel)
            if interface is not None:
                self._drop(interface)
        elif isinstance(event, ev.AmiClientDisconnected):
            for interface in [i for i, c in self._by_interface.items() if c.server == event.server]:
                self._drop(interface)

    def forget_all(self) -> None:
        self._by_interface.clear()
        self._by_channel.clear()

    def _drop(self, interface: str) -> None:
        call = self._by_interface.pop(interface, None)
        if call is None:
            return
        for channel in (call.agent_channel, call.citizen_channel):
            if self._by_channel.get(channel) == interface:
                del self._by_channel[channel]
