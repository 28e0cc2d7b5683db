"""Pure AMI wire protocol: an incremental reader (bytes -> Messages) and an action encoder.

Asterisk frames every message with CRLF lines and a blank line. The reader decodes whole
messages, never single reads, so a TCP read that ends inside a multi-byte UTF-8 character
cannot lose it (panoramisk 1.4 does lose it); invalid bytes become U+FFFD, never vanish.
"""
from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from hotline.ami.errors import AmiEncodeError, AmiMessageTooLarge, AmiProtocolError
from hotline.ami.message import Message, Source, lazy_message

BANNER_PREFIX = b"Asterisk Call Manager/"
TERMINATOR = b"\r\n\r\n"
DEFAULT_MAX_MESSAGE = 1 << 20
_MAX_BANNER = 256

# Where a new message starts inside junk: a line that opens with Event: or Response:.
# An oversized block that never got its blank line is dropped up to the next such line, so
# the valid message after it is read, not swallowed with it (issue 11.7).
_MESSAGE_START = re.compile(rb"\r\n(?=(?:Event|Response): )")
_MARKER_TAIL = len(b"\r\nResponse: ") - 1  # kept while skipping: a marker split across reads
_BAD_VALUE = re.compile(r"[\r\n\x00]")
_BAD_KEY = re.compile(r"[\r\n\x00:]|^\s|\s$")


class AmiReader:
    """Incremental parser: ``feed(bytes) -> list[Message]``.

    ``lazy=True`` defers header splitting to ``Message.parsed()`` (the client's hot path).
    Malformed blocks never raise out of ``feed``: they are recorded in ``errors`` (most recent
    first dropped beyond ``keep_errors``) and counted in ``error_count``, and reading goes on.
    """

    def __init__(self, max_message_size: int = DEFAULT_MAX_MESSAGE, source: Source | None = None,
                 keep_errors: int = 50, lazy: bool = False) -> None:
        self.max_message_size = max_message_size
        self.lazy = lazy
        self.source = source
        self.banner: str | None = None
        self.errors: deque[AmiProtocolError] = deque(maxlen=keep_errors)
        self.error_count = 0
        self.responses = 0
        """Responses among the messages returned by the last ``feed`` (0: all events)."""
        self._buf = b""
        self._expect_banner = True
        self._skipping = False

    @property
    def version(self) -> str | None:
        """AMI protocol version from the banner (``11.0.0`` on Asterisk 22)."""
        return self.banner.partition("/")[2] if self.banner else None

    @property
    def greeted(self) -> bool:
        """True once the first line has been seen (banner or not)."""
        return not self._expect_banner

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Message]:
        self.responses = 0
        buf = self._buf + data if self._buf else data
        if self._expect_banner:
            buf = self._take_banner(buf)
            if buf is None:
                return []
        if self._skipping:
            buf = self._skip_to_blank_line(buf)
            if buf is None:
                return []
        end = buf.rfind(TERMINATOR)
        if end < 0:
            self._buf = buf
            self._check_pending_size()
            return []
        self._buf = buf[end + 4:]
        if end > self.max_message_size:
            out = self._parse_checked(buf[:end])
        else:
            out = self._parse_text(buf[:end].decode("utf-8", "replace"))
        self._check_pending_size()
        return out

    def _parse_text(self, text: str) -> list[Message]:
        source = self.source
        lazy = self.lazy
        responses = 0
        out = []
        append = out.append
        make = lazy_message if lazy else Message
        for block in text.split("\r\n\r\n"):
            if block.startswith("Event: "):
                eol = block.find("\r\n")
                append(make(block, block[7:eol] if eol > 0 else block[7:], source))
            elif block.startswith("Response: "):
                append(make(block, None, source))
                responses += 1
            else:
                msg = self._parse_slow(block)
                if msg is not None:
                    append(msg)
                    responses += msg.event is None
        self.responses += responses
        return out

    def _parse_checked(self, raw: bytes) -> list[Message]:
        out: list[Message] = []
        for block in raw.split(TERMINATOR):
            if len(block) > self.max_message_size:
                self._error(AmiMessageTooLarge(f"message of {len(block)} bytes over the cap", block))
                block = self._last_message_in(block)  # an unterminated one may hide the next
            out.extend(self._parse_text(block.decode("utf-8", "replace")))
        return out

    def _last_message_in(self, block: bytes) -> bytes:
        """What follows the last message start inside an oversized block (b"" if none or too big).

        Only the last can be whole: each earlier one lacks its own blank line."""
        starts = list(_MESSAGE_START.finditer(block))
        if not starts:
            return b""
        tail = block[starts[-1].end():]
        return tail if len(tail) <= self.max_message_size else b""

    def _parse_slow(self, block: str) -> Message | None:
        """Blocks that do not start with Event:/Response: (never sent by a healthy Asterisk)."""
        items: list[tuple[str, str]] = []
        bad = 0
        for line in block.split("\r\n"):
            if not line:
                continue
            key, sep, value = line.partition(":")
            if not sep or not key:
                bad += 1
                continue
            items.append((key, value[1:] if value.startswith(" ") else value))
        if not items:
            if block.strip():
                self._error(AmiProtocolError("block without any 'Key: Value' line",
                                             block.encode("utf-8", "replace")))
            return None
        if bad:
            self._error(AmiProtocolError(f"{bad} line(s) without a colon ignored",
                                         block.encode("utf-8", "replace")))
        return Message.from_items(items, self.source)

    def _take_banner(self, buf: bytes) -> bytes | None:
        if not (buf.startswith(BANNER_PREFIX) or BANNER_PREFIX.startswith(buf)):
            self._expect_banner = False
            return buf
        eol = buf.find(b"\r\n")
        if eol < 0:
            if len(buf) > _MAX_BANNER:
                self._expect_banner = False
                return buf
            self._buf = buf
            return None
        self.banner = buf[:eol].decode("utf-8", "replace")
        self._expect_banner = False
        return buf[eol + 2:]

    def _skip_to_blank_line(self, buf: bytes) -> bytes | None:
        """Drop the rest of an oversized message: up to its blank line, or up to the start of
        the next message when it never got one."""
        idx = buf.find(TERMINATOR)
        start = _MESSAGE_START.search(buf, 0, idx if idx >= 0 else len(buf))
        if start is not None:
            self._skipping = False
            return buf[start.end():]
        if idx < 0:
            self._buf = buf[-_MARKER_TAIL:]
            return None
        self._skipping = False
        return buf[idx + 4:]

    def _check_pending_size(self) -> None:
        while len(self._buf) > self.max_message_size:
            self._error(AmiMessageTooLarge(
                f"unterminated message over {self.max_message_size} bytes; skipping to the next message",
                self._buf))
            starts = list(_MESSAGE_START.finditer(self._buf))
            if starts:  # a new message began after the oversized one: keep reading from it
                self._buf = self._buf[starts[-1].end():]
                continue
            self._buf = self._buf[-_MARKER_TAIL:]
            self._skipping = True

    def _error(self, err: AmiProtocolError) -> None:
        self.error_count += 1
        self.errors.append(err)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _check(key: str, value: str) -> None:
    if not key or _BAD_KEY.search(key):
        raise AmiEncodeError(f"forbidden character in AMI header name {key!r}")
    if _BAD_VALUE.search(value):
        raise AmiEncodeError(f"forbidden CR/LF/NUL in value of {key}: {value!r}")


def iter_fields(fields: Iterable[tuple[str, object]] | dict[str, object]) -> Iterable[tuple[str, str]]:
    """Normalise fields: None skipped, bools as true/false, list/tuple values repeat the key."""
    pairs = fields.items() if isinstance(fields, dict) else fields
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            for item in value:
                yield key, _text(item)
        else:
            yield key, _text(value)


def encode_action(action: str, fields: Iterable[tuple[str, object]] | dict[str, object] = (),
                  action_id: str | None = None) -> bytes:
    """``Action`` first, then ``ActionID``, then fields in order; CRLF lines and a blank line.

    Raises AmiEncodeError for CR/LF/NUL anywhere (so a caller-controlled caller ID name can never
    inject a header or a second action) and for a colon or edge whitespace in a key.
    """
    lines = [("Action", action)]
    if action_id is not None:
        lines.append(("ActionID", action_id))
    lines.extend(iter_fields(fields))
    out = []
    for key, value in lines:
        _check(key, value)
        out.append(f"{key}: {value}\r\n")
    out.append("\r\n")
    return "".join(out).encode("utf-8")
