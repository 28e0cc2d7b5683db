"""ConfBridge conferences (app_confbridge as seen in trace 09a).

A conference is a softmix bridge named after the conference. Like Asterisk it owns a hidden
announcer channel `CBAnn/<conf>-0000000N;2` that counts in BridgeNumChannels but never gets
Newchannel/BridgeEnter events. Members leave by hangup, AMI Redirect or ConfbridgeKick; the
last one out ends the conference (ConfbridgeEnd, then BridgeDestroy).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .channels import Bridge, ChannelHungUp, ChannelRedirected, bridge_block, channel_block

if TYPE_CHECKING:
    from .channels import Channel
    from .pbx import Pbx


@dataclass
class Member:
    chan: Channel
    joined: float
    kicked: asyncio.Event = field(default_factory=asyncio.Event)
    muted: bool = False


@dataclass
class Conference:
    name: str
    bridge: Bridge
    announcer: str
    members: list[Member] = field(default_factory=list)
    locked: bool = False

    @property
    def num_channels(self) -> int:
        return len(self.members) + 1  # + the CBAnn announcer channel


def _bridge_fields(conf: Conference) -> list[tuple[str, object]]:
    block = bridge_block(conf.bridge)
    return [(k, conf.num_channels if k == "BridgeNumChannels" else v) for k, v in block]


def _emit(pbx: Pbx, event: str, conf: Conference, *extra: tuple[str, object]) -> None:
    pbx.emit(event, "call,all", [("Conference", conf.name), *_bridge_fields(conf), *extra])


def _start(pbx: Pbx, name: str) -> Conference:
    bridge = Bridge(pbx.ids.bridge_id(), technology="softmix", bridge_type="base", creator="ConfBridge", name=name)
    pbx.bridges[bridge.uniqueid] = bridge
    announcer = f"CBAnn/{name}-{pbx.ids.channel_suffix()};2"
    pbx.ids.uniqueid()
    pbx.ids.uniqueid()
    conf = Conference(name, bridge, announcer)
    pbx.conferences[name] = conf
    pbx.emit("BridgeCreate", "call,all", bridge_block(bridge))
    _emit(pbx, "ConfbridgeStart", conf)
    return conf


def _bridgepeer(pbx: Pbx, conf: Conference) -> None:
    for m in conf.members:
        others = [conf.announcer] + [o.chan.name for o in conf.members if o is not m]
        pbx.set_var(m.chan, "BRIDGEPEER", ",".join(others))


async def confbridge_app(pbx: Pbx, chan: Channel, data: str) -> None:
    """ConfBridge(conference[,bridge_profile[,user_profile]]); sets CONFBRIDGE_RESULT."""
    name = data.split(",")[0].strip()
    if not name:
        return
    conf = pbx.conferences.get(name) or _start(pbx, name)
    member = Member(chan, pbx.clock.now())
    conf.members.append(member)
    conf.bridge.channels.append(chan)
    chan.bridge = conf.bridge
    pbx.emit("BridgeEnter", "call,all", [*_bridge_fields(conf), *channel_block(chan)])
    _emit(pbx, "ConfbridgeJoin", conf, *channel_block(chan), ("Admin", "No"), ("Muted", "No"))
    _bridgepeer(pbx, conf)
    kicked = asyncio.ensure_future(member.kicked.wait())
    attention = asyncio.ensure_future(chan.attention.wait())
    try:
        await asyncio.wait({kicked, attention}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for fut in (kicked, attention):
            fut.cancel()
        await asyncio.gather(kicked, attention, return_exceptions=True)
    result = "KICKED" if member.kicked.is_set() and chan.alive else "HANGUP"
    if result == "KICKED":
        pbx.set_var(chan, "CONFBRIDGE_RESULT", result)
    _leave(pbx, conf, member)
    if result != "KICKED":
        pbx.set_var(chan, "CONFBRIDGE_RESULT", result)
    if not chan.alive:
        chan.hangup_cause = 16
        raise ChannelHungUp()
    if chan.redirect_to is not None:
        raise ChannelRedirected()


def _leave(pbx: Pbx, conf: Conference, member: Member) -> None:
    chan = member.chan
    _emit(pbx, "ConfbridgeLeave", conf, *channel_block(chan), ("Admin", "No"))
    pbx.set_var(chan, "BRIDGEPEER", "")
    conf.members.remove(member)
    if chan in conf.bridge.channels:
        conf.bridge.channels.remove(chan)
    chan.bridge = None
    pbx.emit("BridgeLeave", "call,all", [*_bridge_fields(conf), *channel_block(chan)])
    _bridgepeer(pbx, conf)
    if not conf.members:
        _emit(pbx, "ConfbridgeEnd", conf)
        pbx.conferences.pop(conf.name, None)
        loop = asyncio.get_running_loop()
        loop.call_soon(_destroy_bridge, pbx, conf)


def _destroy_bridge(pbx: Pbx, conf: Conference) -> None:
    if pbx.bridges.pop(conf.bridge.uniqueid, None) is not None:
        pbx.emit("BridgeDestroy", "call,all", bridge_block(conf.bridge))


def kick(conf: Conference, channel: str) -> bool:
    targets = [m for m in conf.members if channel == "all" or m.chan.name == channel]
    for m in targets:
        m.kicked.set()
    return bool(targets)
