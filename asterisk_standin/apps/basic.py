"""Core applications: NoOp, Answer, Ringing, Wait, Playback, Set, Goto(If), Gosub/Return, Hangup…"""
from __future__ import annotations

from typing import TYPE_CHECKING

import asyncio

from ..channels import UP
from ..expressions import is_true
from ..sounds import prompt_duration

if TYPE_CHECKING:
    from ..channels import Channel
    from ..pbx import Pbx

HANGUP = "hangup"


async def noop(pbx: Pbx, chan: Channel, data: str) -> None:
    return None


async def answer(pbx: Pbx, chan: Channel, data: str) -> None:
    """Answer; like ast_answer on a not-yet-up channel, wait up to 500 ms for the first media frame."""
    was_up = chan.state == UP
    pbx.answer(chan)
    if was_up:
        return
    peer = chan.peer
    if peer is None or not peer.alive:
        await chan.sleep(0.5)
        return
    media = asyncio.ensure_future(peer.media_started.wait())
    hung = asyncio.ensure_future(chan.attention.wait())
    try:
        await asyncio.wait({media, hung}, timeout=pbx.clock.real_seconds(0.5), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for fut in (media, hung):
            fut.cancel()
        await asyncio.gather(media, hung, return_exceptions=True)
    chan.check()


async def ringing(pbx: Pbx, chan: Channel, data: str) -> None:
    pbx.ringing(chan)


async def wait(pbx: Pbx, chan: Channel, data: str) -> None:
    try:
        seconds = float(data or 0)
    except ValueError:
        seconds = 0.0
    await chan.sleep(seconds)


async def play_prompts(pbx: Pbx, chan: Channel, files: list[str], escape: str = "") -> tuple[bool, str | None]:
    """Play files in order; returns (all found, interrupting digit)."""
    for name in files:
        seconds = prompt_duration(pbx.sounds_dir, name, chan.language, pbx.unknown_prompt_seconds)
        if seconds is None:
            return False, None
        chan.media_started.set()
        if escape:
            digit = await _wait_escape(chan, seconds, escape)
            if digit:
                return True, digit
        else:
            await chan.sleep(seconds)
    return True, None


async def _wait_escape(chan: Channel, seconds: float, escape: str) -> str | None:
    loop_end = chan.clock.now() + seconds
    while True:
        left = loop_end - chan.clock.now()
        if left <= 0:
            return None
        digit = await chan.wait_digit(left)
        if digit is None:
            return None
        if digit in escape:
            return digit


async def playback(pbx: Pbx, chan: Channel, data: str) -> None:
    files = [f for f in data.split(",")[0].split("&") if f]
    if chan.state != UP and "noanswer" not in data:
        pbx.answer(chan)
    ok, _ = await play_prompts(pbx, chan, files)
    pbx.set_var(chan, "PLAYBACKSTATUS", "SUCCESS" if ok else "FAILED")


async def background(pbx: Pbx, chan: Channel, data: str) -> None:
    from ..dialplan_exec import goto_target

    files = [f for f in data.split(",")[0].split("&") if f]
    if chan.state != UP:
        pbx.answer(chan)
    _, digit = await play_prompts(pbx, chan, files, escape="0123456789*#")
    if digit is not None:
        await _collect_and_goto(pbx, chan, digit, goto_target)


async def _collect_and_goto(pbx: Pbx, chan: Channel, first: str, goto_target) -> None:
    digits = first
    while pbx.has_extension(chan.context, digits + "X") or True:
        nxt = await chan.wait_digit(3.0)
        if nxt is None or nxt == "#":
            break
        digits += nxt
    if pbx.has_extension(chan.context, digits):
        goto_target(pbx, chan, f"{chan.context},{digits},1")
    elif pbx.has_extension(chan.context, "i"):
        goto_target(pbx, chan, f"{chan.context},i,1")


async def wait_exten(pbx: Pbx, chan: Channel, data: str) -> None:
    from ..dialplan_exec import goto_target

    try:
        seconds = float(data.split(",")[0] or 10)
    except ValueError:
        seconds = 10.0
    digit = await chan.wait_digit(seconds)
    if digit is None:
        if pbx.has_extension(chan.context, "t"):
            goto_target(pbx, chan, f"{chan.context},t,1")
        return
    await _collect_and_goto(pbx, chan, digit, goto_target)


async def set_app(pbx: Pbx, chan: Channel, data: str) -> None:
    from ..dialplan_exec import set_variable

    name, sep, value = data.partition("=")
    if sep:
        set_variable(pbx, chan, name, value)


async def goto(pbx: Pbx, chan: Channel, data: str) -> str | None:
    from ..dialplan_exec import goto_target

    if not goto_target(pbx, chan, data):
        return HANGUP
    return None


async def goto_if(pbx: Pbx, chan: Channel, data: str) -> str | None:
    from ..dialplan_exec import goto_target

    cond, _, rest = data.partition("?")
    yes, _, no = rest.partition(":")
    target = yes if is_true(cond) else no
    if target.strip() and not goto_target(pbx, chan, target):
        return HANGUP
    return None


async def gosub(pbx: Pbx, chan: Channel, data: str) -> str | None:
    from ..dialplan_exec import goto_target

    target, _, args = data.partition("(")
    args = args[:-1] if args.endswith(")") else args
    stack = chan.variables.setdefault("\x00gosub", "")
    chan.variables["\x00gosub"] = stack + f"{chan.context}\x01{chan.exten}\x01{chan.priority}\x02"
    for i, arg in enumerate(a for a in args.split(",") if args):
        chan.variables[f"ARG{i + 1}"] = arg
    if not goto_target(pbx, chan, target):
        return HANGUP
    return None


async def return_app(pbx: Pbx, chan: Channel, data: str) -> str | None:
    stack = chan.variables.get("\x00gosub", "")
    frames = [f for f in stack.split("\x02") if f]
    if not frames:
        return HANGUP
    context, exten, prio = frames[-1].split("\x01")
    chan.variables["\x00gosub"] = "".join(f + "\x02" for f in frames[:-1])
    chan.context, chan.exten, chan.priority = context, exten, int(prio)
    return None


async def hangup(pbx: Pbx, chan: Channel, data: str) -> str:
    cause = int(data) if data.strip().isdigit() else 16
    pbx.request_hangup(chan, cause)
    return HANGUP


async def music_on_hold(pbx: Pbx, chan: Channel, data: str) -> None:
    klass, _, dur = data.partition(",")
    pbx.chan_event("MusicOnHoldStart", chan, ("Class", klass or "default"))
    try:
        await chan.sleep(float(dur) if dur else 1e9)
    finally:
        if chan.alive:
            pbx.chan_event("MusicOnHoldStop", chan)


BASIC_APPS = {
    "noop": noop, "verbose": noop, "log": noop, "progress": noop, "answer": answer, "ringing": ringing,
    "wait": wait, "playback": playback, "background": background, "waitexten": wait_exten,
    "set": set_app, "goto": goto, "gotoif": goto_if, "gosub": gosub, "return": return_app,
    "hangup": hangup, "musiconhold": music_on_hold,
}
