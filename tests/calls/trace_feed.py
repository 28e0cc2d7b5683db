"""Real Asterisk event streams for the call-log tests, fed with a hand-driven clock."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hotline.ami.events import to_event
from hotline.ami.message import Message, Source
from hotline.ami.protocol import AmiReader
from tests.conftest import FIXTURES

RAW = FIXTURES / "traces" / "raw"


class Clock:
    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 11, 22, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def messages(trace: str, server: str = "pbx1") -> list[Message]:
    reader = AmiReader(source=Source(server, 1))
    return reader.feed((RAW / f"{trace}.ami1.from_asterisk.bin").read_bytes())


def events(trace: str, server: str = "pbx1") -> list:
    """Unsolicited events only (list items answering an action carry an ActionID)."""
    return [to_event(m) for m in messages(trace, server) if m.event and m.get("ActionID") is None]


def replay(stream, clock: Clock, tracker, step: float = 0.1) -> None:
    for event in stream:
        clock.advance(seconds=step)
        tracker.handle(event)


def varset(template, variable: str, value: str):
    """A VarSet on the same channel as `template` (a real event of the trace)."""
    items = [(k, v) for k, v in template.headers.items() if k not in ("Event", "Variable", "Value")]
    msg = Message.from_items([("Event", "VarSet"), *items, ("Variable", variable), ("Value", value)],
                             Source(template.server or "pbx1", 1))
    return to_event(msg)


def control(name: str, server: str = "pbx1", **extra: str):
    items = [("Event", name), ("Server", server), ("Generation", "2"), *extra.items()]
    return to_event(Message.from_items(items, Source(server, 2)))


