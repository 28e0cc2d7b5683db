"""ChanSpy(prefix[,options]) as seen in traces 11/11b (facts 39–43).

ChanSpyStart ~0.1 s after the spy starts; modes (q/w/B/d and DTMF 4/5/6) are invisible in AMI.
The spy notices its own hangup only when an audio frame arrives: with audio flowing on the
spied call (any of its channels playing) it stops at once, otherwise only when the spied
call ends — the lab artefact of 11b, kept because the stand-in *is* a media-less lab.
`S`: no matching channel → quit at once without events. `E`: quit when the spyee hangs up.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..channels import ChannelHungUp, channel_block

if TYPE_CHECKING:
    from ..channels import Channel
    from ..pbx import Pbx

AUDIO_APPS = {"playback", "background", "musiconhold", "chanspy", "confbridge"}


def _find(pbx: Pbx, me: Channel, prefix: str) -> Channel | None:
    for chan in pbx.channels.values():
        if chan is not me and chan.alive and chan.name.startswith(prefix) and not chan.name.startswith(me.name.rsplit(";", 1)[0]):
            return chan
    return None


def _audio_flowing(pbx: Pbx, spyee: Channel) -> bool:
    return any(c.alive and c.linkedid == spyee.linkedid and c.app.lower() in AUDIO_APPS for c in pbx.channels.values())


def _event(pbx: Pbx, name: str, spyer: Channel, spyee: Channel) -> None:
    pbx.emit(name, "call,all", [*channel_block(spyer, "Spyer"), *channel_block(spyee, "Spyee")])


async def chanspy_app(pbx: Pbx, chan: Channel, data: str) -> None:
    prefix, _, options = data.partition(",")
    while True:
        spyee = _find(pbx, chan, prefix.strip())
        if spyee is None:
            if "S" in options:
                return
            await chan.sleep(1.0)
            continue
        await chan.sleep(0.1)
        if not spyee.alive:
            continue
        _event(pbx, "ChanSpyStart", chan, spyee)
        chan.media_started.set()
        ended = await _spy(pbx, chan, spyee)
        _event(pbx, "ChanSpyStop", chan, spyee)
        if ended == "spyer" or "E" in options:
            if not chan.alive:
                raise ChannelHungUp()
            return


async def _spy(pbx: Pbx, chan: Channel, spyee: Channel) -> str:
    """Returns "spyer" or "spyee" — whichever ended the session."""
    while True:
        if not spyee.alive:
            return "spyee"
        if not chan.alive and _audio_flowing(pbx, spyee):
            return "spyer"
        waiters = [asyncio.ensure_future(spyee.hangup_event.wait())]
        if chan.alive:
            waiters.append(asyncio.ensure_future(chan.attention.wait()))
        try:
            await asyncio.wait(waiters, timeout=pbx.clock.real_seconds(0.02) if not chan.alive else None,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
        if chan.alive and chan.redirect_to is not None:
            return "spyer"
