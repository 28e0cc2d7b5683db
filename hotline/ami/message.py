"""One AMI message (Response or Event): a dict of headers (first value wins) plus wire details.

A Message *is* a dict, so ``msg.get("Uniqueid")`` runs at C speed in every subscriber.
``msg["key"]`` falls back to a case-insensitive match; ``get``/``in`` are exact-case (Asterisk's
own spelling). Repeated headers (``Output``, ``Variable``, ``ChanVariable``) keep every value in
``getall``/``items``. The reader can create messages *lazily* (headers split on first use), so
events nobody subscribed to never pay for parsing; the fan-out and the session call ``parsed()``
before handing a message out.
"""
from __future__ import annotations

from typing import NamedTuple


class Source(NamedTuple):
    """Where a message came from: the server name and the connection generation (1 = first connect)."""

    server: str
    generation: int


class Message(dict):
    __slots__ = ("_text", "_lazy", "_items", "_lower", "_bad", "event", "source", "typed")

    def __init__(self, text: str, event: str | None = None, source: Source | None = None,
                 lazy: bool = False) -> None:
        self._text = text
        self._lazy = True
        self.event = event
        self.source = source
        if not lazy:
            self._parse()

    @classmethod
    def from_items(cls, items, source: Source | None = None) -> Message:
        """Build from ordered (key, value) pairs (synthetic messages, slow-path parsing, tests)."""
        items = list(items)
        msg = cls("\r\n".join(f"{k}: {v}" for k, v in items),
                  items[0][1] if items and items[0][0] == "Event" else None, source, lazy=True)
        msg._set_items(items, 0)
        return msg

    def parsed(self) -> Message:
        """Split the headers now if still lazy; returns self."""
        if self._lazy:
            self._parse()
        return self

    def _set_items(self, items: list[tuple[str, str]], bad: int) -> None:
        dict.clear(self)
        for key, value in items:
            self.setdefault(key, value)
        if len(self) != len(items):
            self._items = items
        self._bad = bad
        self._lazy = False

    def _parse(self) -> None:
        lines = self._text.split("\r\n")
        for line in lines:
            key, sep, value = line.partition(": ")
            if not sep:
                break
            self[key] = value
        else:
            if len(self) == len(lines):
                self._bad = 0
                self._lazy = False
                return
        items = []
        bad = 0
        for line in lines:
            key, sep, value = line.partition(":")
            if sep and key:
                items.append((key, value[1:] if value.startswith(" ") else value))
            elif line:
                bad += 1
        self._set_items(items, bad)

    def __missing__(self, key: str) -> str:
        if self._lazy:
            self._parse()
            if dict.__contains__(self, key):
                return dict.__getitem__(self, key)
        real = self._ci_key(key)
        if real is None:
            raise KeyError(key)
        return dict.__getitem__(self, real)

    def _ci_key(self, key: str) -> str | None:
        self.parsed()
        try:
            lower = self._lower
        except AttributeError:
            lower = self._lower = {k.lower(): k for k in reversed(list(dict.keys(self)))}
        return lower.get(key.lower())

    def get_ci(self, key: str, default: str | None = None) -> str | None:
        """Case-insensitive ``get``."""
        value = self.parsed().get(key)
        if value is not None:
            return value
        real = self._ci_key(key)
        return dict.get(self, real, default) if real is not None else default

    def getall(self, key: str) -> list[str]:
        """Every value of ``key`` in wire order (case-insensitive)."""
        low = key.lower()
        return [v for k, v in self.items() if k.lower() == low]

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        """All headers in wire order, duplicates included."""
        self.parsed()
        try:
            return list(self._items)
        except AttributeError:
            return list(dict.items(self))

    def as_dict(self) -> dict[str, str]:
        """First value per header, a plain dict copy."""
        return dict(self.parsed())

    @property
    def raw_text(self) -> str:
        """The decoded message as received (without the blank line)."""
        return self._text

    @property
    def bad_lines(self) -> int:
        """Lines without a colon that parsing skipped (Asterisk never sends them)."""
        return self.parsed()._bad

    @property
    def is_event(self) -> bool:
        return self.event is not None

    @property
    def is_response(self) -> bool:
        return self.event is None and self._text.startswith("Response:")

    @property
    def response(self) -> str | None:
        """``Success`` / ``Error`` / ``Goodbye``… for a Response, else None."""
        return self.parsed().get("Response") if self.is_response else None

    @property
    def action_id(self) -> str | None:
        return self.parsed().get("ActionID")

    @property
    def server(self) -> str | None:
        return self.source.server if self.source is not None else None

    @property
    def generation(self) -> int:
        return self.source.generation if self.source is not None else 0

    def __reduce__(self):
        return (Message.from_items, (self.items(), self.source))

    def __repr__(self) -> str:
        head = f"Event={self.event}" if self.event else "Response"
        return f"<Message {head} {dict.__len__(self.parsed())} headers>"


_new = dict.__new__


def lazy_message(text: str, event: str | None, source: Source | None) -> Message:
    """Hot-path constructor used by the reader: no header splitting, no __init__ call."""
    msg = _new(Message)
    msg._text = text
    msg._lazy = True
    msg.event = event
    msg.source = source
    return msg
