"""Server-side AMI wire format: request parsing and exact message formatting (pure).

Mirrors manager.c of Asterisk 22: lines up to 1024 bytes, at most 128 header lines,
CRLF or bare LF, case-insensitive header names, optional space after the colon,
first duplicate header wins.
"""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_LINE = 1024
MAX_HEADERS = 128
BANNER = b"Asterisk Call Manager/11.0.0\r\n"


@dataclass
class Request:
    """One AMI request: headers in arrival order, raw bytes values kept for exact echo."""

    headers: list[tuple[str, bytes]] = field(default_factory=list)
    too_many_lines: bool = False

    def get_raw(self, name: str) -> bytes | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def get(self, name: str, default: str = "") -> str:
        raw = self.get_raw(name)
        if raw is None:
            return default
        return raw.decode("utf-8", "replace")

    def has(self, name: str) -> bool:
        return self.get_raw(name) is not None

    def get_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [v.decode("utf-8", "replace") for k, v in self.headers if k.lower() == lname]

    @property
    def action(self) -> str:
        return self.get("Action").strip()

    @property
    def action_id(self) -> bytes | None:
        return self.get_raw("ActionID")


@dataclass
class LineTooLong:
    """A line over 1024 bytes: the whole message is dropped, the session survives."""


class RequestParser:
    """Incremental parser: feed bytes, get complete Requests / LineTooLong markers."""

    def __init__(self) -> None:
        self._buf = b""
        self._current = Request()
        self._discarding = False

    def feed(self, data: bytes) -> list[Request | LineTooLong]:
        self._buf += data
        out: list[Request | LineTooLong] = []
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > MAX_LINE and not self._discarding:
                    self._buf = b""
                    self._discarding = True
                    self._current = Request()
                    out.append(LineTooLong())
                elif self._discarding:
                    self._buf = b""
                return out
            line, self._buf = self._buf[:nl], self._buf[nl + 1 :]
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) > MAX_LINE and not self._discarding:
                self._discarding = True
                self._current = Request()
                out.append(LineTooLong())
            if line == b"":
                if self._discarding:
                    self._discarding = False
                else:
                    out.append(self._current)
                self._current = Request()
                continue
            if self._discarding:
                continue
            self._add_line(line)

    def _add_line(self, line: bytes) -> None:
        colon = line.find(b":")
        if colon < 0:
            return
        if len(self._current.headers) >= MAX_HEADERS:
            self._current.too_many_lines = True
            return
        name = line[:colon].decode("utf-8", "replace").strip()
        value = line[colon + 1 :]
        if value.startswith(b" "):
            value = value[1:]
        self._current.headers.append((name, value))


Value = str | bytes | int | float


def _enc(value: Value) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def format_message(headers: list[tuple[str, Value]]) -> bytes:
    """`Key: Value\\r\\n` lines plus the terminating empty line."""
    return b"".join(_enc(k) + b": " + _enc(v) + b"\r\n" for k, v in headers) + b"\r\n"


def response(status: str, action_id: bytes | None, *rest: tuple[str, Value]) -> list[tuple[str, Value]]:
    """Response header list: Response first, ActionID (if any) second (fact 2)."""
    headers: list[tuple[str, Value]] = [("Response", status)]
    if action_id is not None:
        headers.append(("ActionID", action_id))
    headers.extend(rest)
    return headers


def error(action_id: bytes | None, message: str) -> list[tuple[str, Value]]:
    return response("Error", action_id, ("Message", message))


def success(action_id: bytes | None, message: str | None = None, *rest: tuple[str, Value]) -> list[tuple[str, Value]]:
    extra = [("Message", message)] if message is not None else []
    return response("Success", action_id, *extra, *rest)
