"""Typed AMI events: frozen dataclasses for the events the engine uses, one converter.

Field names are snake_case; every event keeps the whole Message in ``.headers`` (ordered,
duplicates included), so fields we did not type are still there. Numbers that Asterisk
leaves empty or garbles become None rather than raising inside a subscriber.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import get_type_hints

from hotline.ami.message import Message

_IRREGULAR = {"caller_id_num": "CallerIDNum", "caller_id_name": "CallerIDName", "action_id": "ActionID",
              "cause_txt": "Cause-txt", "dnid": "DNID", "mix_monitor_id": "MixMonitorID"}


def _header(name: str) -> str:
    return _IRREGULAR.get(name) or "".join(part.capitalize() for part in name.split("_"))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _bool(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    return value.strip().lower() in ("1", "yes", "true", "on")


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """The standard channel block (``Dest…``, ``Transferee…``… copies use a prefix)."""

    channel: str
    channel_state: int | None = None
    channel_state_desc: str = ""
    caller_id_num: str = ""
    caller_id_name: str = ""
    connected_line_num: str = ""
    connected_line_name: str = ""
    language: str = ""
    account_code: str = ""
    context: str = ""
    exten: str = ""
    priority: int | None = None
    uniqueid: str = ""
    linkedid: str = ""

    @classmethod
    def from_message(cls, msg: Message, prefix: str = "") -> ChannelInfo | None:
        channel = msg.get(prefix + "Channel")
        if channel is None:
            return None
        g = msg.get
        return cls(channel, _int(g(prefix + "ChannelState")), g(prefix + "ChannelStateDesc") or "",
                   g(prefix + "CallerIDNum") or "", g(prefix + "CallerIDName") or "",
                   g(prefix + "ConnectedLineNum") or "", g(prefix + "ConnectedLineName") or "",
                   g(prefix + "Language") or "", g(prefix + "AccountCode") or "", g(prefix + "Context") or "",
                   g(prefix + "Exten") or "", _int(g(prefix + "Priority")), g(prefix + "Uniqueid") or "",
                   g(prefix + "Linkedid") or "")


def _block(prefix: str = ""):
    return field(default=None, metadata={"block": prefix})


@dataclass(frozen=True)
class AmiEvent:
    """Base of all typed events; ``server`` is the name of the Asterisk it came from."""

    name: str
    server: str | None
    headers: Message = field(repr=False, compare=False)


@dataclass(frozen=True)
class GenericEvent(AmiEvent):
    """Any event without a dedicated type."""


@dataclass(frozen=True)
class ChannelEvent(AmiEvent):
    channel: ChannelInfo | None = _block()

    @property
    def uniqueid(self) -> str:
        return self.channel.uniqueid if self.channel else ""

    @property
    def linkedid(self) -> str:
        return self.channel.linkedid if self.channel else ""


# --- call / channel lifecycle -------------------------------------------------------------------
@dataclass(frozen=True)
class Newchannel(ChannelEvent):
    pass


@dataclass(frozen=True)
class Newstate(ChannelEvent):
    pass


@dataclass(frozen=True)
class Hangup(ChannelEvent):
    cause: int | None = None
    cause_txt: str = ""


@dataclass(frozen=True)
class DialBegin(ChannelEvent):
    dest: ChannelInfo | None = _block("Dest")
    dial_string: str = ""


@dataclass(frozen=True)
class DialEnd(ChannelEvent):
    dest: ChannelInfo | None = _block("Dest")
    dial_status: str = ""


@dataclass(frozen=True)
class VarSet(ChannelEvent):
    variable: str = ""
    value: str = ""


@dataclass(frozen=True)
class OriginateResponse(AmiEvent):
    action_id: str = ""
    response: str = ""
    channel: str = ""
    context: str = ""
    exten: str = ""
    application: str = ""
    data: str = ""
    reason: int | None = None
    uniqueid: str = ""
    caller_id_num: str = ""
    caller_id_name: str = ""


@dataclass(frozen=True)
class CoreShowChannel(ChannelEvent):
    action_id: str = ""
    application: str = ""
    application_data: str = ""
    duration: str = ""
    bridge_id: str = ""


@dataclass(frozen=True)
class FullyBooted(AmiEvent):
    uptime: int | None = None
    last_reload: int | None = None
    status: str = ""


# --- bridges ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _BridgeEvent(AmiEvent):
    bridge_uniqueid: str = ""
    bridge_type: str = ""
    bridge_technology: str = ""
    bridge_creator: str = ""
    bridge_name: str = ""
    bridge_num_channels: int | None = None


@dataclass(frozen=True)
class BridgeCreate(_BridgeEvent):
    pass


@dataclass(frozen=True)
class BridgeDestroy(_BridgeEvent):
    pass


@dataclass(frozen=True)
class BridgeEnter(_BridgeEvent):
    channel: ChannelInfo | None = _block()
    swap_uniqueid: str = ""


@dataclass(frozen=True)
class BridgeLeave(_BridgeEvent):
    channel: ChannelInfo | None = _block()


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
class _AgentEvent(ChannelEvent):
    dest: ChannelInfo | None = _block("Dest")
    queue: str = ""
    interface: str = ""
    member_name: str = ""


@dataclass(frozen=True)
class AgentCalled(_AgentEvent):
    pass


@dataclass(frozen=True)
class AgentConnect(_AgentEvent):
    hold_time: int | None = None
    ring_time: int | None = None


@dataclass(frozen=True)
class AgentComplete(_AgentEvent):
    hold_time: int | None = None
    talk_time: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class AgentRingNoAnswer(_AgentEvent):
    ring_time: int | None = None


@dataclass(frozen=True)
class _MemberEvent(AmiEvent):
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
class QueueMemberAdded(_MemberEvent):
    pass


@dataclass(frozen=True)
class QueueMemberRemoved(_MemberEvent):
    pass


@dataclass(frozen=True)
class QueueMemberPause(_MemberEvent):
    pass


@dataclass(frozen=True)
class QueueMemberStatus(_MemberEvent):
    pass


@dataclass(frozen=True)
class QueueMemberPenalty(_MemberEvent):
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


# --- transfers, recording, conferences ----------------------------------------------------------
@dataclass(frozen=True)
class BlindTransfer(AmiEvent):
    result: str = ""
    transferer: ChannelInfo | None = _block("Transferer")
    transferee: ChannelInfo | None = _block("Transferee")
    bridge_uniqueid: str = ""
    is_external: bool | None = None
    context: str = ""
    extension: str = ""


@dataclass(frozen=True)
class AttendedTransfer(AmiEvent):
    result: str = ""
    orig_transferer: ChannelInfo | None = _block("OrigTransferer")
    orig_bridge_uniqueid: str = ""
    second_transferer: ChannelInfo | None = _block("SecondTransferer")
    second_bridge_uniqueid: str = ""
    transferee: ChannelInfo | None = _block("Transferee")
    transfer_target: ChannelInfo | None = _block("TransferTarget")
    is_external: bool | None = None
    dest_type: str = ""
    dest_bridge_uniqueid: str = ""


@dataclass(frozen=True)
class MixMonitorStart(ChannelEvent):
    pass


@dataclass(frozen=True)
class MixMonitorStop(ChannelEvent):
    pass


@dataclass(frozen=True)
class MixMonitorMute(ChannelEvent):
    direction: str = ""
    state: bool | None = None


@dataclass(frozen=True)
class _ConfbridgeEvent(AmiEvent):
    conference: str = ""
    bridge_uniqueid: str = ""
    bridge_num_channels: int | None = None


@dataclass(frozen=True)
class ConfbridgeStart(_ConfbridgeEvent):
    pass


@dataclass(frozen=True)
class ConfbridgeEnd(_ConfbridgeEvent):
    pass


@dataclass(frozen=True)
class ConfbridgeJoin(_ConfbridgeEvent):
    channel: ChannelInfo | None = _block()
    admin: bool | None = None
    muted: bool | None = None


@dataclass(frozen=True)
class ConfbridgeLeave(_ConfbridgeEvent):
    channel: ChannelInfo | None = _block()
    admin: bool | None = None


# --- client control events (synthetic, never sent by Asterisk) -----------------------------------
@dataclass(frozen=True)
class AmiClientReady(AmiEvent):
    """Connected, logged in and on_connected hooks (resync) done; ``reconnect`` after a drop."""

    generation: int | None = None
    reconnect: bool | None = None


@dataclass(frozen=True)
class AmiClientDisconnected(AmiEvent):
    """The connection dropped: events may have been missed until the next AmiClientReady."""

    generation: int | None = None


_TYPES = (Newchannel, Newstate, Hangup, DialBegin, DialEnd, VarSet, OriginateResponse, CoreShowChannel,
          FullyBooted, BridgeCreate, BridgeDestroy, BridgeEnter, BridgeLeave, QueueCallerJoin,
          QueueCallerLeave, QueueCallerAbandon, AgentCalled, AgentConnect, AgentComplete, AgentRingNoAnswer,
          QueueMemberAdded, QueueMemberRemoved, QueueMemberPause, QueueMemberStatus, QueueMemberPenalty,
          QueueParams, QueueMember, QueueEntry, QueueSummary, BlindTransfer, AttendedTransfer,
          MixMonitorStart, MixMonitorStop, MixMonitorMute, ConfbridgeStart, ConfbridgeEnd, ConfbridgeJoin,
          ConfbridgeLeave, AmiClientReady, AmiClientDisconnected)

_CONVERTERS: dict[object, Callable[[str | None], object]] = {
    "int | None": _int, "float | None": _float, "bool | None": _bool, "str": lambda v: v or "",
}


def _plan(cls: type) -> tuple:
    hints = get_type_hints(cls, localns={"Message": Message, "ChannelInfo": ChannelInfo})
    plan = []
    for f in dataclasses.fields(cls):
        if f.name in ("name", "server", "headers"):
            continue
        if "block" in f.metadata:
            plan.append((f.name, None, f.metadata["block"]))
            continue
        type_name = {int | None: "int | None", float | None: "float | None", bool | None: "bool | None",
                     str: "str"}[hints[f.name]]
        plan.append((f.name, f.metadata.get("h") or _header(f.name), _CONVERTERS[type_name]))
    return tuple(plan)


EVENT_TYPES = MappingProxyType({cls.__name__: cls for cls in _TYPES})
_PLANS = MappingProxyType({cls: _plan(cls) for cls in (*_TYPES, GenericEvent)})


def to_event(msg: Message) -> AmiEvent:
    """Typed event for an event Message (GenericEvent for the rest); cached on the message."""
    try:
        return msg.typed
    except AttributeError:
        pass
    cls = EVENT_TYPES.get(msg.event or "", GenericEvent)
    kwargs = {}
    get = msg.get
    for attr, header, conv in _PLANS[cls]:
        if header is None:
            kwargs[attr] = ChannelInfo.from_message(msg, conv)
        else:
            kwargs[attr] = conv(get(header))
    event = cls(msg.event or "", msg.server, msg, **kwargs)
    msg.typed = event
    return event
