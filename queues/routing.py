"""Where a call goes, decided from the number dialed and the clock. Pure: data in, Route out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from queues.models import GENERAL_QUEUE, MergeMode


@dataclass(frozen=True)
class LineInfo:
    """What routing needs of a HotlineLine (detached from the database session)."""

    number: str
    name: str
    mode: MergeMode
    queue: str | None = None
    overflow_after: int = 60
    dial_target: str | None = None
    hours: str = "00:00-24:00"
    enabled: bool = True


@dataclass(frozen=True)
class Route:
    """The decision handed back to the dialplan through channel variables."""

    action: str                        # queue | subcenter
    queue: str                         # first queue to join
    overflow_queue: str | None = None  # joined after overflow_after seconds (双号并行)
    overflow_after: int = 0
    # the first queue refuses callers when nobody in it could answer (strict joinempty, rendered for
    # 双号并行 queues), so such a caller reaches the overflow queue at once
    overflow_when_unstaffed: bool = False
    dial: str | None = None            # 设分中心 reached by number
    announcement: str | None = None    # prompt played first (整体并入: "this number has merged into 12345")
    reason: str = ""

    def channel_variables(self) -> dict[str, str]:
        return {
            "HOTLINE_ACTION": self.action,
            "HOTLINE_QUEUE": self.queue,
            "HOTLINE_OVERFLOW_QUEUE": self.overflow_queue or "",
            "HOTLINE_OVERFLOW_AFTER": str(self.overflow_after),
            "HOTLINE_DIAL": self.dial or "",
        }


def parse_hours(text: str) -> tuple[time, time]:
    """'08:30-17:30' -> (08:30, 17:30); '24:00' is the end of the day."""
    try:
        start_s, end_s = text.split("-")
        start = time.fromisoformat(start_s.strip())
        end_s = end_s.strip()
        end = time.max if end_s == "24:00" else time.fromisoformat(end_s)
    except ValueError as exc:
        raise ValueError(f"hours {text!r}: expected HH:MM-HH:MM, e.g. 08:30-17:30") from exc
    return start, end


def within(hours: str, local: time) -> bool:
    start, end = parse_hours(hours)
    if start <= end:
        return start <= local <= end
    return local >= start or local <= end  # spans midnight


def route_call(line: LineInfo | None, local_now: time, general_queue: str = GENERAL_QUEUE) -> Route:
    pool = Route("queue", general_queue, reason="12345 总号")
    if line is None or not line.enabled:
        return Route("queue", general_queue, reason="未登记号码，进入总坐席")
    if line.mode is MergeMode.ABSORBED:
        return Route("queue", general_queue, announcement="merged-number", reason=f"{line.name}已整体并入12345")
    if line.mode is MergeMode.PARALLEL:
        if not line.queue or not within(line.hours, local_now):
            return Route("queue", general_queue, reason=f"{line.name}专席不在服务时间，进入总坐席")
        overflow = general_queue if line.overflow_after > 0 else None
        return Route("queue", line.queue, overflow_queue=overflow, overflow_after=line.overflow_after,
                     overflow_when_unstaffed=overflow is not None, reason=f"{line.name}专席队列")
    if line.mode is MergeMode.SUBCENTER:
        if not within(line.hours, local_now):
            return Route("queue", general_queue, reason=f"{line.name}分中心不在服务时间，由12345受理")
        return Route("subcenter", line.queue or general_queue, overflow_queue=general_queue,
                     overflow_after=line.overflow_after, dial=line.dial_target, reason=f"转{line.name}分中心")
    return pool
