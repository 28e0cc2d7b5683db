"""Typed queue events: callers, agents, members, and the QueueStatus/QueueSummary list items."""
from __future__ import annotations

from dataclasses import dataclass, field

from hotline.ami.event_base import AmiEvent, ChannelEvent, ChannelInfo, _block

# --- queues -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueCallerJoin(ChannelEvent):
    queue: str = ""
    position: int | None = None
    count: int | None = None


@dataclass(frozen=True)
class QueueCallerLeave(ChannelEvent):
    queue: str = ""
    position: int | None = None
    count: int | None = None


@dataclass(frozen=True)
class QueueCallerAbandon(ChannelEvent):
    queue: str = ""
    position: int | None = None
    original_position: int | None = None
    hold_time: int | None = None


@dataclass(frozen=True)
class AgentEvent(ChannelEvent):
    dest: ChannelInfo | None = _block("Dest")
    queue: str = ""
    interface: str = ""
    member_name: str = ""


@dataclass(frozen=True)
class AgentCalled(AgentEvent):
    pass


@dataclass(frozen=True)
class AgentConnect(AgentEvent):
    hold_time: int | None = None
    ring_time: int | None = None


@dataclass(frozen=True)
class AgentComplete(AgentEvent):
    hold_time: int | None = None
    talk_time: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class AgentRingNoAnswer(AgentEvent):
    ring_time: int | None = None


@dataclass(frozen=True)
class QueueMemberEvent(AmiEvent):
    queue: str = ""
    member_name: str = ""
    interface: str = ""
    state_interface: str = ""
    membership: str = ""
    penalty: int | None = None
    calls_taken: int | None = None
    last_call: int | None = None
    last_pause: int | None = None
    login_time: int | None = None
    in_call: bool | None = None
    status: int | None = None
    paused: bool | None = None
    paused_reason: str = ""
    ringinuse: bool | None = None
    wrapuptime: int | None = None


@dataclass(frozen=True)
class QueueMemberAdded(QueueMemberEvent):
    pass


@dataclass(frozen=True)
class QueueMemberRemoved(QueueMemberEvent):
    pass


@dataclass(frozen=True)
class QueueMemberPause(QueueMemberEvent):
    pass


@dataclass(frozen=True)
class QueueMemberStatus(QueueMemberEvent):
    pass


@dataclass(frozen=True)
class QueueMemberPenalty(QueueMemberEvent):
    pass


@dataclass(frozen=True)
class QueueParams(AmiEvent):
    queue: str = ""
    max: int | None = None
    strategy: str = ""
    calls: int | None = None
    holdtime: int | None = None
    talk_time: int | None = None
    completed: int | None = None
    abandoned: int | None = None
    service_level: int | None = None
    servicelevel_perf: float | None = None
    servicelevel_perf2: float | None = None
    weight: int | None = None
    action_id: str = ""


@dataclass(frozen=True)
class QueueMember(AmiEvent):
    """QueueStatus item (note: ``Name``/``Location``, not MemberName/Interface)."""

    queue: str = ""
    member_name: str = field(default="", metadata={"h": "Name"})
    interface: str = field(default="", metadata={"h": "Location"})
    state_interface: str = ""
    membership: str = ""
    penalty: int | None = None
    calls_taken: int | None = None
    last_call: int | None = None
    last_pause: int | None = None
    login_time: int | None = None
    in_call: bool | None = None
    status: int | None = None
    paused: bool | None = None
    paused_reason: str = ""
    wrapuptime: int | None = None
    action_id: str = ""


@dataclass(frozen=True)
class QueueEntry(AmiEvent):
    queue: str = ""
    position: int | None = None
    channel: str = ""
    uniqueid: str = ""
    caller_id_num: str = ""
    caller_id_name: str = ""
    connected_line_num: str = ""
    connected_line_name: str = ""
    wait: int | None = None
    priority: int | None = None
    action_id: str = ""


@dataclass(frozen=True)
class QueueSummary(AmiEvent):
    queue: str = ""
    logged_in: int | None = None
    available: int | None = None
    callers: int | None = None
    hold_time: int | None = None
    talk_time: int | None = None
    longest_hold_time: int | None = None
    action_id: str = ""
