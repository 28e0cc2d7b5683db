"""In-call features (features.conf) on bridged channels: attended transfer (Atxfer, 05c / 09b).

Digits that a bridged channel *receives* are matched against the feature codes. `atxfer`
(e.g. `*2`) puts the other parties on hold, collects the target (three tries, digits only:
letters cannot be collected, so an alphabetic Exten is silently aborted), dials it into a
consultation bridge and moves the transferer there. Then:
* transferer hangs up → BridgeMerge of the target into the original bridge, AttendedTransfer
  with DestType Bridge (05c);
* `atxferthreeway` (`*3`) → everybody merged into the original bridge (softmix with 3+),
  DestType Threeway (09b); `atxferabort` (`*1`) → target dropped, transferer back;
* target hangs up → transferer back in the original bridge.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .channels import UP, bridge_block, channel_block

if TYPE_CHECKING:
    from .channels import Bridge, Channel
    from .pbx import Pbx

TRIES = 3
PROMPT = 1.0  # pbx-transfer / pbx-invalid in the lab
NO_ANSWER = 15.0


def queue_feature_digits(pbx: Pbx, chan: Channel, digits: str, context: str) -> None:
    """Atxfer: deliver feature code + target as received DTMF (DTMFEnd only), paced like 05c."""
    if context:
        chan.variables["TRANSFER_CONTEXT"] = context
    delay = 0.0
    for i, digit in enumerate(digits):
        pbx.clock.call_later(delay, lambda d=digit: chan.alive and pbx.dtmf_received(chan, d, 100, begin=False))
        delay += 0.16 if i < 2 else 0.06


class FeatureMatcher:
    """Per-channel buffer of received digits while bridged."""

    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx

    def codes(self) -> dict[str, str]:
        fm = self.pbx.config.features.get("featuremap")
        return {name: code for name, code in (fm.items if fm else []) if code}

    def on_digit(self, chan: Channel, digit: str) -> bool:
        """True when the digit was consumed by feature matching."""
        if chan.bridge is None or chan.in_feature:
            return False
        codes = self.codes()
        buf = chan.variables.get("\x00features", "") + digit
        for name, code in codes.items():
            if buf == code:
                chan.variables["\x00features"] = ""
                if name == "atxfer":
                    chan.in_feature = True
                    _hold(self.pbx, chan)
                    self.pbx.spawn(attended_transfer(self.pbx, chan), name="atxfer")
                return True
        if any(code.startswith(buf) for code in codes.values()):
            chan.variables["\x00features"] = buf
            return True
        chan.variables["\x00features"] = ""
        return False


def general(pbx: Pbx, key: str, default: str) -> str:
    sec = pbx.config.features.get("general")
    return (sec.get(key) if sec else None) or default


async def _collect(pbx: Pbx, chan: Channel, context: str) -> str | None:
    timeout = float(general(pbx, "transferdigittimeout", "3"))
    for _ in range(TRIES):
        await chan.sleep(PROMPT)
        digits = ""
        while True:
            digit = await chan.wait_digit(timeout)
            if digit is None:
                break
            if digit not in "0123456789*#":
                continue
            digits += digit
            if pbx.has_extension(context, digits) and not _can_match_more(pbx, context, digits):
                return digits
        if digits and pbx.has_extension(context, digits):
            return digits
    return None


def _can_match_more(pbx: Pbx, context: str, digits: str) -> bool:
    return any(pbx.has_extension(context, digits + d) for d in "0123456789")


def _merge(pbx: Pbx, into: Bridge, source: Bridge, movers: list[Channel]) -> None:
    pbx.emit("BridgeMerge", "call,all", [*bridge_block(into, "To"), *bridge_block(source, "From")])
    for chan in movers:
        pbx.bridge_leave(chan)
        pbx.bridge_enter(into, chan)


def _hold(pbx: Pbx, xferer: Channel) -> None:
    """Feature code recognised: the transferer is on hold, the others hear music (05c)."""
    original = xferer.bridge
    if original is None:
        return
    original.hold_open = True
    pbx.chan_event("Hold", xferer)
    for c in original.channels:
        if c is not xferer:
            pbx.chan_event("MusicOnHoldStart", c, ("Class", "default"))


async def attended_transfer(pbx: Pbx, xferer: Channel) -> None:
    original = xferer.bridge
    if original is None:
        xferer.in_feature = False
        return
    held = [c for c in original.channels if c is not xferer]
    context = xferer.variables.get("TRANSFER_CONTEXT") or xferer.context
    try:
        target = await _collect(pbx, xferer, context)
    except Exception:  # noqa: BLE001 - transferer hung up while dialing: just unhold the others
        target = None
    if target is None:
        _unhold(pbx, xferer, original, held, back=False)
        return
    one, two = pbx.new_local_pair(f"{target}@{context}", linkedid=xferer.linkedid)
    one.owned = True
    pbx.set_callerid(two, xferer.caller_num, xferer.caller_name)
    pbx.set_connected(one, xferer.caller_num, xferer.caller_name)
    consult = pbx.create_bridge()
    one.before_up = lambda: pbx.bridge_enter(consult, one)  # enters while still Down (fact 33)
    pbx.start_dialplan(two)
    answered = await _until(pbx, lambda: one.state == UP or not one.alive, one.answered, one.hangup_event, limit=NO_ANSWER)
    if not answered or not one.alive:
        one.owned = False
        pbx.destroy(one, 0)
        pbx.destroy_bridge(consult)
        _unhold(pbx, xferer, original, held, back=False)
        return
    pbx.emit("DialEnd", "call,all", [*channel_block(one, "Dest"), ("DialStatus", "ANSWER")])
    pbx.bridge_leave(xferer)
    pbx.bridge_enter(consult, xferer)
    pbx.update_connected(xferer, one.caller_num, one.caller_name)
    await _consult(pbx, xferer, one, original, consult, held)


async def _until(pbx: Pbx, done, *events: asyncio.Event, limit: float | None = None) -> bool:
    end = None if limit is None else pbx.clock.now() + limit
    while not done():
        left = None if end is None else end - pbx.clock.now()
        if left is not None and left <= 0:
            return False
        waiters = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(waiters, timeout=None if left is None else pbx.clock.real_seconds(left),
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
    return True


async def _consult(pbx: Pbx, xferer: Channel, target: Channel, original: Bridge, consult: Bridge, held: list[Channel]) -> None:
    codes = {general(pbx, "atxferabort", "*1"): "abort", general(pbx, "atxfercomplete", "*2"): "complete",
             general(pbx, "atxferthreeway", "*3"): "threeway", general(pbx, "atxferswap", "*4"): "swap"}
    buf = ""
    while True:
        get = asyncio.ensure_future(xferer.dtmf.get())
        gone = [asyncio.ensure_future(c.hangup_event.wait()) for c in (xferer, target)]
        try:
            done, _ = await asyncio.wait({get, *gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in (get, *gone):
                w.cancel()
            await asyncio.gather(get, *gone, return_exceptions=True)
        if not xferer.alive:
            _complete(pbx, xferer, target, original, consult, held, "Bridge")
            return
        if not target.alive:
            pbx.bridge_leave(target)
            target.owned = False
            pbx.destroy(target)
            pbx.destroy_bridge(consult)
            _unhold(pbx, xferer, original, held, back=True)
            return
        if get in done and not get.cancelled():
            buf += get.result()
            action = codes.get(buf)
            if action is None and not any(code.startswith(buf) for code in codes):
                buf = ""
            if action == "threeway":
                _complete(pbx, xferer, target, original, consult, held, "Threeway")
                return
            if action == "complete":
                _complete(pbx, xferer, target, original, consult, held, "Bridge")
                xferer.owned = False
                pbx.request_hangup(xferer, 16)
                return
            if action == "abort":
                pbx.bridge_leave(target)
                target.owned = False
                pbx.destroy(target, 16)
                pbx.destroy_bridge(consult)
                _unhold(pbx, xferer, original, held, back=True)
                return


def _complete(pbx: Pbx, xferer: Channel, target: Channel, original: Bridge, consult: Bridge, held: list[Channel], dest: str) -> None:
    if dest == "Bridge" and xferer.bridge is consult:
        pbx.bridge_leave(xferer)
    movers = [c for c in consult.channels if c is target] + [c for c in consult.channels if c is not target]
    _merge(pbx, original, consult, movers)
    if len(original.channels) >= 3:
        original.technology = "softmix"
    for c in held:
        if c.alive:
            pbx.chan_event("MusicOnHoldStop", c)
    transferee = held[0] if held else target
    if dest == "Bridge":
        pbx.update_connected(transferee, target.caller_num, target.caller_name)
        pbx.update_connected(target, transferee.caller_num, transferee.caller_name)
    fields = [("Result", "Success"), *channel_block(xferer, "OrigTransferer"), *bridge_block(original, "Orig"),
              *channel_block(xferer, "SecondTransferer"), *bridge_block(consult, "Second"), *channel_block(transferee, "Transferee")]
    if dest == "Threeway":
        fields += channel_block(target, "TransferTarget")
    fields += [("IsExternal", "No"), ("DestType", dest), ("DestBridgeUniqueid", original.uniqueid)]
    if dest == "Threeway":
        fields.append(("DestTransfererChannel", xferer.name))
    pbx.emit("AttendedTransfer", "call,all", fields)
    pbx.destroy_bridge(consult)
    original.hold_open = False
    original.touch()
    xferer.in_feature = False
    if dest == "Bridge" and not xferer.alive:
        xferer.owned = False
        pbx.destroy(xferer)


def _unhold(pbx: Pbx, xferer: Channel, original: Bridge, held: list[Channel], *, back: bool) -> None:
    if back and xferer.alive and xferer.bridge is not original:
        if xferer.bridge is not None:
            pbx.bridge_leave(xferer)
        pbx.bridge_enter(original, xferer)
    if xferer.alive:
        pbx.chan_event("Unhold", xferer)
    for c in held:
        if c.alive:
            pbx.chan_event("MusicOnHoldStop", c)
    original.hold_open = False
    original.touch()
    xferer.in_feature = False
