"""Working-day calendar: weekends off, public holidays off, 调休 swapped weekend workdays on.

Loaded from CSV files (`date,kind,name`, kind = holiday | workday), one per year as the
State Council publishes them each autumn. The shipped file is the official 2026 schedule
(国务院办公厅关于2026年部分节假日安排的通知, 2025-11-04). Years without a file fall back to
plain weekends; `covers(year)` lets an operator check before the year turns.

"N working days after t" is defined as: the same Asia/Shanghai wall-clock time on the N-th
working day strictly after t's local date (t's own date never counts, whether or not it is a
working day). Shanghai has no DST, so that wall-clock time always exists.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from tickets.errors import CalendarFileError

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHIPPED = ("cn-holidays-2026.csv",)


@dataclass(frozen=True)
class WorkCalendar:
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)

    @classmethod
    def from_csv_text(cls, text: str, source: str = "<text>") -> WorkCalendar:
        holidays: dict[date, str] = {}
        workdays: dict[date, str] = {}
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or not {"date", "kind", "name"} <= set(reader.fieldnames):
            raise CalendarFileError(source, 1, "header must be date,kind,name")
        for row in reader:
            line = reader.line_num
            try:
                day = date.fromisoformat((row["date"] or "").strip())
            except ValueError:
                raise CalendarFileError(source, line, f"bad date {row['date']!r}") from None
            kind = (row["kind"] or "").strip()
            if kind not in ("holiday", "workday"):
                raise CalendarFileError(source, line, f"kind must be holiday or workday, not {kind!r}")
            target, other = (holidays, workdays) if kind == "holiday" else (workdays, holidays)
            if day in other:
                raise CalendarFileError(source, line, f"{day} is both a holiday and a workday")
            target[day] = (row["name"] or "").strip()
        return cls(holidays, workdays)

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> WorkCalendar:
        return cls.merge(cls.from_csv_text(Path(p).read_text(encoding="utf-8"), str(p)) for p in paths)

    @classmethod
    def shipped(cls) -> WorkCalendar:
        """The official schedules bundled with the package (currently 2026)."""
        base = resources.files("tickets") / "data"
        return cls.merge(cls.from_csv_text((base / n).read_text(encoding="utf-8"), n) for n in SHIPPED)

    @classmethod
    def merge(cls, calendars: Iterable[WorkCalendar]) -> WorkCalendar:
        holidays: dict[date, str] = {}
        workdays: dict[date, str] = {}
        for cal in calendars:
            holidays.update(cal.holidays)
            workdays.update(cal.workdays)
        return cls(holidays, workdays)

    def covers(self, year: int) -> bool:
        return any(d.year == year for d in (*self.holidays, *self.workdays))

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Same local time on the `days`-th working day after start's local date; UTC result."""
        if start.tzinfo is None:
            raise ValueError("naive datetime given to the work calendar")
        if days < 1:
            raise ValueError("days must be >= 1")
        local = start.astimezone(SHANGHAI)
        day = local.date()
        remaining = days
        while remaining:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return datetime.combine(day, local.timetz()).astimezone(UTC)
