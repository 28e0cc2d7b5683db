"""Typed call events: channels, dialing, bridges, transfers, recording, conferences, client control."""
from __future__ import annotations

from dataclasses import dataclass

from hotline.ami.event_base import AmiEvent, ChannelEvent, ChannelInfo, _block

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
class BridgeEvent(AmiEvent):
    bridge_uniqueid: str = ""
    bridge_type: str = ""
    bridge_technology: str = ""
    bridge_creator: str = ""
    bridge_name: str = ""
    bridge_num_channels: int | None = None


@dataclass(frozen=True)
class BridgeCreate(BridgeEvent):
    pass


@dataclass(frozen=True)
class BridgeDestroy(BridgeEvent):
    pass


@dataclass(frozen=True)
class BridgeEnter(BridgeEvent):
    channel: ChannelInfo | None = _block()
    swap_uniqueid: str = ""


@dataclass(frozen=True)
class BridgeLeave(BridgeEvent):
    channel: ChannelInfo | None = _block()


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
class ConfbridgeEvent(AmiEvent):
    conference: str = ""
    bridge_uniqueid: str = ""
    bridge_num_channels: int | None = None


@dataclass(frozen=True)
class ConfbridgeStart(ConfbridgeEvent):
    pass


@dataclass(frozen=True)
class ConfbridgeEnd(ConfbridgeEvent):
    pass


@dataclass(frozen=True)
class ConfbridgeJoin(ConfbridgeEvent):
    channel: ChannelInfo | None = _block()
    admin: bool | None = None
    muted: bool | None = None


@dataclass(frozen=True)
class ConfbridgeLeave(ConfbridgeEvent):
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
