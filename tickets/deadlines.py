"""限时: accept and completion deadlines from admin-editable rules.

Rules live in the `ticket_deadline_rule` table (seeded with `DEFAULT_RULES` by
`seed_default_rules`); the service works on an in-memory `DeadlineRules` snapshot and
`TicketService.reload_rules()` picks up an admin's change. Minute limits are wall-clock
(emergencies do not wait for Monday); working-day limits follow the WorkCalendar.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tickets.errors import InvalidField, NoDeadlineRule
from tickets.models import DeadlineRule
from tickets.workcalendar import WorkCalendar

ANY = "*"
KINDS = ("accept", "complete")
UNITS = ("minutes", "working_days")


@dataclass(frozen=True)
class Limit:
    kind: str
    request_type: str
    urgency: str
    amount: int
    unit: str

    def due(self, start: datetime, calendar: WorkCalendar) -> datetime:
        if self.unit == "minutes":
            return start + timedelta(minutes=self.amount)
        return calendar.add_working_days(start, self.amount)


DEFAULT_RULES: tuple[Limit, ...] = (
    Limit("accept", ANY, "life_property", 15, "minutes"),
    Limit("accept", ANY, "utilities", 30, "minutes"),
    Limit("accept", ANY, ANY, 1, "working_days"),
    Limit("complete", "consult", ANY, 1, "working_days"),
    Limit("complete", "help", ANY, 3, "working_days"),
    Limit("complete", "complaint", ANY, 5, "working_days"),
    Limit("complete", "report", ANY, 10, "working_days"),
    Limit("complete", "suggestion", ANY, 10, "working_days"),
    Limit("complete", "praise", ANY, 1, "working_days"),
)


def _check(limit: Limit) -> None:
    if limit.kind not in KINDS:
        raise InvalidField("kind", f"must be one of {KINDS}")
    if limit.unit not in UNITS:
        raise InvalidField("unit", f"must be one of {UNITS}")
    if not isinstance(limit.amount, int) or limit.amount < 1:
        raise InvalidField("amount", "must be a positive integer")


class DeadlineRules:
    """Most specific match wins: (type, urgency) > (type, *) > (*, urgency) > (*, *)."""

    def __init__(self, limits: Iterable[Limit]) -> None:
        self._by_key: dict[tuple[str, str, str], Limit] = {}
        for limit in limits:
            _check(limit)
            self._by_key[(limit.kind, limit.request_type, limit.urgency)] = limit

    @classmethod
    def defaults(cls) -> DeadlineRules:
        return cls(DEFAULT_RULES)

    @classmethod
    async def load(cls, session: AsyncSession) -> DeadlineRules:
        rows = (await session.execute(select(DeadlineRule))).scalars()
        return cls(Limit(r.kind, r.request_type, r.urgency, r.amount, r.unit) for r in rows)

    def limits(self) -> list[Limit]:
        return list(self._by_key.values())

    def limit(self, kind: str, request_type: str, urgency: str) -> Limit:
        for key in ((kind, request_type, urgency), (kind, request_type, ANY),
                    (kind, ANY, urgency), (kind, ANY, ANY)):
            if key in self._by_key:
                return self._by_key[key]
        raise NoDeadlineRule(kind, request_type, urgency)

    def accept_due(self, start: datetime, request_type: str, urgency: str, cal: WorkCalendar) -> datetime:
        return self.limit("accept", request_type, urgency).due(start, cal)

    def complete_due(self, start: datetime, request_type: str, urgency: str, cal: WorkCalendar) -> datetime:
        return self.limit("complete", request_type, urgency).due(start, cal)


async def save_rule(sessionmaker: async_sessionmaker, limit: Limit) -> None:
    """Insert or change one rule (admin action); services see it after reload_rules()."""
    _check(limit)
    async with sessionmaker() as session, session.begin():
        row = (await session.execute(select(DeadlineRule).where(
            DeadlineRule.kind == limit.kind, DeadlineRule.request_type == limit.request_type,
            DeadlineRule.urgency == limit.urgency))).scalar_one_or_none()
        if row is None:
            session.add(DeadlineRule(kind=limit.kind, request_type=limit.request_type,
                                     urgency=limit.urgency, amount=limit.amount, unit=limit.unit))
        else:
            row.amount, row.unit = limit.amount, limit.unit


async def seed_default_rules(sessionmaker: async_sessionmaker) -> None:
    """Add the default rules that are missing; never overwrites an admin's change."""
    async with sessionmaker() as session, session.begin():
        existing = {(r.kind, r.request_type, r.urgency)
                    for r in (await session.execute(select(DeadlineRule))).scalars()}
        for limit in DEFAULT_RULES:
            if (limit.kind, limit.request_type, limit.urgency) not in existing:
                session.add(DeadlineRule(kind=limit.kind, request_type=limit.request_type,
                                         urgency=limit.urgency, amount=limit.amount, unit=limit.unit))


WARN_SHARE = 0.8
"""Share of a deadline's span after which a ticket is marked yellow (issue 12 makes it configurable)."""


def deadline_mark(start: datetime | None, due: datetime | None, now: datetime,
                  warn_share: float = WARN_SHARE) -> str:
    """'red' once overdue, 'yellow' past `warn_share` of the span start→due, 'green' before; '' without a deadline."""
    if due is None:
        return ""
    if now > due:
        return "red"
    if start is not None and due > start and (now - start) >= (due - start) * warn_share:
        return "yellow"
    return "green"
