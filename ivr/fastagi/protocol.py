"""FastAGI wire format (pure): reply lines in, typed replies out; safe command lines out.

Everything is LF-only. Command arguments are tokenised by res_agi's parse_args: space/tab
separate words, `"` toggles quoting, `\\` makes the next character literal. A line is read
into a 2048-byte buffer, so anything longer would be split and its tail run as a second
command. Hence: free text is always double-quoted with `\\` and `"` escaped and control
characters replaced, identifiers must be plain tokens, and lines are capped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from .errors import CommandTooLong, MalformedReply, UnsafeArgument

MAX_COMMAND_BYTES = 2047  # res_agi AGI_BUF_LEN 2048 minus the NUL, LF included
HANGUP_LINE = "HANGUP"
USAGE_END = "520 End of proper usage."

_REPLY_200 = re.compile(r"200 result=(\S*)(?: \((.*)\))?(?: endpos=(-?\d+))?")
_TOKEN = re.compile(r'[^\s"\\\x00-\x1f\x7f-\x9f]+')
_DTMF = re.compile(r"[0-9*#A-Da-d]*")
_CONTROL = MappingProxyType(
    {**{c: " " for c in [*range(0x20), *range(0x7F, 0xA0)]}, 0x2028: " ", 0x2029: " "}
)


@dataclass(slots=True)
class AgiReply:
    """One reply: `200 result=<result>[ (<data>)][ endpos=<n>]`, or 510/511/520 with `text`.

    Treat as immutable; not `frozen=True` only because one is built per command and frozen
    dataclass construction costs three times as much.
    """

    code: int
    result: str = ""
    data: str | None = None
    endpos: int | None = None
    text: str = ""

    def number(self) -> int:
        try:
            return int(self.result)
        except ValueError:
            raise MalformedReply(f"result is not a number: {self.result!r}") from None


@dataclass(frozen=True, slots=True)
class HangupNotice:
    """The `HANGUP` line Asterisk sends (possibly between replies) when the channel hangs up."""


HANGUP = HangupNotice()


class ReplyReader:
    """Line-fed state machine; `feed` returns a reply/notice when one is complete, else None."""

    __slots__ = ("_usage", "_max_usage_lines")

    def __init__(self, max_usage_lines: int = 200) -> None:
        self._usage: list[str] | None = None
        self._max_usage_lines = max_usage_lines

    def feed(self, line: bytes) -> AgiReply | HangupNotice | None:
        if line[:11] == b"200 result=" and self._usage is None and b" " not in line[11:]:
            return AgiReply(200, line[11:].rstrip(b"\r\n").decode("utf-8", "replace"))
        text = line.decode("utf-8", "replace")
        if text.endswith("\n"):
            text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
        if self._usage is not None:
            if text.startswith("520 "):
                usage, self._usage = "\n".join(self._usage), None
                return AgiReply(520, text=usage)
            if len(self._usage) >= self._max_usage_lines:
                self._usage = None
                raise MalformedReply("520 usage text without its end line")
            self._usage.append(text)
            return None
        if text.startswith("200 "):
            match = _REPLY_200.fullmatch(text)
            if match is None:
                raise MalformedReply(f"unparsable 200 reply: {text[:120]!r}")
            result, data, endpos = match.groups()
            return AgiReply(200, result, data, None if endpos is None else int(endpos))
        if text == HANGUP_LINE:
            return HANGUP
        if text.startswith("520-"):
            self._usage = []
            return None
        code = text[:3]
        if code in ("510", "511", "520") and text[3:4] in (" ", ""):
            return AgiReply(int(code), text=text[4:])
        raise MalformedReply(f"unexpected line from Asterisk: {text[:120]!r}")


def parse_replies(stream: bytes, max_usage_lines: int = 200) -> list[AgiReply | HangupNotice]:
    """Every reply in an LF-separated byte stream (a whole trace, for instance)."""
    reader = ReplyReader(max_usage_lines)
    found = (reader.feed(line) for line in stream.split(b"\n")[:-1])
    return [item for item in found if item is not None]


def parse_reply(line: bytes) -> AgiReply | HangupNotice:
    item = ReplyReader().feed(line)
    if item is None:
        raise MalformedReply(f"incomplete reply: {line[:120]!r}")
    return item


def quote(text: str) -> str:
    """Free text as one double-quoted argument; control characters (CR, LF, NUL, tab...) become spaces."""
    if not text.isprintable():
        text = text.translate(_CONTROL)
    if '"' in text or "\\" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def token(value: str, what: str = "argument") -> str:
    """An identifier sent bare: must be one parse_args word with no quoting or escaping."""
    if not _TOKEN.fullmatch(value):
        raise UnsafeArgument(f"{what} must be a non-empty word without spaces, quotes, backslashes "
                             f"or control characters: {value!r}")
    return value


def dtmf(digits: str, what: str = "escape digits") -> str:
    if not _DTMF.fullmatch(digits):
        raise UnsafeArgument(f"{what} may only contain 0-9 * # A-D: {digits!r}")
    return digits


def encode_command(text: str) -> bytes:
    """One LF-terminated line from already-safe words, refusing lines res_agi would split."""
    line = (text + "\n").encode("utf-8", "replace")
    if len(line) > MAX_COMMAND_BYTES:
        raise CommandTooLong(f"AGI command of {len(line)} bytes exceeds {MAX_COMMAND_BYTES}")
    return line
