"""Typed AGI commands: each knows its wire line and how to read its 200 reply.

A command is a plain value, so a call flow can `yield` it and a test can check `.line`
and feed `.result(parse_reply(b"200 result=..."))` without any socket.
Class flags tell the session how to run it: `dead_ok` commands still work after HANGUP
(Asterisk answers them on a dead channel), `media` ones may take as long as a prompt,
`hangup_sensitive` ones answer -1 when the caller hangs up mid-command.
"""
from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from .errors import CommandFailed, UnknownApplication
from .protocol import AgiReply, dtmf, encode_command, quote, token
from .results import ChannelState, DigitsResult, PlaybackResult, RecordOutcome, RecordResult

T = TypeVar("T")


class Command(Generic[T]):
    __slots__ = ("line",)
    dead_ok: ClassVar[bool] = False
    media: ClassVar[bool] = False
    hangup_sensitive: ClassVar[bool] = False
    line: bytes

    def result(self, reply: AgiReply) -> T:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.line!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.line == self.line  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.line))


def _digit(code: int) -> str | None:
    return chr(code) if code > 0 else None


def _playback(reply: AgiReply) -> PlaybackResult:
    code = reply.number()
    return PlaybackResult(_digit(code), reply.endpos, failed=code < 0)


def _checked(reply: AgiReply, what: str) -> int:
    code = reply.number()
    if code < 0:
        raise CommandFailed(f"{what} failed (result {code})")
    return code


class Answer(Command[None]):
    __slots__ = ()
    hangup_sensitive = True
    line = b"ANSWER\n"

    def result(self, reply: AgiReply) -> None:
        _checked(reply, "ANSWER")


class Hangup(Command[None]):
    __slots__ = ()
    line = b"HANGUP\n"

    def result(self, reply: AgiReply) -> None:
        return None


class Noop(Command[None]):
    __slots__ = ()
    dead_ok = True
    line = b"NOOP\n"

    def result(self, reply: AgiReply) -> None:
        return None


class ChannelStatus(Command["ChannelState | None"]):
    """State of our channel, or of `channel`; None when that channel does not exist."""

    __slots__ = ()

    def __init__(self, channel: str | None = None) -> None:
        text = "CHANNEL STATUS" if channel is None else f"CHANNEL STATUS {token(channel, 'channel')}"
        self.line = encode_command(text)

    def result(self, reply: AgiReply) -> ChannelState | None:
        code = reply.number()
        return None if code < 0 else ChannelState(code)


class StreamFile(Command[PlaybackResult]):
    """Escape digits are always sent (Asterisk answers 520 without them); "" = not interruptible."""

    __slots__ = ()
    media = True
    hangup_sensitive = True

    def __init__(self, file: str, escape_digits: str = "", offset: int | None = None) -> None:
        text = f"STREAM FILE {token(file, 'file')} {quote(dtmf(escape_digits))}"
        if offset is not None:
            text = f"{text} {int(offset)}"
        self.line = encode_command(text)

    def result(self, reply: AgiReply) -> PlaybackResult:
        return _playback(reply)


class GetData(Command[DigitsResult]):
    __slots__ = ()
    media = True
    hangup_sensitive = True

    def __init__(self, file: str, timeout_ms: int | None = None, max_digits: int | None = None) -> None:
        text = f"GET DATA {token(file, 'file')}"
        if timeout_ms is not None or max_digits is not None:
            text = f"{text} {int(timeout_ms if timeout_ms is not None else 0)}"
        if max_digits is not None:
            text = f"{text} {int(max_digits)}"
        self.line = encode_command(text)

    def result(self, reply: AgiReply) -> DigitsResult:
        if reply.result == "-1":
            raise CommandFailed("GET DATA failed (result -1)")
        return DigitsResult(reply.result, timed_out=reply.data == "timeout")


class WaitForDigit(Command["str | None"]):
    """The pressed digit, or None on timeout. `timeout_ms=-1` waits forever."""

    __slots__ = ()
    media = True
    hangup_sensitive = True

    def __init__(self, timeout_ms: int) -> None:
        self.line = encode_command(f"WAIT FOR DIGIT {int(timeout_ms)}")

    def result(self, reply: AgiReply) -> str | None:
        return _digit(_checked(reply, "WAIT FOR DIGIT"))


class RecordFile(Command[RecordResult]):
    """Hang-up is a normal outcome here (a citizen's message ends that way), not an exception."""

    __slots__ = ()
    media = True

    def __init__(self, file: str, fmt: str = "wav", escape_digits: str = "#", timeout_ms: int = -1, *,
                 offset: int | None = None, beep: bool = False, silence_s: int | None = None) -> None:
        parts = ["RECORD FILE", token(file, "file"), token(fmt, "format"), quote(dtmf(escape_digits)),
                 str(int(timeout_ms))]
        if offset is not None or beep:
            parts.append(str(int(offset or 0)))
        if beep:
            parts.append("BEEP")
        if silence_s is not None:
            parts.append(f"s={int(silence_s)}")
        self.line = encode_command(" ".join(parts))

    def result(self, reply: AgiReply) -> RecordResult:
        code = reply.number()
        if reply.data == "dtmf":
            return RecordResult(RecordOutcome.DTMF, reply.endpos, _digit(code))
        if reply.data == "timeout":
            outcome = RecordOutcome.SILENCE if code > 0 else RecordOutcome.TIMEOUT
            return RecordResult(outcome, reply.endpos)
        if reply.data == "hangup":
            return RecordResult(RecordOutcome.HANGUP, reply.endpos)
        if reply.data == "writefile":
            return RecordResult(RecordOutcome.WRITEFILE_ERROR, reply.endpos)
        return RecordResult(RecordOutcome.ERROR, reply.endpos)


class SayDigits(Command[PlaybackResult]):
    __slots__ = ()
    media = True
    hangup_sensitive = True

    def __init__(self, digits: str, escape_digits: str = "") -> None:
        if not digits.isdigit() or not digits.isascii():
            raise ValueError(f"SAY DIGITS needs ASCII digits: {digits!r}")
        self.line = encode_command(f"SAY DIGITS {digits} {quote(dtmf(escape_digits))}")

    def result(self, reply: AgiReply) -> PlaybackResult:
        return _playback(reply)


class SayNumber(Command[PlaybackResult]):
    __slots__ = ()
    media = True
    hangup_sensitive = True

    def __init__(self, number: int, escape_digits: str = "") -> None:
        self.line = encode_command(f"SAY NUMBER {int(number)} {quote(dtmf(escape_digits))}")

    def result(self, reply: AgiReply) -> PlaybackResult:
        return _playback(reply)


class SetVariable(Command[None]):
    """The value is free text (caller names, transcripts): always quoted, never able to end the line."""

    __slots__ = ()
    dead_ok = True

    def __init__(self, name: str, value: Any) -> None:
        self.line = encode_command(f"SET VARIABLE {token(name, 'variable name')} {quote(str(value))}")

    def result(self, reply: AgiReply) -> None:
        return None


class GetVariable(Command["str | None"]):
    """None = unset, "" = set but empty."""

    __slots__ = ()
    dead_ok = True

    def __init__(self, name: str) -> None:
        self.line = encode_command(f"GET VARIABLE {token(name, 'variable name')}")

    def result(self, reply: AgiReply) -> str | None:
        return reply.data if reply.number() == 1 else None


class GetFullVariable(Command["str | None"]):
    """Evaluates a dialplan expression; never build `expression` from caller input."""

    __slots__ = ()
    dead_ok = True

    def __init__(self, expression: str, channel: str | None = None) -> None:
        text = f"GET FULL VARIABLE {token(expression, 'expression')}"
        if channel is not None:
            text = f"{text} {token(channel, 'channel')}"
        self.line = encode_command(text)

    def result(self, reply: AgiReply) -> str | None:
        return reply.data if reply.number() == 1 else None


class Exec(Command[int]):
    """Runs a dialplan application; `args` are joined with ',' and each may not contain one."""

    __slots__ = ()
    dead_ok = True
    media = True
    hangup_sensitive = True

    def __init__(self, application: str, *args: Any) -> None:
        texts = [str(arg) for arg in args]
        if any("," in text for text in texts):
            raise ValueError("EXEC arguments may not contain ',' (it would add application arguments)")
        text = f"EXEC {token(application, 'application')}"
        if texts:
            text = f"{text} {quote(','.join(texts))}"
        self.line = encode_command(text)

    def result(self, reply: AgiReply) -> int:
        code = reply.number()
        if code == -2:
            raise UnknownApplication(f"Asterisk has no application for {self.line!r}")
        return code


class Verbose(Command[None]):
    __slots__ = ()
    dead_ok = True

    def __init__(self, message: str, level: int = 1) -> None:
        self.line = encode_command(f"VERBOSE {quote(message)} {int(level)}")

    def result(self, reply: AgiReply) -> None:
        return None
