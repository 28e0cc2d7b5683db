"""The agent's desk: which queues exist, queue log-in/out and pause, and the state Asterisk reported.

Buttons only send actions; what the page shows comes from the live floor, i.e. from the
QueueMember* events Asterisk sent back, never from the action's success.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
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


class AgentDesk:
    def __init__(self, ami: Mapping[str, object], floor, queues: Sequence[QueueChoice],
                 pause_reasons: Sequence[str], server: str | None = None) -> None:
        self._ami = ami
        self._floor = floor
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

    async def join(self, user, queue: str) -> None:
        """签入队列, ready at once (示闲)."""
        await self._send(AddMember(self._queue(queue), self._phone(user), user.display_name))

    async def leave(self, user, queue: str) -> None:
        await self._send(RemoveMember(self._queue(queue), self._phone(user)))

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
            "since": member.since.isoformat() if member and member.since else None,
            "calls_taken": member.calls_taken if member else 0,
            "queues": [{"name": q.name, "label": q.label, "joined": q.name in joined} for q in self.queues],
            "other_queues": sorted(joined - {q.name for q in self.queues}),
            "pause_reasons": list(self.pause_reasons),
        }

    def _member(self, interface: str):
        if self._floor is None or self._server is None:
            return None
        return self._floor.agents.get((self._server, interface))
