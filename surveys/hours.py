"""When a survey call may be placed: only inside the allowed hours of the local day (never at night).

Pure: an aware instant in, the same or the next allowed instant out.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_window(text: str) -> tuple[time, time]:
    """"09:00-20:00" -> (09:00, 20:00); the window must not cross midnight (calls at night are the point).
    "24:00" as the end is the end of the day (the demo calls at any hour: "00:00-24:00")."""
    try:
        start_s, end_s = (part.strip() for part in text.split("-", 1))
        start = time.fromisoformat(start_s)
        end = time.max if end_s == "24:00" else time.fromisoformat(end_s)
    except ValueError:
        raise ValueError(f"hours must look like 09:00-20:00, got {text!r}") from None
    if not start < end:
        raise ValueError(f"hours {text!r}: the start must be before the end, on the same day")
    return start, end


class CallingHours:
    def __init__(self, window: str = "09:00-20:00", timezone: str = "Asia/Shanghai") -> None:
        self.start, self.end = parse_window(window)
        self.zone = ZoneInfo(timezone)
        self.window = window

    def allowed(self, at: datetime) -> bool:
        local = at.astimezone(self.zone).time()
        return self.start <= local < self.end

    def next_allowed(self, at: datetime) -> datetime:
        """`at` itself when allowed, else the start of the next window (today's or tomorrow's)."""
        if self.allowed(at):
            return at
        local = at.astimezone(self.zone)
        day = local.date() if local.time() < self.start else local.date() + timedelta(days=1)
        return datetime.combine(day, self.start, self.zone).astimezone(at.tzinfo)
