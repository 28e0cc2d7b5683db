"""Queue membership as AMI actions, one small object each (wazo-agentd style): what an agent's
desk buttons send and what the engine sends to put agents back after an Asterisk restart.

Field spelling follows Asterisk 22 (tests/fixtures/traces/12-ami-queue-member-lifecycle.txt).
"""
from __future__ import annotations

from dataclasses import dataclass


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _one_line(text: str) -> str:
    """A display name must not break AMI framing."""
    return " ".join(text.split())


@dataclass(frozen=True)
class AddMember:
    """签入队列: the phone becomes a dynamic member; its device state is followed via StateInterface."""

    queue: str
    interface: str
    member_name: str
    paused: bool = False
    reason: str = ""
    penalty: int = 0  # an admin's per-queue choice: members with a lower penalty ring first

    name = "QueueAdd"

    def fields(self) -> dict[str, str]:
        fields = {"Queue": self.queue, "Interface": self.interface, "MemberName": _one_line(self.member_name),
                  "StateInterface": self.interface, "Paused": _flag(self.paused)}
        if self.penalty:
            fields["Penalty"] = str(self.penalty)
        if self.paused and self.reason:
            fields["Reason"] = _one_line(self.reason)
        return fields


@dataclass(frozen=True)
class RemoveMember:
    """签出队列."""

    queue: str
    interface: str

    name = "QueueRemove"

    def fields(self) -> dict[str, str]:
        return {"Queue": self.queue, "Interface": self.interface}


@dataclass(frozen=True)
class PauseMember:
    """示忙 with a reason / 示闲. Without a queue Asterisk applies it to every queue of the member.

    Unpausing sends no Reason: with one, QueueMemberPause would still carry it (trace fact 47).
    """

    interface: str
    paused: bool
    reason: str = ""
    queue: str | None = None

    name = "QueuePause"

    def fields(self) -> dict[str, str]:
        fields = {"Interface": self.interface, "Paused": _flag(self.paused)}
        if self.queue:
            fields = {"Queue": self.queue, **fields}
        if self.paused and self.reason:
            fields["Reason"] = _one_line(self.reason)
        return fields


async def send(client, action) -> object:
    """Send one action through an AmiClient (`send(name, fields)`); its typed errors propagate."""
    return await client.send(action.name, action.fields())
