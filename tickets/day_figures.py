"""The per-day figures the ticket store keeps as it writes: 考核 counts and hotspot counts.

A year's report of a large center reads ~365 × departments × channels rows instead of replaying
millions of histories. Each history event adds its facts (tickets/tally.py) to its day's row in the
same transaction as the event itself, so the figures are exactly what a replay of the stored
history gives, survive any restart, and a rolled-back step counts nothing. The hotspot row of a
ticket (creation day × category × district × channel, drafts left out) moves when a step changes
one of those (registering a draft adds it).

Rows are upserted (`INSERT .. ON CONFLICT DO UPDATE`), in key order within a step so two steps never
wait on each other's rows in opposite orders. `rebuild` recomputes both tables from the history
(the 0024 migration's backfill, and a repair): idempotent, in one transaction.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from tickets.codes import Status
from tickets.models import Ticket, TicketEvent, ticket_day_figures, ticket_day_hotspots
from tickets.tally import COUNTING_ACTIONS, COUNTS, STATE_ACTIONS, Fact, Replay

SHANGHAI = ZoneInfo("Asia/Shanghai")
HotKey = tuple[date, str, str, str]   # (creation day, category or '', district or '', channel)
FigureKey = tuple[date, str, str]     # (day, department, channel)


def local_day(instant: datetime) -> date:
    return instant.astimezone(SHANGHAI).date()


def created_day_expression(dialect: str, column=Ticket.created_at):
    """The Shanghai day of a stored instant in SQL (Shanghai has no daylight saving)."""
    if dialect == "sqlite":   # a naive UTC text; date() reads it
        return func.date(column, "+8 hours")
    return func.date(func.timezone(literal_column("'Asia/Shanghai'"), column))


def hot_key(ticket: Ticket) -> HotKey | None:
    """Where a ticket counts in the hotspot table; None while it is a draft."""
    if ticket.status == Status.DRAFT.value or ticket.created_at is None:
        return None
    return (local_day(ticket.created_at), ticket.category or "", ticket.district or "", ticket.channel)


def _insert(session_or_conn):
    return postgresql.insert if session_or_conn.get_bind().dialect.name == "postgresql" else sqlite.insert


def _upsert(insert, table, keys: tuple[str, ...], values: dict[str, Any], add: dict[str, int]):
    stmt = insert(table).values(**values, **add)
    return stmt.on_conflict_do_update(index_elements=[table.c[k] for k in keys],
                                      set_={k: table.c[k] + stmt.excluded[k] for k in add})


def figure_rows(facts: Iterable[Fact], channel: str) -> dict[FigureKey, Counter]:
    rows: dict[FigureKey, Counter] = {}
    for fact in facts:
        rows.setdefault((local_day(fact.at), fact.dept, channel), Counter())[fact.key] += 1
    return rows


async def _history(session: AsyncSession, ticket_id: int) -> list[Any]:
    return (await session.execute(
        select(TicketEvent.seq, TicketEvent.at, TicketEvent.action, TicketEvent.from_status, TicketEvent.detail)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.action.in_(STATE_ACTIONS))
        .order_by(TicketEvent.seq))).all()


async def record(session: AsyncSession, ticket: Ticket, event: TicketEvent, hot_before: HotKey | None) -> None:
    """Count `event` (not yet flushed) and the ticket's move in the hotspot table, in the step's transaction."""
    insert = _insert(session)
    if event.action in COUNTING_ACTIONS:
        replay = Replay.of(await _history(session, ticket.id)) if Replay.needs_history(
            event.action, event.detail) else Replay()
        for (day, dept, channel), add in sorted(figure_rows(replay.step(event), ticket.channel).items()):
            await session.execute(_upsert(insert, ticket_day_figures, ("day", "dept", "channel"),
                                          {"day": day, "dept": dept, "channel": channel}, dict(add)))
    hot_after = hot_key(ticket)
    if hot_after != hot_before:
        moves = [(k, n) for k, n in ((hot_before, -1), (hot_after, 1)) if k is not None]
        for (day, category, district, channel), n in sorted(moves):
            await session.execute(_upsert(insert, ticket_day_hotspots, ("day", "category", "district", "channel"),
                                          {"day": day, "category": category, "district": district,
                                           "channel": channel}, {"tickets": n}))


def rebuild(conn: Connection, *, batch: int = 10_000) -> tuple[int, int]:
    """Recompute both tables from `ticket_event` and `ticket` (sync: the migration's connection, or
    `run_sync`). Returns (figure rows, hotspot rows)."""
    conn.execute(delete(ticket_day_figures))
    conn.execute(delete(ticket_day_hotspots))
    day = created_day_expression(conn.dialect.name).label("day")
    category = func.coalesce(Ticket.category, literal_column("''")).label("category")
    district = func.coalesce(Ticket.district, literal_column("''")).label("district")
    hot = (select(day, category, district, Ticket.channel, func.count()).where(Ticket.status != Status.DRAFT.value)
           .group_by(day, category, district, Ticket.channel))
    conn.execute(ticket_day_hotspots.insert().from_select(["day", "category", "district", "channel", "tickets"], hot))
    hot_rows = conn.execute(select(func.count()).select_from(ticket_day_hotspots)).scalar_one()

    totals: Counter = Counter()   # (day, department, channel, count key) -> n
    actions = sorted(COUNTING_ACTIONS | set(STATE_ACTIONS))
    low, high = conn.execute(select(func.min(Ticket.id), func.max(Ticket.id))).one()
    for first in range(low or 0, (high or -1) + 1, batch):   # ranges of tickets: index range scans, small sorts
        result = conn.execute(
            select(TicketEvent.ticket_id, Ticket.channel, TicketEvent.seq, TicketEvent.at, TicketEvent.action,
                   TicketEvent.from_status, TicketEvent.detail)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(TicketEvent.ticket_id >= first, TicketEvent.ticket_id < first + batch,
                   Ticket.id >= first, Ticket.id < first + batch, TicketEvent.action.in_(actions))
            .order_by(TicketEvent.ticket_id, TicketEvent.seq))
        current, replay = None, Replay()
        for row in result:
            if row.ticket_id != current:
                current, replay = row.ticket_id, Replay()
            for fact in replay.step(row):
                totals[(local_day(fact.at), fact.dept, row.channel, fact.key)] += 1
    by_row: dict[FigureKey, dict[str, int]] = {}
    for (d, dept, ch, key), n in totals.items():
        by_row.setdefault((d, dept, ch), dict.fromkeys(COUNTS, 0))[key] = n
    rows = [{"day": d, "dept": dept, "channel": ch, **counts} for (d, dept, ch), counts in sorted(by_row.items())]
    for first in range(0, len(rows), 1000):
        conn.execute(ticket_day_figures.insert(), rows[first:first + 1000])
    return len(rows), hot_rows


async def figure_totals(session: AsyncSession, first: date, last: date, *,
                        channel: str | None = None) -> list[tuple[str, dict[str, int]]]:
    """(department, {count: n}) summed over the Shanghai days `first`..`last`, one GROUP BY in the database."""
    t = ticket_day_figures
    query = (select(t.c.dept, *(func.sum(t.c[k]).label(k) for k in COUNTS))
             .where(t.c.day >= first, t.c.day <= last).group_by(t.c.dept))
    if channel:
        query = query.where(t.c.channel == channel)
    return [(row.dept, {k: int(row._mapping[k] or 0) for k in COUNTS}) for row in await session.execute(query)]


async def hotspot_counts(session: AsyncSession, first: date, last: date, *,
                         channel: str | None = None) -> list[tuple[date, str | None, str | None, str, int]]:
    """(day, category, district, channel, tickets) of the tickets created on `first`..`last`."""
    t = ticket_day_hotspots
    query = select(t.c.day, t.c.category, t.c.district, t.c.channel, t.c.tickets).where(
        t.c.day >= first, t.c.day <= last, t.c.tickets != 0)
    if channel:
        query = query.where(t.c.channel == channel)
    return [(d, c or None, dist or None, ch, n) for d, c, dist, ch, n in await session.execute(query)]
