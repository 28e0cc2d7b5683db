"""Further common IVR applications: Read, SayDigits/SayNumber, ExecIf, GotoIfTime, Busy/Congestion, MSet."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..channels import UP
from ..expressions import is_true
from .basic import HANGUP, play_prompts

if TYPE_CHECKING:
    from ..channels import Channel
    from ..pbx import Pbx


async def read_app(pbx: Pbx, chan: Channel, data: str) -> None:
    """Read(var[,prompts[,maxdigits[,options[,attempts[,timeout]]]]]) → var, READSTATUS."""
    parts = data.split(",") + [""] * 6
    var, prompts, maxd, _opts, attempts, timeout = parts[:6]
    maxdigits = int(maxd) if maxd.strip().isdigit() and int(maxd) > 0 else 255
    tries = int(attempts) if attempts.strip().isdigit() and int(attempts) > 0 else 1
    wait_s = float(timeout) if timeout.strip() else 6.0
    if chan.state != UP:
        pbx.answer(chan)
    digits = ""
    for _ in range(tries):
        _, first = await play_prompts(pbx, chan, [p for p in prompts.split("&") if p], escape="0123456789*#")
        digits = "" if first in (None, "#") else first
        while len(digits) < maxdigits and first != "#":
            digit = await chan.wait_digit(wait_s)
            if digit is None or digit == "#":
                break
            digits += digit
        if digits:
            break
    pbx.set_var(chan, var.strip(), digits)
    pbx.set_var(chan, "READSTATUS", "OK" if digits else "TIMEOUT")


async def say_digits(pbx: Pbx, chan: Channel, data: str) -> None:
    await play_prompts(pbx, chan, [f"digits/{d}" for d in data.split(",")[0] if d.isdigit()])


async def say_number(pbx: Pbx, chan: Channel, data: str) -> None:
    num = data.split(",")[0].strip()
    files = [f"digits/{num}"] if num.isdigit() and int(num) <= 20 else [f"digits/{d}" for d in num if d.isdigit()]
    await play_prompts(pbx, chan, files)


async def exec_if(pbx: Pbx, chan: Channel, data: str) -> str | None:
    from . import APPLICATIONS

    cond, _, rest = data.partition("?")
    yes, _, no = rest.partition(":")
    chosen = yes if is_true(cond) else no
    if not chosen.strip():
        return None
    name, _, args = chosen.partition("(")
    app = APPLICATIONS.get(name.strip().lower())
    return await app(pbx, chan, args.rstrip(")")) if app else None


def _in_range(value: int, spec: str, names: dict[str, int] | None = None) -> bool:
    spec = spec.strip().lower()
    if spec in ("", "*"):
        return True
    for part in spec.split("&"):
        lo, _, hi = part.partition("-")
        a = names.get(lo, -1) if names else int(lo)
        b = (names.get(hi, -1) if names else int(hi)) if hi else a
        if (a <= value <= b) if a <= b else (value >= a or value <= b):
            return True
    return False


DAYS = {d: i for i, d in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])}
MONTHS = {m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}


def time_matches(now: float, spec: str) -> bool:
    """`times,weekdays,mdays,months[,timezone]` like GotoIfTime/include time conditions (local time)."""
    times, days, mdays, months = (spec.split(",") + ["*"] * 4)[:4]
    t = time.localtime(now)
    minute = t.tm_hour * 60 + t.tm_min
    if times.strip() not in ("", "*"):
        start, _, end = times.partition("-")
        a = int(start[:2]) * 60 + int(start[3:5])
        b = int(end[:2]) * 60 + int(end[3:5]) if end else a
        if not (a <= minute <= b if a <= b else minute >= a or minute <= b):
            return False
    return (_in_range(t.tm_wday, days, DAYS) and _in_range(t.tm_mday, mdays) and _in_range(t.tm_mon, months, MONTHS))


async def goto_if_time(pbx: Pbx, chan: Channel, data: str) -> str | None:
    from ..dialplan_exec import goto_target

    cond, _, rest = data.partition("?")
    yes, _, no = rest.partition(":")
    target = yes if time_matches(pbx.clock.now(), cond.replace("|", ",")) else no
    if target.strip() and not goto_target(pbx, chan, target):
        return HANGUP
    return None


async def busy(pbx: Pbx, chan: Channel, data: str) -> str:
    pbx.request_hangup(chan, 17)
    return HANGUP


async def congestion(pbx: Pbx, chan: Channel, data: str) -> str:
    pbx.request_hangup(chan, 34)
    return HANGUP


async def mset(pbx: Pbx, chan: Channel, data: str) -> None:
    from ..dialplan_exec import set_variable

    for pair in data.split(","):
        name, sep, value = pair.partition("=")
        if sep:
            set_variable(pbx, chan, name, value)


MORE_APPS = {"read": read_app, "saydigits": say_digits, "saynumber": say_number, "execif": exec_if,
             "gotoiftime": goto_if_time, "busy": busy, "congestion": congestion, "mset": mset}
