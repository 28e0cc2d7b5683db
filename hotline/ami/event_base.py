"""Base of the typed AMI events: the channel block, the event base classes, value converters."""
from __future__ import annotations

from dataclasses import dataclass, field

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
