"""Queue membership belongs to the engine: agents signed in through the console stay signed in.

Asterisk keeps dynamic members in memory only (queues.conf `persistentmembers = no`): after a
restart its queues hold their static members alone. The engine remembers every dynamic member
(queue, phone, name, pause state and reason) from the QueueMember* events Asterisk sends, and on
each (re)connect compares Asterisk's start-up time (CoreStatus) with the one it saw before:
- a new start-up time: Asterisk restarted, so every remembered member is added back as it was;
- the same start-up time (an AMI reconnect) or the first connect (an engine start): Asterisk's
  current members are adopted as the truth.
The hook runs before the live floor's resync, so the floor's QueueStatus sees the re-added members.

Asterisk accepts AMI logins while it is still booting (traces 16, 19): a QueueAdd sent then may meet
`Invalid/unknown command: QueueAdd` because app_queue is not loaded yet. The hook first waits for the
session's FullyBooted (sent right after Login when booted, else once it is); where no FullyBooted
comes (an AMI user without `system` read), a QueueAdd that meets that answer is retried
until app_queue answers, and the new start-up time is only remembered once every member is back, so
a hook that failed anyway (connection lost) re-adds on the next connect instead of adopting an empty
floor.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from hotline.ami import events as ev
from hotline.ami.errors import AmiActionError
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
    penalty: int = 0

    def queue_add(self) -> AddMember:
        """The QueueAdd that puts this member back exactly as it was."""
        return AddMember(self.queue, self.interface, self.name or self.interface, self.paused, self.reason,
                         self.penalty)


def _dynamic(membership: str) -> bool:
    return membership.lower() == "dynamic"


_NOT_LOADED_YET = "Invalid/unknown command"   # app_queue still loading: the action does not exist yet
_ALREADY_THERE = "Already there"


class Membership:
    def __init__(self, *, boot_wait: float = 20.0, retry_every: float = 0.2, sleep=asyncio.sleep,
                 clock=time.monotonic) -> None:
        self._members: dict[str, dict[tuple[str, str], Member]] = {}
        self._startup: dict[str, str] = {}
        self.restarts_seen = 0
        self.readded = 0
        self._boot_wait, self._retry_every, self._sleep, self._clock = boot_wait, retry_every, sleep, clock

    def members(self, server: str) -> list[Member]:
        return list(self._members.get(server, {}).values())

    def forget(self, server: str, interface: str) -> int:
        """A disabled agent's phone: never added back after a restart, even if Asterisk's
        QueueMemberRemoved was lost (AMI down while the console removed it)."""
        members = self._members.get(server, {})
        gone = [key for key in members if key[1] == interface]
        for key in gone:
            del members[key]
        return len(gone)

    EVENTS = frozenset({"QueueMemberRemoved", "QueueMemberAdded", "QueueMemberPause"})
    """The event names it reads (calls.model.EventReading routes only these to it)."""

    def handle(self, event: ev.AmiEvent) -> None:
        server = event.server
        if isinstance(event, ev.QueueMemberRemoved):
            self._members.get(server, {}).pop((event.queue, event.interface), None)
        elif isinstance(event, ev.QueueMemberAdded | ev.QueueMemberPause) and _dynamic(event.membership):
            self._members.setdefault(server, {})[(event.queue, event.interface)] = Member(
                event.queue, event.interface, event.member_name, bool(event.paused),
                event.paused_reason if event.paused else "", event.penalty or 0)

    async def on_connected(self, session) -> None:
        server = session.server
        deadline = self._clock() + self._boot_wait  # FullyBooted wait and QueueAdd retries share it
        await self._booted(session, deadline)
        status = await session.send("CoreStatus")
        startup = f"{status.message.get('CoreStartupDate', '')} {status.message.get('CoreStartupTime', '')}"
        before = self._startup.get(server)
        if before is not None and before != startup:
            self.restarts_seen += 1
            await self._readd(session, server, deadline)
        else:
            await self._adopt(session, server)
        self._startup[server] = startup  # only now: a failed re-add is tried again on the next connect

    async def _booted(self, session, deadline: float) -> None:
        booted = getattr(session, "fully_booted", None)
        if booted is None or booted.is_set():
            return
        try:
            async with asyncio.timeout(max(0.0, deadline - self._clock())):
                await booted.wait()
        except TimeoutError:
            log.warning("Asterisk %s sent no FullyBooted within %.0f s (manager.conf read = system?): going on",
                        session.server, self._boot_wait)

    async def _readd(self, session, server: str, deadline: float) -> None:
        remembered = self.members(server)
        log.warning("Asterisk %s restarted: adding back %d queue members", server, len(remembered))
        waited = 0
        for member in remembered:
            action = member.queue_add()
            while True:
                try:
                    await session.send(action.name, action.fields())
                except AmiActionError as exc:
                    if exc.message.startswith(_NOT_LOADED_YET) and self._clock() < deadline:
                        if not waited:
                            log.info("Asterisk %s is still booting (no QueueAdd yet): retrying", server)
                        waited += 1
                        await self._sleep(self._retry_every)
                        continue
                    if _ALREADY_THERE not in exc.message:
                        log.error("Asterisk %s refused to add back %s to %s: %s", server, member.interface,
                                  member.queue, exc.message)
                        break
                self.readded += 1
                break

    async def _adopt(self, session, server: str) -> None:
        response = await session.send("QueueStatus")
        members = {}
        for item in (to_event(m) for m in response.items):
            if isinstance(item, ev.QueueMember) and _dynamic(item.membership):
                members[(item.queue, item.interface)] = Member(
                    item.queue, item.interface, item.member_name, bool(item.paused),
                    item.paused_reason if item.paused else "")
        self._members[server] = members
