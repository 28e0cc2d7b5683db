"""What the front end knows about a call before asking anything: pure functions over the AGI env."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ivr.fastagi import AgiEnvironment

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SEPARATORS = re.compile(r"[\s\-().]")
_NUMBER = re.compile(r"\+?[0-9]{1,32}")
_UNIQUEID = re.compile(r"(?:^|-)(\d{9,11})\.\d+$")
_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class CallInfo:
    line: str | None       # number dialed (agi_arg_1 = ${HOTLINE_LINE}, else agi_extension)
    caller: str | None     # digits and a leading + only; None when withheld or not a number
    uniqueid: str | None
    language: str | None   # the channel's language when the AGI started
    channel: str | None = None  # agi_channel: the ledger follows this channel's emergency Dial()


def caller_number(raw: str | None) -> str | None:
    """A caller id as tickets accept it, or None: control characters, separators, names dropped.

    Carriers sometimes put a name (张三) or garbage in the number field; the call must still be taken.
    """
    if raw is None:
        return None
    text = _SEPARATORS.sub("", _CONTROL.sub("", raw))
    return text if _NUMBER.fullmatch(text) else None


def _line(env: AgiEnvironment) -> str | None:
    for candidate in (env.args[0] if env.args else None, env.extension, env.dnid):
        number = caller_number(candidate)
        if number and 3 <= len(number) <= 16:
            return number
    return None


def call_info(env: AgiEnvironment) -> CallInfo:
    return CallInfo(_line(env), caller_number(env.callerid), env.uniqueid, env.language, env.channel)


def call_started(linkedid: str | None, now: datetime, *, max_age: timedelta = timedelta(hours=2)) -> datetime:
    """Asterisk ids are `[system-]<epoch>.<seq>`: the Linkedid's epoch is when the call began.

    Falls back to `now` when the id is not of that shape or the clocks disagree (future/too old).
    """
    match = _UNIQUEID.search(linkedid or "")
    if match is None:
        return now
    started = datetime.fromtimestamp(int(match.group(1)), UTC)
    return started if now - max_age <= started <= now else now


def file_safe(text: str | None, fallback: str) -> str:
    """An id usable as a file name and as one AGI word."""
    cleaned = _SAFE_ID.sub("_", text or "").strip("._")
    return cleaned[:64] or fallback
