"""Queue membership belongs to the engine: agents signed in through the console stay signed in.

Asterisk keeps dynamic members in memory only (queues.conf `persistentmembers = no`): after a
restart its queues hold their static members alone. The engine remembers every dynamic member
(queue, phone, name, pause state and reason) from the QueueMember* events Asterisk sends, and on
each (re)connect compares Asterisk's start-up time (CoreStatus) with the one it saw before:
- a new start-up time: Asterisk restarted, so every remembered member is added back as it was;
- the same start-up time (an AMI reconnect) or the first connect (an engine start): Asterisk's
  current members are adopted as the truth.
The hook runs before the live floor's resync, so the floor's QueueStatus sees the re-added members.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from hotline.ami import events as ev
from hotline.ami.events import to_event
from queues.member_actions import AddMember

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Member:
    queue: str
    interface: str
    name: str
    paused: bool = False
    reason: str = ""

    def queue_add(self) -> AddMember:
        """The QueueAdd that puts this member back exactly as it was."""
        return AddMember(self.queue, self.interface, self.name or self.interface, self.paused, self.reason)


def _dynamic(membership: str) -> bool:
    return membership.lower() == "dynamic"


class Membership:
    def __init__(self) -> None:
        self._members: dict[str, dict[tuple[str, str], Member]] = {}
        self._startup: dict[str, str] = {}
        self.restarts_seen = 0
        self.readded = 0

    def members(self, server: str) -> list[Member]:
        return list(self._members.get(server, {}).values())

    def handle(self, event: ev.AmiEvent) -> None:
        server = event.server
        if isinstance(event, ev.QueueMemberRemoved):
            self._members.get(server, {}).pop((event.queue, event.interface), None)
        elif isinstance(event, ev.QueueMemberAdded | ev.QueueMemberPause) and _dynamic(event.membership):
            self._members.setdefault(server, {})[(event.queue, event.interface)] = Member(
                event.queue, event.interface, event.member_name, bool(event.paused),
                event.paused_reason if event.paused else "")

    async def on_connected(self, session) -> None:
        server = session.server
        status = await session.send("CoreStatus")
        startup = f"{status.message.get('CoreStartupDate', '')} {status.message.get('CoreStartupTime', '')}"
        before, self._startup[server] = self._startup.get(server), startup
        if before is not None and before != startup:
            self.restarts_seen += 1
            await self._readd(session, server)
        else:
            await self._adopt(session, server)

    async def _readd(self, session, server: str) -> None:
        remembered = self.members(server)
        log.warning("Asterisk %s restarted: adding back %d queue members", server, len(remembered))
        for member in remembered:
            action = member.queue_add()
            response = await session.send(action.name, action.fields())
            if response.ok or "Already there" in (response.text or ""):
                self.readded += 1
            else:
                log.error("Asterisk %s refused to add back %s to %s: %s", server, member.interface, member.queue,
                          response.text)

    async def _adopt(self, session, server: str) -> None:
        response = await session.send("QueueStatus")
        members = {}
        for item in (to_event(m) for m in response.items):
            if isinstance(item, ev.QueueMember) and _dynamic(item.membership):
                members[(item.queue, item.interface)] = Member(
                    item.queue, item.interface, item.member_name, bool(item.paused),
                    item.paused_reason if item.paused else "")
        self._members[server] = members
