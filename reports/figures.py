"""Reading what the 考核 report needs, for one period of whole days: the per-day 考核 counts the ticket
store keeps with every event (a year of a large center is a few thousand rows, summed in the
database), calls from the stored call log (the wallboard's formulas, queues/stored_figures.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from calls.codes import Outcome
from calls.models import CallRecord
from queues.service_level import ANSWER_TARGET_S, rates_from_totals
from reports.assessment import Assessment, from_day_rows

_UNANSWERED = {Outcome.ABANDONED.value: "abandoned", Outcome.TIMEOUT.value: "timeout",
               Outcome.NO_AGENT.value: "no_agent"}   # as queues/stored_figures.py counts them

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 366


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    """Whole Asia/Shanghai days, `first` to `last` inclusive."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), SHANGHAI)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), SHANGHAI)

    @classmethod
    def parse(cls, first: str | None, last: str | None, today: date) -> Period:
        """`YYYY-MM-DD` each; default: this month up to today."""
        try:
            a = date.fromisoformat(first) if first else today.replace(day=1)
            b = date.fromisoformat(last) if last else today
        except ValueError:
            raise PeriodError("日期格式应为 YYYY-MM-DD") from None
        if b < a:
            raise PeriodError("结束日期不能早于开始日期")
        if (b - a).days >= MAX_DAYS:
            raise PeriodError(f"统计区间最长 {MAX_DAYS} 天")
        return cls(a, b)


@dataclass(frozen=True)
class Report:
    period: Period
    assessment: Assessment
    calls: dict            # the center's call figures (queues.service_level.rates keys)
    names: dict[str, str]  # department code -> name


async def build_report(tickets, sessions, period: Period, channel: str | None = None) -> Report:
    """`channel` (phone/web/wechat/app/sms): the ticket figures of that channel only; calls are the phone's."""
    counts = await tickets.day_figures(period.first, period.last, channel=channel)
    names = {d.code: d.name for d in await tickets.list_departments()}
    async with sessions() as session:
        call_figures = await center_call_figures(session, period.start, period.end)
    return Report(period, from_day_rows(counts), call_figures, names)


async def center_call_figures(session, start: datetime, end: datetime) -> dict:
    """The whole center's stored call figures over the calls that started in [start, end), summed in
    the database (a year of a large center is millions of calls): what `figures_since(...)[CENTER]`
    gives over the same rows (queues/stored_figures.py, docs/metrics.md)."""
    c = CallRecord
    wait = case((func.coalesce(c.hold_seconds, 0) > 0, c.hold_seconds), else_=0)
    answered = c.outcome == Outcome.ANSWERED.value

    def n(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = (await session.execute(
        select(func.count(), n(answered), func.coalesce(func.sum(case((answered, wait), else_=0)), 0),
               n(and_(answered, wait <= ANSWER_TARGET_S)),
               *(n(c.outcome == outcome) for outcome in _UNANSWERED), func.max(wait))
        .where(c.started_at >= start, c.started_at < end, c.final_queue.is_not(None), c.final_queue != ""))).one()
    offered, n_answered, wait_sum, within, *unanswered, longest = row
    counts = {key: int(v) for key, v in zip(_UNANSWERED.values(), unanswered, strict=True)}
    return rates_from_totals(int(offered), int(n_answered), int(wait_sum), int(within), counts,
                             None if longest is None else int(longest))
