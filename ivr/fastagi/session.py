"""One FastAGI call: send a command, read its reply, track whether the caller is still there.

Replies are read inline by the calling task (no reader task per call: cheaper, and a reply
can only ever belong to the one command in flight). A `HANGUP` line seen while reading
flips the session into dead mode: Asterisk then answers channel commands with 511, so we
raise ChannelHungUp for them without a round trip; variables, VERBOSE, NOOP and EXEC still go out.
"""
from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Coroutine
from typing import Any, TypeVar

from . import commands as c
from .deadlines import Deadlines
from .environment import AgiEnvironment
from .errors import (
    ChannelHungUp,
    CommandTimeout,
    CommandUsageError,
    ConnectionLost,
    FastAgiError,
    MalformedReply,
    UnknownCommand,
)
from .limits import Limits
from .protocol import HANGUP, AgiReply, HangupNotice, ReplyReader
from .results import ChannelState, DigitsResult, PlaybackResult, RecordResult

T = TypeVar("T")


class AgiSession:
    """The typed helpers (`answer()`, `stream_file()`...) return `run(...)`'s coroutine directly."""

    __slots__ = ("env", "limits", "commands_sent", "deadline", "_reader", "_writer", "_replies", "_log", "_dead",
                 "_broken", "_deadlines", "_expired")

    def __init__(self, env: AgiEnvironment, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 limits: Limits | None = None, logger: logging.Logger | None = None,
                 deadlines: Deadlines | None = None) -> None:
        """With `deadlines` (the server's sweep) the session is watched and sets `deadline` per
        command; without, each command gets its own asyncio.timeout (fine outside the server)."""
        self.env = env
        self.limits = limits or Limits()
        self._reader = reader
        self._writer = writer
        self._replies = ReplyReader(self.limits.max_usage_lines)
        self._log = logger or logging.getLogger("ivr.fastagi")
        self._dead = False
        self._broken: FastAgiError | None = None
        self._deadlines = deadlines
        self._expired = False
        self.deadline = math.inf
        self.commands_sent = 0

    @property
    def dead(self) -> bool:
        """True once Asterisk said HANGUP (or our HANGUP succeeded)."""
        return self._dead

    @property
    def usable(self) -> bool:
        return self._broken is None

    async def run(self, command: c.Command[T]) -> T:
        """Send `command`, return its typed result.

        Kept in one coroutine with `_read_reply` (no per-step helpers): every coroutine alive
        while a prompt plays survives into older GC generations, and with 1000 calls the
        resulting full collections were a measurable share of CPU.
        """
        if self._broken is not None:
            raise ConnectionLost(f"session unusable after {self._broken.error_id}") from self._broken
        was_dead = self._dead
        line = command.line
        if was_dead and not command.dead_ok:
            raise ChannelHungUp(f"channel hung up; not sending {line!r}")
        limit_s = self.limits.media_timeout if command.media else self.limits.command_timeout
        deadlines = self._deadlines
        try:
            self._writer.write(line)
            self.commands_sent += 1
            if deadlines is None:
                async with asyncio.timeout(limit_s):
                    reply = await self._read_reply()
            else:
                self.deadline = deadlines.clock() + limit_s
                try:
                    reply = await self._read_reply()
                finally:
                    self.deadline = math.inf
        except TimeoutError:
            raise self._break(CommandTimeout(f"no reply to {line!r} within {limit_s} s")) from None
        except (MalformedReply, ConnectionLost, ConnectionError, OSError) as exc:
            if self._expired:
                raise self._break(CommandTimeout(f"no reply to {line!r} within {limit_s} s")) from None
            if not isinstance(exc, FastAgiError):
                exc = ConnectionLost(f"socket error during {line!r}: {exc}")
            raise self._break(exc) from None
        code = reply.code
        if code == 200:
            if reply.result == "-1" and command.hangup_sensitive and not was_dead:
                if not self._dead:
                    await self._await_hangup_notice()
                if self._dead:
                    raise ChannelHungUp(f"caller hung up during {line!r}")
            if type(command) is c.Hangup:
                self._dead = True
            return command.result(reply)
        if code == 511:
            self._dead = True
            raise ChannelHungUp(reply.text)
        if code == 510:
            raise UnknownCommand(510, reply.text, line)
        raise CommandUsageError(code, reply.text, line)

    async def _read_reply(self) -> AgiReply:
        """The reply to the command just written; HANGUP lines met on the way flip dead mode."""
        await self._writer.drain()
        readline = self._reader.readline
        while True:
            try:
                raw = await readline()
            except ValueError:
                raise MalformedReply(f"reply line over {self.limits.max_header_bytes} bytes") from None
            if not raw.endswith(b"\n"):
                raise ConnectionLost("Asterisk closed the AGI connection")
            item = self._replies.feed(raw)
            if item is None:
                continue
            if item is HANGUP:
                self._dead = True
                continue
            return item  # type: ignore[return-value]

    def expire(self) -> None:
        """Called by the deadline sweep: the reply is overdue, give up on this socket."""
        self._expired = True
        self._writer.close()

    async def _next_line(self) -> bytes:
        try:
            line = await self._reader.readline()
        except ValueError:
            raise MalformedReply(f"reply line over {self.limits.max_header_bytes} bytes") from None
        if not line.endswith(b"\n"):
            raise ConnectionLost("Asterisk closed the AGI connection")
        return line

    async def _await_hangup_notice(self) -> None:
        """After a -1 the HANGUP line, if any, follows within tens of milliseconds."""
        try:
            async with asyncio.timeout(self.limits.hangup_grace):
                item = self._replies.feed(await self._next_line())
        except TimeoutError:
            return
        except ConnectionLost:
            self._dead = True
            return
        except MalformedReply as exc:
            raise self._break(exc) from None
        if isinstance(item, HangupNotice):
            self._dead = True
        else:
            raise self._break(MalformedReply(f"unsolicited reply {item!r}"))

    async def fail(self) -> None:
        """End the AGI with AGISTATUS=FAILURE: res_agi's run_agi stops on a line starting `failure`."""
        self._writer.write(b"FAILURE\n")
        await self._writer.drain()

    def _break(self, error: FastAgiError) -> FastAgiError:
        """Replies can no longer be paired with commands: stop using this socket."""
        self._broken = error
        self._writer.close()
        self._log.warning("fastagi session %s closed: %s %s", self.env.uniqueid, error.error_id, error)
        return error

    def answer(self) -> Coroutine[Any, Any, None]:
        return self.run(c.Answer())

    def hangup(self) -> Coroutine[Any, Any, None]:
        return self.run(c.Hangup())

    def noop(self) -> Coroutine[Any, Any, None]:
        return self.run(c.Noop())

    def channel_status(self, channel: str | None = None) -> Coroutine[Any, Any, ChannelState | None]:
        return self.run(c.ChannelStatus(channel))

    def stream_file(self, file: str, escape_digits: str = "",
                    offset: int | None = None) -> Coroutine[Any, Any, PlaybackResult]:
        return self.run(c.StreamFile(file, escape_digits, offset))

    def get_data(self, file: str, timeout_ms: int | None = None,
                 max_digits: int | None = None) -> Coroutine[Any, Any, DigitsResult]:
        return self.run(c.GetData(file, timeout_ms, max_digits))

    def wait_for_digit(self, timeout_ms: int) -> Coroutine[Any, Any, str | None]:
        return self.run(c.WaitForDigit(timeout_ms))

    def record_file(self, file: str, fmt: str = "wav", escape_digits: str = "#", timeout_ms: int = -1,
                    **options: Any) -> Coroutine[Any, Any, RecordResult]:
        return self.run(c.RecordFile(file, fmt, escape_digits, timeout_ms, **options))

    def say_digits(self, digits: str, escape_digits: str = "") -> Coroutine[Any, Any, PlaybackResult]:
        return self.run(c.SayDigits(digits, escape_digits))

    def say_number(self, number: int, escape_digits: str = "") -> Coroutine[Any, Any, PlaybackResult]:
        return self.run(c.SayNumber(number, escape_digits))

    def set_variable(self, name: str, value: Any) -> Coroutine[Any, Any, None]:
        return self.run(c.SetVariable(name, value))

    def get_variable(self, name: str) -> Coroutine[Any, Any, str | None]:
        return self.run(c.GetVariable(name))

    def get_full_variable(self, expression: str,
                          channel: str | None = None) -> Coroutine[Any, Any, str | None]:
        return self.run(c.GetFullVariable(expression, channel))

    def exec(self, application: str, *args: Any) -> Coroutine[Any, Any, int]:
        return self.run(c.Exec(application, *args))

    def verbose(self, message: str, level: int = 1) -> Coroutine[Any, Any, None]:
        return self.run(c.Verbose(message, level))
