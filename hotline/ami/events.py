"""Typed AMI events: frozen dataclasses for the events the engine uses, and one converter.

Field names are snake_case; every event keeps the whole Message in ``.headers`` (ordered,
duplicates included), so fields we did not type are still there. Numbers that Asterisk
leaves empty or garbles become None rather than raising inside a subscriber.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MappingProxyType
from typing import get_type_hints

from hotline.ami.call_events import (  # noqa: F401 - re-exported
    BridgeEvent, ConfbridgeEvent,
    Newchannel, Newstate, Hangup, DialBegin, DialEnd, VarSet, OriginateResponse, CoreShowChannel, FullyBooted,
    BridgeCreate, BridgeDestroy, BridgeEnter, BridgeLeave, BlindTransfer, AttendedTransfer, MixMonitorStart,
    MixMonitorStop, MixMonitorMute, ConfbridgeStart, ConfbridgeEnd, ConfbridgeJoin, ConfbridgeLeave,
    AmiClientReady, AmiClientDisconnected,
)
from hotline.ami.event_base import (  # noqa: F401 - re-exported
    AmiEvent, ChannelEvent, ChannelInfo, GenericEvent, _bool, _float, _header, _int,
)
from hotline.ami.message import Message
from hotline.ami.queue_events import (  # noqa: F401 - re-exported
    AgentEvent, QueueMemberEvent,
    QueueCallerJoin, QueueCallerLeave, QueueCallerAbandon, AgentCalled, AgentConnect, AgentComplete,
    AgentRingNoAnswer, QueueMemberAdded, QueueMemberRemoved, QueueMemberPause, QueueMemberStatus,
    QueueMemberPenalty, QueueParams, QueueMember, QueueEntry, QueueSummary,
)

_MemberEvent = QueueMemberEvent  # early name, used by queues/live.py

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
    msg.parsed()
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
