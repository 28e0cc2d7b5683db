"""The agent's desk: which queues exist, queue log-in/out and pause, and the state Asterisk reported.

Buttons only send actions; what the page shows comes from the live floor, i.e. from the
QueueMember* events Asterisk sent back, never from the action's success.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from hotline.ami.errors import AmiError

from .actions import AddMember, PauseMember, RemoveMember, send
from .errors import DeskError, from_ami

WRAP_UP_REASON = "话后处理"
STATE_LABELS = {"idle": "空闲", "paused": "示忙", "talking": "通话中", "ringing": "振铃中",
                "unavailable": "话机离线", "logged_out": "未签入"}


@dataclass(frozen=True)
class QueueChoice:
    name: str
    label: str
    wrapuptime: int = 0  # seconds of after-call work the queue gives (queues.conf wrapuptime)


class AgentDesk:
    def __init__(self, ami: Mapping[str, object], floor, queues: Sequence[QueueChoice],
                 pause_reasons: Sequence[str], server: str | None = None, queue_settings=None,
                 figures: Callable[[str], dict] | None = None) -> None:
        """`queue_settings(queue)`: an admin's QueueSettings for the queue, or None: who may sign in
        to a 专席 queue and with which penalty. `figures`: an agent's stored today/24-hour figures by
        member name (the wallboard's refresh)."""
        self._ami = ami
        self._figures = figures
        self._floor = floor
        self._settings = queue_settings or (lambda queue: None)
        self.queues = list(queues)
        self.pause_reasons = tuple(pause_reasons)
        self._server = server if server is not None else next(iter(ami), None)

    def _client(self):
        client = self._ami.get(self._server) if self._server is not None else None
        if client is None:
            raise DeskError("console.ami.not_configured", "没有配置交换机连接，无法签入队列", 503)
        return client

    @staticmethod
    def _phone(user) -> str:
        if not user.phone_interface:
            raise DeskError("console.agent.no_phone", "账号未绑定话机分机，请联系管理员", 409)
        return user.phone_interface

    def _queue(self, name: str) -> str:
        if name not in {q.name for q in self.queues}:
            raise DeskError("console.agent.unknown_queue", "没有这个队列", 404, name)
        return name

    async def _send(self, action) -> None:
        try:
            await send(self._client(), action)
        except AmiError as exc:
            raise from_ami(exc) from exc

    def _assigned(self, user, queue: str) -> bool:
        chosen = self._settings(queue)
        return chosen is None or chosen.allows(user.username)

    async def join(self, user, queue: str) -> None:
        """签入队列, ready at once (示闲); a 专席 queue only for the agents an admin assigned to it."""
        queue = self._queue(queue)
        if not self._assigned(user, queue):
            raise DeskError("console.agent.not_assigned", "您未被分配到这个专席队列，请联系管理员", 403, queue)
        chosen = self._settings(queue)
        await self._send(AddMember(queue, self._phone(user), user.display_name,
                                   penalty=chosen.penalty(user.username) if chosen else 0))

    async def leave(self, user, queue: str) -> None:
        await self._send(RemoveMember(self._queue(queue), self._phone(user)))

    async def leave_all(self, user) -> tuple[list[str], list[str]]:
        """签出 every queue the phone is in (Asterisk's view on the live floor, not only the console's
        own queue list): an agent who logs out of the console must not be rung. -> (left, failed)."""
        member = self._member(user.phone_interface) if user.phone_interface else None
        left, failed = [], []
        for queue in sorted(member.queues if member else ()):
            try:
                await send(self._client(), RemoveMember(queue, user.phone_interface))
            except (AmiError, DeskError):
                failed.append(queue)
            else:
                left.append(queue)
        return left, failed

    async def pause(self, user, reason: str) -> None:
        if reason not in self.pause_reasons:
            raise DeskError("console.agent.unknown_reason", "请选择列表中的示忙原因", 400, reason)
        await self._send(PauseMember(self._phone(user), True, reason))

    async def wrap_up(self, user) -> None:
        """话后处理: paused with a reason of its own, not one of the agent's chosen pause reasons."""
        await self._send(PauseMember(self._phone(user), True, WRAP_UP_REASON))

    async def unpause(self, user) -> None:
        await self._send(PauseMember(self._phone(user), False))

    def state(self, user) -> dict:
        """The agent's state as the live floor has it (what Asterisk reported)."""
        member = self._member(user.phone_interface) if user.phone_interface else None
        client = self._ami.get(self._server) if self._server is not None else None
        connected = bool(getattr(client, "ready", False))
        joined = set(member.queues) if member else set()
        state = member.state if member else "logged_out"
        return {
            "connected": connected,
            "phone": user.phone_interface or "",
            "state": state,
            "state_label": STATE_LABELS.get(state, state),
            "paused_reason": member.paused_reason if member else "",
            "paused_in_call": bool(member and member.paused and member.busy),  # takes effect after the call
            "since": member.since.isoformat() if member and member.since else None,
            "answered": self._answered(user.phone_interface),
            "queues": [{"name": q.name, "label": q.label, "joined": q.name in joined} for q in self.queues
                       if q.name in joined or self._assigned(user, q.name)],
            "other_queues": sorted(joined - {q.name for q in self.queues}),
            "wrapup_seconds": max((q.wrapuptime for q in self.queues if q.name in joined), default=0),
            "pause_reasons": list(self.pause_reasons),
            "figures": self._figures(member.name if member else user.display_name) if self._figures else None,
        }

    def _answered(self, interface: str) -> int:
        """Calls this phone answered in 24 h, from our own records (Asterisk's CallsTaken restarts
        whenever the member is added again)."""
        if self._floor is None or self._server is None or not interface:
            return 0
        return self._floor.service_level.agent_answered(self._server, interface)

    def _member(self, interface: str):
        if self._floor is None or self._server is None:
            return None
        return self._floor.agents.get((self._server, interface))
