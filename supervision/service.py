"""The 督办 sweep and 督办单, one pass at a time across every engine on the database.

A pass (run_once) holds a PostgreSQL advisory lock, so when several engines share one database
exactly one of them sweeps; the others skip that minute. On SQLite there is a single engine and an
in-process lock. A pass is incremental: it follows the tickets changed since its cursor (index
ticket(updated_at, id)) into watch rows, then reads only the watch rows and 督办单 whose next time
has come (indexed). Marks only go up (green → yellow → red) per deadline, and every notice has a
unique dedupe key, so a pass repeated by another engine sends nothing twice. Delivery through the
gateway comes last, with a timeout; a failing gateway leaves notices pending for a later pass.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Interval, and_, bindparam, case, delete, func, literal, not_, or_, select, text, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from tickets.codes import Action
from tickets.errors import TicketError
from tickets.handling_models import TicketAssignment
from tickets.models import Department, Ticket, UtcDateTime
from tickets.views import format_local

from .gateway import Gateway, LogGateway, Outgoing
from .marks import DEPARTMENT_HANDLING, OPEN, RANK, mark_now, next_check
from .models import Cursor, Notice, Order, Watch
from .outbox import send_recorded

log = logging.getLogger("supervision")
LOCK_KEY = 1234506  # pg advisory lock id of the 督办 sweep
ACTOR = "督办系统"
BATCH = 2000
FOLLOW_BATCH = 100_000  # tickets per set-based follow statement (a first pass over 1,000,000: ten)
OVERLAP = timedelta(minutes=2)
KIND_LABELS = {"accept": "签收时限", "complete": "办结时限"}

# marks.running as SQL: which deadline a ticket runs (kind, start, due), and whether it runs one
_ACCEPT = and_(Ticket.status == "dispatched", Ticket.accept_due.is_not(None))
RUNS = and_(Ticket.status.in_(sorted(OPEN)), or_(_ACCEPT, Ticket.complete_due.is_not(None)))
KIND = case((_ACCEPT, "accept"), else_="complete")
START = case((_ACCEPT, Ticket.dispatched_at), else_=func.coalesce(Ticket.registered_at, Ticket.dispatched_at))
DUE = case((_ACCEPT, Ticket.accept_due), else_=Ticket.complete_due)


# the sub-unit a lead passed the ticket down to (二级派单); the lead stays responsible and is noticed too
PASSED_DOWN = and_(TicketAssignment.ticket_id == Ticket.id, TicketAssignment.parent_id == Ticket.lead_department_id)


def _sub_unit_key(key: str, department_id: int) -> str:
    """Its own dedupe key: the lead's notice and the sub-unit's share the 'department' audience."""
    return f"{key[:110]}:sub{department_id}"


@dataclass(frozen=True)
class Settings:
    warn_share: float = 0.8
    remind_every: timedelta = timedelta(hours=1)
    escalate_after: int = 3
    retry_after: timedelta = timedelta(minutes=1)
    send_timeout: float = 3.0
    send_batch: int = 200


@dataclass
class PassResult:
    ran: bool = False
    followed: int = 0
    marked: list[tuple[str, str]] = field(default_factory=list)  # (ticket number, mark)
    reminded: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    sent: int = 0
    failed: int = 0


class SweepLock:
    """pg_try_advisory_lock on a connection of its own for the whole pass; an asyncio lock on SQLite."""

    def __init__(self, db: AsyncEngine) -> None:
        self._db = db
        self._local = asyncio.Lock()

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[bool]:
        if self._local.locked():
            yield False
            return
        async with self._local:
            if self._db.dialect.name != "postgresql":
                yield True
                return
            async with self._db.connect() as conn:
                got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}))
                await conn.commit()
                try:
                    yield got
                finally:
                    if got:
                        await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                        await conn.commit()


class Supervision:
    def __init__(self, db: AsyncEngine, sessions: async_sessionmaker, tickets, clock: Callable[[], datetime],
                 settings: Settings = Settings(), gateway: Gateway | None = None) -> None:
        self._sessions, self._tickets, self._clock = sessions, tickets, clock
        self.settings = settings
        self.gateway = gateway or LogGateway()
        self.lock = SweepLock(db)
        self._db = db

    # -- the pass -------------------------------------------------------------------------------
    async def run_once(self) -> PassResult:
        result = PassResult()
        async with self.lock.hold() as got:
            if not got:
                return result
            result.ran = True
            now = self._clock()
            result.followed = await self._follow(now)
            await self._check_marks(now, result)
            await self._check_orders(now, result)
            await self.deliver(now, result)
        return result

    async def _follow(self, now: datetime) -> int:
        """Tickets changed since the cursor → their watch row, in set-based statements the database runs
        (a first pass over a million tickets sends no ticket row to Python). A new or changed deadline is
        checked at its warn point (PostgreSQL computes it; SQLite, the demo, at once)."""
        followed = 0
        async with self._sessions() as session:
            cursor = await session.get(Cursor, "sweep")
            key = (None, 0) if cursor is None or cursor.updated_at is None else (cursor.updated_at, cursor.ticket_id)
        # the cursor stays OVERLAP behind `now`: a change committed late with an earlier updated_at
        # (a long transaction) is still read next pass; re-following a ticket is harmless
        settled = now - OVERLAP
        while True:
            async with self._sessions() as session, session.begin():
                cursor = await session.get(Cursor, "sweep")
                if cursor is None:
                    cursor = Cursor(name="sweep", updated_at=None, ticket_id=0)
                    session.add(cursor)
                after = true() if key[0] is None else or_(
                    Ticket.updated_at > key[0], and_(Ticket.updated_at == key[0], Ticket.id > key[1]))
                keys = select(Ticket.updated_at, Ticket.id).where(after).order_by(Ticket.updated_at, Ticket.id)
                bound = (await session.execute(keys.offset(FOLLOW_BATCH - 1).limit(1))).first()
                if bound is None:  # the last, short batch
                    bound = (await session.execute(select(Ticket.updated_at, Ticket.id).where(after).order_by(
                        Ticket.updated_at.desc(), Ticket.id.desc()).limit(1))).first()
                    if bound is None:
                        return followed
                    count = await session.scalar(select(func.count()).select_from(Ticket).where(after))
                else:
                    count = FOLLOW_BATCH
                batch = and_(after, or_(Ticket.updated_at < bound.updated_at,
                                        and_(Ticket.updated_at == bound.updated_at, Ticket.id <= bound.id)))
                await session.execute(delete(Watch).where(Watch.ticket_id.in_(
                    select(Ticket.id).where(batch, not_(RUNS)))))
                await session.execute(self._upsert_watches(session, batch, now))
                key = (bound.updated_at, bound.id)
                keep = key if bound.updated_at <= settled else (settled, 0)
                if cursor.updated_at is None or keep[0] >= cursor.updated_at:
                    cursor.updated_at, cursor.ticket_id = keep
                followed += count
                if count < FOLLOW_BATCH:
                    return followed

    def _upsert_watches(self, session, batch, now: datetime):
        """INSERT ... SELECT ... ON CONFLICT: the running deadline of each ticket in `batch` (marks.running
        as SQL); an unchanged deadline keeps its mark and next check, a new one starts green."""
        postgresql = session.get_bind().dialect.name == "postgresql"
        if postgresql:  # marks.warn_at in SQL
            first = case((or_(START.is_(None), DUE <= START), DUE),
                         else_=START + (DUE - START).self_group().op("*", return_type=Interval())(
                             literal(self.settings.warn_share)))
        else:
            first = literal(now, UtcDateTime())
        columns = ["ticket_id", "kind", "created_at", "start", "due", "mark", "department_id", "next_check_at"]
        rows = select(Ticket.id, KIND, Ticket.created_at, START, DUE, literal("green"), Ticket.lead_department_id,
                      first).where(batch, RUNS)
        stmt = (pg_insert if postgresql else sqlite_insert)(Watch).from_select(columns, rows)
        new = stmt.excluded
        same = and_(Watch.kind == new.kind, Watch.due == new.due)
        return stmt.on_conflict_do_update(index_elements=[Watch.ticket_id], set_={
            "kind": new.kind, "due": new.due, "department_id": new.department_id,
            "start": case((same, Watch.start), else_=new.start),
            "mark": case((same, Watch.mark), else_=new.mark),
            "next_check_at": case((same, Watch.next_check_at), else_=new.next_check_at)})

    async def _check_marks(self, now: datetime, result: PassResult) -> None:
        """The watch rows whose next check time has come (indexed): the mark now, notices and history
        for a mark that went up, the next check time. Core rows and executemany, no ORM objects."""
        share = self.settings.warn_share
        watch = Watch.__table__
        while True:
            steps, candidates, updates = [], [], []
            async with self._sessions() as session, session.begin():
                due_rows = (await session.execute(
                    select(watch.c.ticket_id, watch.c.kind, watch.c.start, watch.c.due, watch.c.mark,
                           watch.c.department_id, Ticket.number, Ticket.status,
                           TicketAssignment.department_id.label("sub_unit_id"))
                    .join(Ticket, Ticket.id == watch.c.ticket_id).outerjoin(TicketAssignment, PASSED_DOWN)
                    .where(watch.c.next_check_at <= now)
                    .order_by(watch.c.next_check_at, watch.c.ticket_id).limit(BATCH))).all()
                if not due_rows:
                    return
                for w in due_rows:
                    mark = mark_now(w.start, w.due, now, share)
                    if RANK[mark] <= RANK[w.mark]:
                        updates.append(dict(tid=w.ticket_id, m=w.mark, n=next_check(w.mark, w.start, w.due, share)))
                        continue
                    updates.append(dict(tid=w.ticket_id, m=mark, n=next_check(mark, w.start, w.due, share)))
                    label = KIND_LABELS[w.kind]
                    text_ = (f"工单 {w.number} {label}即将到期（{format_local(w.due)}），请抓紧办理" if mark == "yellow"
                             else f"工单 {w.number} 已超过{label}（{format_local(w.due)}），请立即办理")
                    key = f"{w.number}:{w.kind}:{w.due.isoformat()}:{mark}"
                    # (named in the history, audience, department, dedupe key)
                    told = [("center", "center", w.department_id, key)]
                    if w.department_id is not None and w.status in DEPARTMENT_HANDLING:
                        told.insert(0, ("department", "department", w.department_id, key))
                        if w.sub_unit_id is not None:  # 二级派单: the sub-unit working it is told as well
                            told.insert(1, ("sub_unit", "department", w.sub_unit_id,
                                            _sub_unit_key(key, w.sub_unit_id)))
                    candidates += [self._values(now, w.ticket_id, w.number, dept, audience, mark, text_, dedupe)
                                   for _, audience, dept, dedupe in told]
                    audiences = [named for named, *_ in told]
                    steps.append((w.number, key, {"mark": mark, "kind": w.kind, "due": w.due.isoformat(),
                                                  "notified": audiences}))
                await (await session.connection()).execute(
                    watch.update().where(watch.c.ticket_id == bindparam("tid"))
                    .values(mark=bindparam("m"), next_check_at=bindparam("n")), updates)
                fresh = await self._notices(session, candidates)
                # a mark noticed before (same key) is neither said nor recorded again
                steps = [(number, detail) for number, key, detail in steps if key[:128] in fresh]
            result.marked += [(number, detail["mark"]) for number, detail in steps]
            await self._history([(number, Action.DEADLINE_MARK, detail) for number, detail in steps])
            if len(due_rows) < BATCH:
                return

    async def _check_orders(self, now: datetime, result: PassResult) -> None:
        steps = []
        async with self._sessions() as session, session.begin():
            orders = list(await session.scalars(select(Order).where(Order.next_remind_at <= now)
                                                .order_by(Order.next_remind_at).limit(BATCH)))
            if not orders:
                return
            info = {row.id: row for row in (await session.execute(
                select(Ticket.id, Ticket.number, Ticket.status, TicketAssignment.department_id.label("sub_unit_id"))
                .outerjoin(TicketAssignment, PASSED_DOWN).where(Ticket.id.in_([o.ticket_id for o in orders])))).all()}
            for o in orders:
                t = info[o.ticket_id]
                if t.status not in DEPARTMENT_HANDLING:
                    o.closed_at, o.next_remind_at = now, None  # handled (replied), returned or closed
                    continue
                o.reminders += 1
                o.next_remind_at = now + self.settings.remind_every
                key = f"{t.number}:order{o.id}:{o.reminders}"
                reminder = (f"督办单（第 {o.reminders} 次催办）：工单 {t.number}，要求 {format_local(o.due_at)} 前办结。"
                            f"督办意见：{o.comment}")
                await self._notice(session, now, o.ticket_id, t.number, o.department_id, "department", "remind",
                                   reminder, key)
                if t.sub_unit_id is not None:  # the sub-unit it was passed down to is reminded too
                    await self._notice(session, now, o.ticket_id, t.number, t.sub_unit_id, "department", "remind",
                                       reminder, _sub_unit_key(key, t.sub_unit_id))
                steps.append((t.number, Action.REMIND, {"order": o.id, "reminders": o.reminders,
                                                        "comment": o.comment, "due": o.due_at.isoformat()}))
                if o.reminders >= self.settings.escalate_after and not o.escalated:
                    o.escalated = True
                    await self._notice(session, now, o.ticket_id, t.number, o.department_id, "lead", "escalate",
                                       f"督办升级：工单 {t.number} 经 {o.reminders} 次催办仍未办结，请单位负责人督促办理。"
                                       f"督办意见：{o.comment}", f"{t.number}:order{o.id}:escalate")
                    steps.append((t.number, Action.ESCALATE, {"order": o.id, "reminders": o.reminders,
                                                              "to": "department_lead"}))
        for number, action, _ in steps:
            (result.escalated if action is Action.ESCALATE else result.reminded).append(number)
        await self._history(steps)

    @staticmethod
    def _values(now, ticket_id, number, department_id, audience, topic, text_, key) -> dict:
        return dict(ticket_id=ticket_id, ticket_number=number, department_id=department_id, audience=audience,
                    topic=topic, text=text_, dedupe=key[:128], created_at=now, state="pending", attempts=0,
                    next_attempt_at=now)

    async def _notices(self, session, rows: list[dict]) -> set[str]:
        """Insert the notices not noticed before ((dedupe key, audience) unique): the keys inserted.
        One INSERT ... ON CONFLICT DO NOTHING RETURNING run as an executemany (SQLAlchemy batches the
        rows into multi-row statements it compiles once)."""
        if not rows:
            return set()
        insert_ = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        table = Notice.__table__
        stmt = insert_(table).on_conflict_do_nothing(index_elements=["dedupe", "audience"]).returning(table.c.dedupe)
        return set((await (await session.connection()).execute(stmt, rows)).scalars())

    async def _notice(self, session, now, ticket_id, number, department_id, audience, topic, text_, key) -> bool:
        """One notice, unless this (dedupe key, audience) was noticed already: never twice, whoever sweeps."""
        return bool(await self._notices(session, [self._values(now, ticket_id, number, department_id, audience,
                                                               topic, text_, key)]))

    async def _history(self, steps: list[tuple[str, Action, dict]]) -> None:
        """Into the tickets' history, one transaction per batch; a ticket that moved on (closed) is skipped."""
        for start in range(0, len(steps), BATCH):
            try:
                await self._tickets.record_system_steps(steps[start:start + BATCH], ACTOR)
            except TicketError as exc:  # a concurrent change: the lines are lost, the notices stand
                log.warning("supervision.history.failed steps=%d error=%s", len(steps[start:start + BATCH]), exc)

    async def deliver(self, now: datetime | None = None, result: PassResult | None = None) -> PassResult:
        """Send pending notices through the gateway; the first failure ends this round (gateway down)."""
        now = now or self._clock()
        result = result or PassResult()
        async with self._sessions() as session:
            rows = (await session.execute(select(Notice, Department.code).outerjoin(
                Department, Department.id == Notice.department_id).where(
                Notice.state == "pending", Notice.next_attempt_at <= now).order_by(Notice.id)
                .limit(self.settings.send_batch))).all()
        async with self._db.connect() as conn:
            for notice, code in rows:
                message = Outgoing(notice.id, notice.audience, code, notice.ticket_number, notice.topic, notice.text)
                error = await send_recorded(conn, Notice.__table__, notice.id, self.gateway, message, now,
                                            retry_after=self.settings.retry_after, timeout=self.settings.send_timeout)
                if error is None:
                    result.sent += 1
                else:
                    result.failed += 1
                    log.warning("supervision.gateway.down notice=%s error=%s (pending, retried later)", notice.id,
                                error)
                    break
        return result

    # -- 督办单 ----------------------------------------------------------------------------------
    async def issue_order(self, number: str, comment: str, due: datetime, actor: str) -> Order:
        """A supervisor's 督办单: in the ticket's history (督办) and reminded from `due` on."""
        view = await self._tickets.supervise(number, comment, actor, due=due)
        now = self._clock()
        async with self._sessions() as session, session.begin():
            ticket = (await session.execute(select(Ticket.id, Ticket.lead_department_id)
                                            .where(Ticket.number == view.number))).one()
            order = Order(ticket_id=ticket.id, department_id=ticket.lead_department_id, comment=comment.strip(),
                          due_at=due, issued_by=actor, issued_at=now, reminders=0, escalated=False,
                          next_remind_at=due)
            session.add(order)
        return order

    # -- reads for the pages --------------------------------------------------------------------
    async def notices_for_department(self, department_code: str, *, lead: bool, limit: int = 100) -> list[Notice]:
        audiences = ["department", "lead"] if lead else ["department"]
        async with self._sessions() as session:
            dept_id = await session.scalar(select(Department.id).where(Department.code == department_code))
            if dept_id is None:
                return []
            return list(await session.scalars(select(Notice).where(
                Notice.department_id == dept_id, Notice.audience.in_(audiences))
                .order_by(Notice.id.desc()).limit(limit)))

    async def notices_for_center(self, limit: int = 100) -> list[Notice]:
        async with self._sessions() as session:
            return list(await session.scalars(select(Notice).where(Notice.audience == "center")
                                              .order_by(Notice.id.desc()).limit(limit)))

    async def of_ticket(self, number: str) -> tuple[list[Order], list[Notice]]:
        async with self._sessions() as session:
            tid = await session.scalar(select(Ticket.id).where(Ticket.number == number))
            orders = list(await session.scalars(select(Order).where(Order.ticket_id == tid).order_by(Order.id)))
            notices = list(await session.scalars(select(Notice).where(Notice.ticket_id == tid).order_by(Notice.id)))
            return orders, notices

    async def health(self, stale: timedelta = timedelta(minutes=10)):
        """/admin/health: notices the gateway has not taken for `stale` mean the SMS platform is down."""
        from hotline.health import Check

        now = self._clock()
        async with self._sessions() as session:
            pending = await session.scalar(select(func.count()).select_from(Notice).where(Notice.state == "pending"))
            oldest = await session.scalar(select(func.min(Notice.created_at)).where(Notice.state == "pending"))
        late = oldest is not None and now - oldest > stale
        return Check("degraded" if late else "ok", {"pending_notices": pending or 0,
                                                    "oldest_pending": oldest.isoformat() if oldest else None})

    async def counts(self) -> dict[str, int]:
        async with self._sessions() as session:
            rows = (await session.execute(select(Watch.mark, func.count()).group_by(Watch.mark))).all()
            pending = await session.scalar(select(func.count()).select_from(Notice).where(Notice.state == "pending"))
        out = {m: 0 for m in RANK} | dict(rows)
        out["pending"] = pending or 0
        return out
