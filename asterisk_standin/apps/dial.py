"""Dial(Tech/resource[&…],timeout,options): ring, bridge on answer, DIALSTATUS.

Events in Asterisk 22's order (traces 05a, 05b, 09a): VarSet DIALSTATUS "" as Dial starts, DialBegin
per leg, then either VarSet DIALSTATUS=ANSWER + DialEnd ANSWER (and DIALSTATUS=ANSWER again when Dial
returns after the bridge), or DialEnd BUSY/NOANSWER per leg + VarSet DIALSTATUS with the outcome; a Dial
that could create no leg only sets DIALSTATUS=CHANUNAVAIL.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..bridging import close_bridge, open_bridge, release_others, stay_bridged
from ..calling import OutboundLeg
from ..channels import ChannelHungUp, ChannelRedirected

if TYPE_CHECKING:
    from ..channels import Channel
    from ..pbx import Pbx

HANGUP = "hangup"


async def dial_app(pbx: Pbx, chan: Channel, data: str) -> str | None:
    args = data.split(",")
    targets = [t for t in args[0].split("&") if t]
    timeout = float(args[1]) if len(args) > 1 and args[1].strip() else None
    options = args[2] if len(args) > 2 else ""
    legs: list[OutboundLeg] = []
    pbx.set_var(chan, "DIALSTATUS", "")
    for target in targets:
        leg = OutboundLeg(pbx, chan, target, "AppDial")
        if leg.create():
            pbx.two_chan_event("DialBegin", chan, leg.chan, ("DialString", leg.dial_string))
            legs.append(leg)
            leg.start()
    if not legs:
        pbx.set_var(chan, "DIALSTATUS", "CHANUNAVAIL")
        return None
    winner = await _wait(pbx, chan, legs, timeout)
    if not chan.alive:
        for leg in legs:
            pbx.two_chan_event("DialEnd", chan, leg.chan, ("DialStatus", "CANCEL"))
            leg.cancel(0)
        raise ChannelHungUp()
    if winner is None:
        status = "NOANSWER" if any(leg.chan.alive for leg in legs) else "BUSY"
        for leg in legs:
            pbx.two_chan_event("DialEnd", chan, leg.chan, ("DialStatus", "NOANSWER" if leg.chan.alive else "BUSY"))
            leg.cancel(0)
        pbx.set_var(chan, "DIALSTATUS", status)
        return None
    for leg in legs:
        if leg is not winner:
            pbx.two_chan_event("DialEnd", chan, leg.chan, ("DialStatus", "CANCEL"))
            leg.cancel(0)
    if chan.state != 6:
        pbx.answer(chan)
    pbx.set_var(chan, "DIALSTATUS", "ANSWER")
    pbx.two_chan_event("DialEnd", chan, winner.chan, ("DialStatus", "ANSWER"))
    agent = winner.chan
    if agent.tech == "Local":
        bridge = pbx.create_bridge()
        agent.exten = ""
        pbx.newexten(agent, "AppDial", "(Outgoing Line)")
        pbx.bridge_enter(bridge, agent)
        pbx.bridge_enter(bridge, chan)
    else:
        bridge = open_bridge(pbx, agent, chan)
    chan.variables["BRIDGEPEER"] = agent.name
    outcome = await stay_bridged(pbx, bridge, chan)
    if outcome == "moved":
        pbx.bridge_leave(chan)
    release_others(pbx, bridge, chan)
    close_bridge(pbx, bridge)
    if outcome != "caller":
        pbx.set_var(chan, "DIALSTATUS", "ANSWER")
    if outcome == "moved":
        raise ChannelRedirected()
    if outcome == "caller":
        chan.hangup_cause = 16
        raise ChannelHungUp()
    if "g" in options:
        return None
    pbx.request_hangup(chan, 16)
    return HANGUP


async def _wait(pbx: Pbx, chan: Channel, legs: list[OutboundLeg], ring_for: float | None) -> OutboundLeg | None:
    futs = {asyncio.ensure_future(leg.answered.wait()): leg for leg in legs}
    gone = [asyncio.ensure_future(leg.chan.hangup_event.wait()) for leg in legs]
    hung = asyncio.ensure_future(chan.attention.wait())
    end = None if ring_for is None else pbx.clock.now() + ring_for
    try:
        while chan.alive:
            left = None if end is None else end - pbx.clock.now()
            if left is not None and left <= 0:
                return None
            done, _ = await asyncio.wait({*futs, *gone, hung}, timeout=None if left is None else pbx.clock.real_seconds(left),
                                         return_when=asyncio.FIRST_COMPLETED)
            for fut in done:
                leg = futs.pop(fut, None)
                if leg is not None and leg.chan.alive:
                    return leg
            if all(not leg.chan.alive for leg in legs):
                return None
            gone = [g for g in gone if not g.done()]
            if not done:
                return None
        return None
    finally:
        for fut in [*futs, *gone, hung]:
            fut.cancel()
        await asyncio.gather(*futs, *gone, hung, return_exceptions=True)
