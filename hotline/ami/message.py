"""One AMI message (Response or Event): ordered headers, duplicates kept, case-insensitive lookup."""
from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple


class Source(NamedTuple):
    """Where a message came from: the server name and the connection generation (1 = first connect)."""

    server: str
    generation: int


class Message:
    """Headers of one AMI message.

    ``msg["Key"]`` gives the first value (Asterisk itself lets the first duplicate win);
    ``getall`` gives every value of a repeated header (``Output``, ``Variable``, ``ChanVariable``).
    Headers are split lazily on first access: the reader only looks at the first line, so
    events no subscriber asks for never pay for header parsing.
    """

    __slots__ = ("_text", "_hd", "_items", "_lower", "_bad", "event", "source", "typed")

    def __init__(self, text: str, event: str | None = None, source: Source | None = None) -> None:
        self._text = text
        self.event = event
        self.source = source

    @classmethod
    def from_items(cls, items: list[tuple[str, str]], source: Source | None = None) -> Message:
        """Build from ordered (key, value) pairs (synthetic messages, slow-path parsing, tests)."""
        items = list(items)
        msg = cls("", items[0][1] if items and items[0][0] == "Event" else None, source)
        msg._text = "\r\n".join(f"{k}: {v}" for k, v in items)
        msg._set_items(items)
        msg._bad = 0
        return msg

    def _set_items(self, items: list[tuple[str, str]]) -> None:
        headers: dict[str, str] = {}
        for key, value in items:
            headers.setdefault(key, value)
        self._hd = headers
        self._items = items if len(headers) != len(items) else None

    @property
    def _h(self) -> dict[str, str]:
        try:
            return self._hd
        except AttributeError:
            return self._parse()

    @property
    def bad_lines(self) -> int:
        """Lines without a colon that parsing skipped (Asterisk never sends them)."""
        if self._h is not None:
            return getattr(self, "_bad", 0)
        return 0

    def _parse(self) -> dict[str, str]:
        lines = self._text.split("\r\n")
        headers: dict[str, str] = {}
        for line in lines:
            key, sep, value = line.partition(": ")
            if not sep:
                break
            headers[key] = value
        else:
            if len(headers) == len(lines):
                self._hd = headers
                self._items = None
                return headers
        items = []
        bad = 0
        for line in lines:
            key, sep, value = line.partition(":")
            if sep and key:
                items.append((key, value[1:] if value.startswith(" ") else value))
            elif line:
                bad += 1
        self._bad = bad
        self._set_items(items)
        return self._hd  # type: ignore[return-value]

    @property
    def raw_text(self) -> str:
        """The decoded message as received (without the blank line); empty for synthetic ones."""
        return self._text

    def __getitem__(self, key: str) -> str:
        try:
            return self._h[key]
        except KeyError:
            return self._h[self._ci_key(key)]

    def get(self, key: str, default: str | None = None) -> str | None:
        value = self._h.get(key)
        if value is not None:
            return value
        real = self._ci_key(key)
        return self._h.get(real, default) if real is not None else default

    def _ci_key(self, key: str) -> str | None:
        try:
            lower = self._lower
        except AttributeError:
            lower = self._lower = {k.lower(): k for k in reversed(self._h)}
        return lower.get(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self._h or self._ci_key(key) is not None)

    def getall(self, key: str) -> list[str]:
        """Every value of ``key`` in wire order (case-insensitive)."""
        value = self.get(key)
        if self._items is None:
            return [] if value is None else [value]
        low = key.lower()
        return [v for k, v in self._items if k.lower() == low]

    def items(self) -> list[tuple[str, str]]:
        """All headers in wire order, duplicates included."""
        headers = self._h
        return list(self._items) if self._items is not None else list(headers.items())

    def keys(self) -> list[str]:
        return list(self._h)

    def __iter__(self) -> Iterator[str]:
        return iter(self._h)

    def __len__(self) -> int:
        headers = self._h
        return len(self._items) if self._items is not None else len(headers)

    def as_dict(self) -> dict[str, str]:
        """First value per header, a copy."""
        return dict(self._h)

    @property
    def is_event(self) -> bool:
        return self.event is not None

    @property
    def is_response(self) -> bool:
        return self.event is None and next(iter(self._h), None) == "Response"

    @property
    def response(self) -> str | None:
        """``Success`` / ``Error`` / ``Goodbye``… for a Response, else None."""
        return self._h.get("Response") if self.is_response else None

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def server(self) -> str | None:
        return self.source.server if self.source is not None else None

    @property
    def generation(self) -> int:
        return self.source.generation if self.source is not None else 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return self.items() == other.items()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        head = f"Event={self.event}" if self.event else f"Response={self._h.get('Response')}"
        return f"<Message {head} {len(self)} headers>"
