"""The survey schedule in the database. Every state change is one conditional UPDATE, so a job is
dialed by one engine at most once per attempt, and a restart resumes from the rows alone."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from surveys.hours import CallingHours
from callbacks.split import callback_phone
from surveys.models import OPEN, OUT, DoNotCall, SurveyControl, SurveyJob
from tickets.validation import normalize_caller

PASS_KEY = "pass"


@dataclass(frozen=True)
class Blocked:
    number: str
    reason: str | None
    added_at: datetime


@dataclass(frozen=True)
class Control:
    paused: bool
    changed_by: str | None = None
    changed_at: datetime | None = None


@dataclass(frozen=True)
class JobView:
    id: int
    ticket_number: str
    phone: str
    status: str
    attempts: int
    next_at: datetime
    last_outcome: str | None
    resolved: bool | None
    satisfaction: str | None
    result: str | None
    action_id: str | None
    updated_at: datetime | None = None
    dialed_at: datetime | None = None

    @classmethod
    def of(cls, row: SurveyJob) -> JobView:
        return cls(row.id, row.ticket_number, row.phone, row.status, row.attempts, row.next_at, row.last_outcome,
                   row.resolved, row.satisfaction, row.result, row.action_id, row.updated_at, row.dialed_at)


class SurveyStore:
    def __init__(self, sessions: async_sessionmaker, hours: CallingHours, *, retry_after: timedelta,
                 max_attempts: int, do_not_call: Iterable[str] = ()) -> None:
        self._sessions = sessions
        self.configured_blocked = frozenset(normalize_caller(n) or n for n in do_not_call)  # [survey] do_not_call
        self.hours = hours
        self.retry_after = retry_after
        self.max_attempts = max_attempts

    # ---- do-not-call ------------------------------------------------------------------------
    async def block(self, number: str, reason: str | None, now: datetime) -> None:
        phone = normalize_caller(number) or number
        async with self._sessions() as session, session.begin():
            if await session.get(DoNotCall, phone) is None:
                session.add(DoNotCall(number=phone, reason=reason, added_at=now))
            await session.execute(update(SurveyJob).where(SurveyJob.phone == phone, SurveyJob.status == "pending")
                                  .values(status="blocked", updated_at=now))

    async def unblock(self, number: str) -> bool:
        phone = normalize_caller(number) or number
        async with self._sessions() as session, session.begin():
            row = await session.get(DoNotCall, phone)
            if row is None:
                return False
            await session.delete(row)
            return True

    async def block_many(self, rows: list[tuple[str, str | None]], now: datetime) -> tuple[int, int]:
        """A checked import, in one transaction: (added, already listed)."""
        added = kept = 0
        async with self._sessions() as session, session.begin():
            for number, reason in rows:
                if await session.get(DoNotCall, number) is None:
                    session.add(DoNotCall(number=number, reason=reason, added_at=now))
                    added += 1
                else:
                    kept += 1
            await session.flush()
            await session.execute(update(SurveyJob).where(SurveyJob.phone.in_([n for n, _ in rows]),
                                                          SurveyJob.status == "pending")
                                  .values(status="blocked", updated_at=now))
        return added, kept

    async def do_not_call(self) -> list[Blocked]:
        async with self._sessions() as session:
            rows = await session.scalars(select(DoNotCall).order_by(DoNotCall.added_at.desc(), DoNotCall.number))
            listed = [Blocked(r.number, r.reason, r.added_at) for r in rows]
        seen = {b.number for b in listed}
        return listed + [Blocked(n, "配置文件 [survey] do_not_call", None)
                         for n in sorted(self.configured_blocked - seen)]

    async def blocked_among(self, phones) -> set[str]:
        phones = sorted(set(phones))
        if not phones:
            return set()
        async with self._sessions() as session:
            listed = set(await session.scalars(select(DoNotCall.number).where(DoNotCall.number.in_(phones))))
        return listed | (self.configured_blocked & set(phones))

    # ---- pause / resume ---------------------------------------------------------------------
    async def control(self) -> Control:
        async with self._sessions() as session:
            row = await session.get(SurveyControl, PASS_KEY)
            return Control(row.paused, row.changed_by, row.changed_at) if row else Control(False)

    async def set_paused(self, paused: bool, actor: str, now: datetime) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(SurveyControl, PASS_KEY)
            if row is None:
                session.add(SurveyControl(key=PASS_KEY, paused=paused, changed_by=actor[:64], changed_at=now))
            else:
                row.paused, row.changed_by, row.changed_at = paused, actor[:64], now

    async def blocked(self, number: str) -> bool:
        if (normalize_caller(number) or number) in self.configured_blocked:
            return True
        async with self._sessions() as session:
            return await session.get(DoNotCall, normalize_caller(number) or number) is not None

    # ---- jobs ---------------------------------------------------------------------------------
    async def enqueue(self, tickets: Iterable, now: datetime, due_after: timedelta) -> list[JobView]:
        """A job for each replied ticket with a caller number that has none for this reply yet
        (three statements whatever the count: the pass runs beside live survey calls)."""
        wanted = {}
        for t in tickets:
            phone = callback_phone(t)
            if phone and t.replied_at is not None:
                wanted[(t.number, t.replied_at)] = (t, phone)
        if not wanted:
            return []
        numbers = sorted({number for number, _ in wanted})
        async with self._sessions() as session:
            seen = set(await session.execute(select(SurveyJob.ticket_number, SurveyJob.replied_at)
                                             .where(SurveyJob.ticket_number.in_(numbers))))
            blocked = set(await session.scalars(select(DoNotCall.number).where(
                DoNotCall.number.in_(sorted({phone for _, phone in wanted.values()}))))) | self.configured_blocked
        rows = [SurveyJob(ticket_number=t.number, replied_at=t.replied_at, phone=phone,
                          status="blocked" if phone in blocked else "pending", attempts=0,
                          next_at=self.hours.next_allowed(max(now, t.replied_at + due_after)),
                          created_at=now, updated_at=now)
                for key, (t, phone) in wanted.items() if key not in seen]
        if not rows:
            return []
        try:
            async with self._sessions() as session, session.begin():
                session.add_all(rows)
        except IntegrityError:  # another engine's pass made some first: one by one then
            made = []
            for row in rows:
                try:
                    async with self._sessions() as session, session.begin():
                        session.add(row)
                    made.append(row)
                except IntegrityError:
                    continue
            rows = made
        return [JobView.of(r) for r in rows]

    async def out_count(self) -> int:
        async with self._sessions() as session:
            return await session.scalar(select(func.count()).select_from(SurveyJob)
                                        .where(SurveyJob.status.in_(OUT))) or 0

    async def claim_due(self, now: datetime, limit: int) -> list[JobView]:
        """Pending jobs due now, switched to `dialing` in one conditional UPDATE (a job another engine
        took meanwhile is not returned); a number on the do-not-call list is blocked instead, and a
        number that already has a call out waits (one call to a citizen at a time)."""
        if limit <= 0 or not self.hours.allowed(now):
            return []
        async with self._sessions() as session, session.begin():
            out_phones = select(SurveyJob.phone).where(SurveyJob.status.in_(OUT))
            due = list(await session.execute(
                select(SurveyJob.id, SurveyJob.phone).where(SurveyJob.status == "pending", SurveyJob.next_at <= now,
                                                            SurveyJob.phone.not_in(out_phones))
                .order_by(SurveyJob.next_at, SurveyJob.id).limit(limit * 2)))
            if not due:
                return []
            blocked = set(await session.scalars(select(DoNotCall.number).where(
                DoNotCall.number.in_(sorted({phone for _, phone in due}))))) | self.configured_blocked
            if blocked:
                await session.execute(update(SurveyJob).where(SurveyJob.id.in_([i for i, p in due if p in blocked]),
                                                              SurveyJob.status == "pending")
                                      .values(status="blocked", updated_at=now))
            ids, phones = [], set()
            for job_id, phone in due:
                if phone not in blocked and phone not in phones and len(ids) < limit:
                    ids.append(job_id)
                    phones.add(phone)
            if not ids:
                return []
            rows = await session.scalars(
                update(SurveyJob).where(SurveyJob.id.in_(ids), SurveyJob.status == "pending")
                .values(status="dialing", attempts=SurveyJob.attempts + 1, dialed_at=now, action_id=None,
                        channel=None, updated_at=now)
                .returning(SurveyJob).execution_options(synchronize_session=False))
            claimed = sorted((JobView.of(r) for r in rows), key=lambda j: (j.next_at, j.id))
        return claimed

    async def release(self, job_id: int, retry_at: datetime, now: datetime) -> None:
        """A claim whose call was never placed (Asterisk unreachable): back to pending, the try not counted."""
        async with self._sessions() as session, session.begin():
            await session.execute(update(SurveyJob).where(SurveyJob.id == job_id, SurveyJob.status == "dialing")
                                  .values(status="pending", attempts=SurveyJob.attempts - 1, dialed_at=None,
                                          next_at=self.hours.next_allowed(retry_at), updated_at=now))

    async def get(self, job_id: int) -> JobView | None:
        async with self._sessions() as session:
            row = await session.get(SurveyJob, job_id)
            return JobView.of(row) if row else None

    async def dialing_to(self, phone: str) -> JobView | None:
        """The job being dialed to `phone` (one call to a number at a time, see claim_due)."""
        async with self._sessions() as session:
            row = await session.scalar(select(SurveyJob).where(SurveyJob.phone == phone,
                                                               SurveyJob.status == "dialing"))
            return JobView.of(row) if row else None

    async def jobs(self, ticket_number: str | None = None) -> list[JobView]:
        async with self._sessions() as session:
            query = select(SurveyJob).order_by(SurveyJob.id)
            if ticket_number:
                query = query.where(SurveyJob.ticket_number == ticket_number)
            return [JobView.of(r) for r in await session.scalars(query)]

    async def answered(self, job_id: int, channel: str, now: datetime) -> bool:
        """The citizen picked up (OriginateResponse Success, or the survey route starting): `in_call`."""
        async with self._sessions() as session, session.begin():
            done = await session.execute(update(SurveyJob).where(SurveyJob.id == job_id, SurveyJob.status.in_(OUT))
                                         .values(status="in_call", channel=channel or None, updated_at=now))
            return done.rowcount == 1

    async def keep_partial(self, job_id: int, resolved: bool | None, satisfaction: str | None) -> None:
        async with self._sessions() as session, session.begin():
            values = {k: v for k, v in (("resolved", resolved), ("satisfaction", satisfaction)) if v is not None}
            if values:
                await session.execute(update(SurveyJob).where(SurveyJob.id == job_id).values(**values))

    async def failed(self, job_id: int, outcome: str, now: datetime, *, only_from: tuple[str, ...] = OUT) -> JobView | None:
        """A try that did not reach an answer: retried after `retry_after` inside the hours, or given up."""
        async with self._sessions() as session, session.begin():
            row = await session.get(SurveyJob, job_id)
            if row is None or row.status not in only_from:
                return None
            row.last_outcome, row.updated_at, row.action_id = outcome, now, None
            if row.attempts >= self.max_attempts:
                row.status = "gave_up"
            else:
                row.status, row.next_at = "pending", self.hours.next_allowed(now + self.retry_after)
            return JobView.of(row)

    async def finish(self, job_id: int, resolved: bool, satisfaction: str, result: str, now: datetime) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(update(SurveyJob).where(SurveyJob.id == job_id)
                                  .values(status="done", resolved=resolved, satisfaction=satisfaction, result=result,
                                          last_outcome="reached", action_id=None, updated_at=now))

    async def queue(self, limit: int = 200) -> list[JobView]:
        """The console's view: every open job (earliest due first), then the latest finished ones."""
        async with self._sessions() as session:
            open_rows = list(await session.scalars(select(SurveyJob).where(SurveyJob.status.in_(OPEN))
                                                   .order_by(SurveyJob.next_at, SurveyJob.id).limit(limit)))
            done_rows = list(await session.scalars(select(SurveyJob).where(SurveyJob.status.not_in(OPEN))
                                                   .order_by(SurveyJob.updated_at.desc(), SurveyJob.id.desc())
                                                   .limit(max(0, limit - len(open_rows)))))
            return [JobView.of(r) for r in open_rows + done_rows]

    async def counts(self) -> dict[str, int]:
        async with self._sessions() as session:
            rows = await session.execute(select(SurveyJob.status, func.count()).group_by(SurveyJob.status))
            return {status: n for status, n in rows}

    async def handed_over(self, job_id: int) -> None:
        """The ticket went to the agents' 回访 page: the job says so (and is not moved twice)."""
        async with self._sessions() as session, session.begin():
            await session.execute(update(SurveyJob).where(SurveyJob.id == job_id).values(result="to_agent"))

    async def withdraw(self, job_id: int, now: datetime) -> JobView | None:
        """A supervisor takes a waiting job off the survey (no call out): it ends, the agents call."""
        async with self._sessions() as session, session.begin():
            rows = list(await session.scalars(
                update(SurveyJob).where(SurveyJob.id == job_id, SurveyJob.status == "pending")
                .values(status="gave_up", last_outcome=SurveyJob.last_outcome, updated_at=now)
                .returning(SurveyJob).execution_options(synchronize_session=False)))
            return JobView.of(rows[0]) if rows else None

    async def blocked_unmoved(self) -> list[JobView]:
        async with self._sessions() as session:
            rows = await session.scalars(select(SurveyJob).where(SurveyJob.status.in_(("blocked", "gave_up")),
                                                                 SurveyJob.result.is_(None)).limit(500))
            return [JobView.of(r) for r in rows]

    async def stale(self, now: datetime, after: timedelta) -> list[JobView]:
        """Jobs out longer than `after` (their call ended unseen, e.g. while the engine was down)."""
        async with self._sessions() as session:
            rows = await session.scalars(select(SurveyJob).where(SurveyJob.status.in_(OUT),
                                                                SurveyJob.dialed_at <= now - after))
            return [JobView.of(r) for r in rows]
