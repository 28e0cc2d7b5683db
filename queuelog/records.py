"""queue_log lines as typed records: `time|callid|queue|agent|event|data1|data2|...`.

The format is ast_queue_log()'s (main/logger.c of Asterisk 22): whole epoch seconds, the
Uniqueid of the channel that ran Queue() (or NONE / MANAGER / REALTIME / CLI for member
changes), the queue (NONE for PAUSEALL/UNPAUSEALL and QUEUESTART), the member name (with
`log_membername_as_agent = yes`) or NONE, the event, then event-specific data fields, which
app_queue.c formats with `|` between them. Parsing is pure: bytes or text in, records out.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


class BadLine(ValueError):
    """A line that is not a queue_log record (too few fields, no epoch time)."""


@dataclass(frozen=True, slots=True)
class QueueLogRecord:
    time: int
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...] = ()
    offset: int = -1            # byte offset of the line in its source (file or table id), -1 if unknown

    def field(self, index: int, default: str = "") -> str:
        """data1 is index 1, as Asterisk's realtime table names it."""
        return self.data[index - 1] if 0 < index <= len(self.data) else default

    def number(self, index: int, default: int = 0) -> int:
        try:
            return int(self.field(index))
        except ValueError:
            return default


def _text(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")  # keep the record: one bad byte is not a lost call
    return raw.rstrip("\r\n").replace("\x00", "")


def parse_line(raw: bytes | str, offset: int = -1) -> QueueLogRecord:
    """One record, or BadLine saying why."""
    text = _text(raw)
    parts = text.split("|")
    if len(parts) < 5:
        raise BadLine(f"expected at least 5 fields, got {len(parts)}: {text[:80]!r}")
    time_text, callid, queue, agent, event, *data = parts
    try:
        when = int(time_text)
    except ValueError:
        raise BadLine(f"time is not epoch seconds: {time_text[:20]!r}") from None
    if not event:
        raise BadLine(f"no event name: {text[:80]!r}")
    if data == [""]:
        data = []
    return QueueLogRecord(when, callid, queue, agent, event, tuple(data), offset)


@dataclass
class ParseResult:
    records: list[QueueLogRecord] = field(default_factory=list)
    bad: int = 0
    bad_samples: list[str] = field(default_factory=list)   # the first few reasons, for a clear log line


def parse_lines(lines: Iterable[bytes | str | tuple[int, bytes | str]], keep_samples: int = 5) -> ParseResult:
    """Every good record in order; bad lines are counted (and a few described), never fatal.
    Items may be `(offset, line)` pairs, as the file tail yields them."""
    result = ParseResult()
    for item in lines:
        offset, raw = item if isinstance(item, tuple) else (-1, item)
        if not _text(raw).strip():
            continue
        try:
            result.records.append(parse_line(raw, offset))
        except BadLine as exc:
            result.bad += 1
            if len(result.bad_samples) < keep_samples:
                result.bad_samples.append(str(exc))
    return result
