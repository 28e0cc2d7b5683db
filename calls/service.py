"""CallLog: stores finished calls, keeps the callback worklist (漏接回拨), answers caller history.

Every missed hotline call with a callable number lands on the worklist: abandoned in the queue,
queue timeout, no agent, lost track, and an IVR hang-up once intake created a ticket draft.
A miss without a ticket gets a minimal draft (phone, caller, line, call id, "未接通来电，待回拨"):
the citizen did call 12345, and the callback's result needs a ticket to be recorded against and
counted; one draft per worklist row, so repeated misses do not multiply drafts. Calls that
never reached intake and hung up in the IVR get no draft (a greeting hang-up is not a request).

`record` is idempotent (unique server+linkedid), so the outbox may retry it after any failure;
the draft is created after the record is committed and the row remembers it still needs one.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from calls import worklist
from calls.codes import MISSED_OUTCOMES, CallbackResult, MissedStatus, MissReason, Outcome
from calls.errors import AlreadyHandled, ClaimedByOther, InvalidCallField
from calls.finished import FinishedCall
from calls.models import CallRecord, MissedCall
from calls.views import CallerHistory, CallView, MissedCallView
from tickets.errors import TicketError
from tickets.service import TicketService
from tickets.validation import normalize_caller

log = logging.getLogger(__name__)

DRAFT_CONTENT = "未接通来电，待回拨"
DRAFT_ACTOR = "calls"


def _text(field: str, value: str | None, limit: int, required: bool = False) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidCallField(field, "必须是文本 (must be text)")
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidCallField(field, "必填 (required)")
        return None
    if len(value) > limit:
        raise InvalidCallField(field, f"长度超过 {limit} 字符 (longer than {limit})")
    return value


def callable_number(raw: str | None) -> str | None:
    """The number to call back, or None (withheld, anonymous, not a phone number)."""
    try:
        return normalize_caller(raw)
    except TicketError:
        return None


def missed_reason(call: FinishedCall) -> MissReason | None:
    if call.outcome in MISSED_OUTCOMES:
        return MISSED_OUTCOMES[call.outcome]
    if call.outcome is Outcome.IVR_HANGUP and call.ticket_number:
        return MissReason.IVR_HANGUP
    return None


class CallLog:
    def __init__(self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime], tickets: TicketService,
                 *, dedupe_window: timedelta | None = timedelta(hours=1), max_attempts: int = 3,
                 snippet_chars: int = 200, close_on_answered: bool = True,
                 draft_reasons: frozenset[MissReason] = frozenset(
                     {MissReason.ABANDONED, MissReason.TIMEOUT, MissReason.NO_AGENT})) -> None:
        self._sessions = sessionmaker
        self._clock = clock
        self._tickets = tickets
        self._window = dedupe_window
        self._max_attempts = max_attempts
        self._snippet_chars = snippet_chars
        self._close_on_answered = close_on_answered
        self._draft_reasons = draft_reasons

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return now

    # --- writing finished calls ------------------------------------------------------------------
    async def record(self, call: FinishedCall) -> CallView:
        """Store one finished call (the outbox's sink); put a miss on the worklist. Idempotent."""
        call = call.cleaned()
        for name in ("started_at", "ended_at"):
            if getattr(call, name).tzinfo is None:
                raise InvalidCallField(name, "需要带时区的时间 (aware datetime required)")
        number = callable_number(call.caller_number)
        reason = missed_reason(call) if number else None
        snippet = await self._snippet(call.ticket_number) if reason and call.ticket_number else None
        now = self._now()
        async with self._sessions() as session, session.begin():
            stmt = select(CallRecord).where(CallRecord.server == call.server, CallRecord.linkedid == call.linkedid)
            row = (await session.execute(stmt)).scalar_one_or_none()
            if row is None and call.queue_uniqueid:
                # only a row the queue_log reconcile stored under the queue callid (the Linkedid unknown)
                row = (await session.execute(select(CallRecord).where(
                    CallRecord.server == call.server, CallRecord.queue_uniqueid == call.queue_uniqueid,
                    CallRecord.linkedid == call.queue_uniqueid, CallRecord.reconciled_at.is_not(None))
                    .limit(1))).scalar_one_or_none()
            if row is not None and row.reconciled_at is not None and not call.from_queue_log:
                await self._adopt(session, row, call, now)
            if row is None:
                row = await self._insert(session, call, now, snippet)
            view = CallView.of(row)
            pending = (await session.execute(select(MissedCall).where(
                MissedCall.server == call.server, MissedCall.linkedid == call.linkedid,
                MissedCall.ticket_pending.is_(True)))).scalars().all()
        for missed in pending:
            await self._draft_for(missed, call)
        return view

    async def _insert(self, session, call: FinishedCall, now: datetime, snippet: str | None = None) -> CallRecord:
        """A new call row; a miss joins the worklist, an answer settles the caller's earlier misses."""
        number = callable_number(call.caller_number)
        reason = missed_reason(call) if number else None
        row = self._row(call, now)
        session.add(row)
        if reason is not None:
            missed = await worklist.absorb_miss(session, call, number, reason, now, self._window,
                                                reason in self._draft_reasons)
            missed.transcript_snippet = missed.transcript_snippet or snippet
        elif call.outcome is Outcome.ANSWERED and number and self._close_on_answered:
            await worklist.close_pending_of(session, number, call.started_at, now,
                                            f"市民再次来电已接通（{call.linkedid}）")
        await session.flush()
        return row

    async def _adopt(self, session, row: CallRecord, call: FinishedCall, now: datetime) -> None:
        """The queue_log reconcile stored this call first (under the queue callid, Asterisk's
        outcome); the tracker's record brings the real Linkedid and what only AMI saw (line,
        IVR variables, ticket). Asterisk's outcome stays. Filling blanks only: idempotent."""
        cut = worklist.cut
        old = row.linkedid
        row.linkedid = call.linkedid[:64]
        row.started_at = min(row.started_at, call.started_at)
        row.line = row.line or cut(call.line, 32)
        row.caller_name = row.caller_name or cut(call.caller_name, 128)
        row.ticket_number = row.ticket_number or cut(call.ticket_number, 32)
        row.answered_interface = row.answered_interface or cut(call.answered_interface, 128)
        row.ivr_vars = {**dict(call.ivr_vars), **(row.ivr_vars or {})}
        await session.execute(update(MissedCall).where(MissedCall.server == row.server, MissedCall.linkedid == old)
                              .values(linkedid=row.linkedid, updated_at=now))
        if row.line:
            await session.execute(update(MissedCall).where(
                MissedCall.server == row.server, MissedCall.linkedid == row.linkedid, MissedCall.line.is_(None))
                .values(line=row.line))

    async def reconcile(self, calls: list[FinishedCall]):
        """Asterisk's queue_log record of these calls wins (calls/reconcile.py); idempotent."""
        from calls import reconcile

        stats = reconcile.ReconcileStats()
        by_server: dict[str, list[FinishedCall]] = {}
        for call in reconcile.only_new(calls):
            by_server.setdefault(call.server, []).append(call)
        now = self._now()
        missing: list[FinishedCall] = []
        for server, group in by_server.items():
            stats.seen += len(group)
            async with self._sessions() as session, session.begin():
                rows = await reconcile.existing_rows(session, server, [c.queue_uniqueid for c in group])
                for call in group:
                    row = rows.get(call.queue_uniqueid)
                    if row is None:
                        missing.append(call)
                    elif reconcile.agrees(row, call):
                        stats.agreed += 1
                        if row.reconciled_at is None:
                            row.reconciled_at = now
                            row.queue_uniqueid = row.queue_uniqueid or call.queue_uniqueid
                    else:
                        stats.corrected += 1
                        log.warning("calls.reconciled linkedid=%s was=%s asterisk=%s", row.linkedid, row.outcome,
                                    call.outcome.value)
                        await reconcile.correct(session, row, call, now, self._window,
                                                lambda reason: reason in self._draft_reasons)
        for start in range(0, len(missing), reconcile.BATCH):   # one transaction per batch, drafts after
            chunk = missing[start:start + reconcile.BATCH]
            async with self._sessions() as session, session.begin():
                for call in chunk:
                    await self._insert(session, call, now)
                pending = (await session.execute(select(MissedCall).where(
                    MissedCall.ticket_pending.is_(True),
                    MissedCall.linkedid.in_([c.linkedid for c in chunk])))).scalars().all()
            by_linkedid = {c.linkedid: c for c in chunk}
            for missed in pending:
                await self._draft_for(missed, by_linkedid[missed.linkedid])
            stats.inserted += len(chunk)
        return stats

    def _row(self, call: FinishedCall, now: datetime) -> CallRecord:
        cut = worklist.cut
        return CallRecord(
            server=cut(call.server, 64) or "", linkedid=call.linkedid[:64],
            caller_number=cut(callable_number(call.caller_number) or call.caller_number, 32),
            caller_name=cut(call.caller_name, 128), line=cut(call.line, 32), started_at=call.started_at,
            answered_at=call.answered_at, ended_at=call.ended_at, first_queue=cut(call.first_queue, 64),
            final_queue=cut(call.final_queue, 64), hold_seconds=call.hold_seconds, talk_seconds=call.talk_seconds,
            answered_interface=cut(call.answered_interface, 128), answered_member=cut(call.answered_member, 128),
            outcome=call.outcome.value, ticket_number=cut(call.ticket_number, 32), ivr_vars=dict(call.ivr_vars),
            recorded_at=now, queue_uniqueid=cut(call.queue_uniqueid, 64),
            reconciled_at=now if call.from_queue_log else None)

    async def _draft_for(self, missed: MissedCall, call: FinishedCall) -> None:
        draft = await self._tickets.create_draft(
            actor=DRAFT_ACTOR, caller=missed.caller_number, channel="phone", call_id=call.linkedid,
            line_dialed=missed.line, content=DRAFT_CONTENT)
        async with self._sessions() as session, session.begin():
            await session.execute(update(MissedCall).where(MissedCall.id == missed.id).values(
                ticket_number=draft.number, ticket_pending=False))
            await session.execute(update(CallRecord).where(
                CallRecord.server == call.server, CallRecord.linkedid == call.linkedid,
                CallRecord.ticket_number.is_(None)).values(ticket_number=draft.number))

    async def _snippet(self, number: str) -> str | None:
        try:
            ticket = await self._tickets.get(number)
        except TicketError:
            log.warning("calls.ticket_unknown number=%s", number)
            return None
        text = ticket.transcript or ticket.content
        return text[: self._snippet_chars] if text else None

    # --- worklist --------------------------------------------------------------------------------
    async def list_missed(self, status: str | None = MissedStatus.PENDING.value, line: str | None = None,
                          limit: int = 50) -> list[MissedCallView]:
        """Pending rows longest-waiting first; other statuses most recently handled first."""
        async with self._sessions() as session:
            rows = await worklist.list_rows(session, status, line, limit)
            return [MissedCallView.of(r) for r in rows]

    async def get_missed(self, missed_id: int) -> MissedCallView:
        async with self._sessions() as session:
            return MissedCallView.of(await worklist.load(session, missed_id))

    async def mark_called_back(self, missed_id: int, actor: str, result: str,
                               note: str | None = None) -> MissedCallView:
        """One callback attempt. Reached -> called_back; unreachable -> stays pending until
        `max_attempts` attempts, then unreachable. AlreadyHandled if the row is not pending."""
        actor = _text("actor", actor, 64, required=True)
        note = _text("note", note, 2000)
        try:
            outcome = CallbackResult(result)
        except ValueError:
            raise InvalidCallField("result", f"must be one of {[r.value for r in CallbackResult]}") from None
        now = self._now()
        async with self._sessions() as session, session.begin():
            row = await worklist.load(session, missed_id)
            attempts = row.attempts + 1
            if outcome is CallbackResult.REACHED:
                status = MissedStatus.CALLED_BACK
            else:
                status = MissedStatus.UNREACHABLE if attempts >= self._max_attempts else MissedStatus.PENDING
            await worklist.change_status(session, row, status=status.value, attempts=attempts,
                                         last_attempt_at=now, handled_by=actor, note=note, updated_at=now)
            await session.refresh(row)
            return MissedCallView.of(row)

    async def close_missed(self, missed_id: int, actor: str, note: str) -> MissedCallView:
        """Take a pending row off the worklist without calling (duplicate, resolved elsewhere)."""
        actor = _text("actor", actor, 64, required=True)
        note = _text("note", note, 2000, required=True)
        now = self._now()
        async with self._sessions() as session, session.begin():
            row = await worklist.load(session, missed_id)
            await worklist.change_status(session, row, status=MissedStatus.CLOSED.value, handled_by=actor,
                                         note=note, updated_at=now)
            await session.refresh(row)
            return MissedCallView.of(row)

    # --- the 漏接回拨 page (issue 14.3) -----------------------------------------------------------
    @property
    def max_attempts(self) -> int:
        """无人接听 attempts after which a row leaves the list as 多次未接通."""
        return self._max_attempts

    async def claim_missed(self, missed_id: int, actor: str, hold: timedelta) -> MissedCallView:
        """The agent is about to call this row back: theirs alone until they record the outcome or
        `hold` passes. ClaimedByOther names the agent who has it; AlreadyHandled if it left the list."""
        actor = _text("actor", actor, 64, required=True)
        now = self._now()
        async with self._sessions() as session, session.begin():
            row = await worklist.load(session, missed_id)
            if not await worklist.claim(session, missed_id, actor, now, hold):
                await session.refresh(row)
                if row.status != MissedStatus.PENDING.value:
                    raise AlreadyHandled(row.id, row.status)
                raise ClaimedByOther(row.id, row.claimed_by or "")
            await session.refresh(row)
            return MissedCallView.of(row)

    async def release_missed(self, missed_id: int, actor: str) -> None:
        """The call could not even start: the row is free again for anyone."""
        async with self._sessions() as session, session.begin():
            await worklist.release(session, missed_id, actor)

    async def record_callback(self, missed_id: int, actor: str, result: str, hold: timedelta,
                              note: str | None = None) -> MissedCallView:
        """回拨成功 (reached) or 号码错误 (wrong_number) take the row off the list; 无人接听
        (no_answer) counts an attempt and, at `max_attempts`, ends it as 多次未接通 (unreachable)."""
        actor = _text("actor", actor, 64, required=True)
        note = _text("note", note, 2000)
        try:
            outcome = CallbackResult(result)
        except ValueError:
            raise InvalidCallField("result", "must be one of reached, no_answer, wrong_number") from None
        if outcome is CallbackResult.UNREACHABLE:
            outcome = CallbackResult.NO_ANSWER
        now = self._now()
        async with self._sessions() as session, session.begin():
            row = await worklist.load(session, missed_id)
            other = worklist.holder(row, now, hold)
            if row.status == MissedStatus.PENDING.value and other and other != actor:
                raise ClaimedByOther(row.id, other)
            attempts = row.attempts + 1
            if outcome is CallbackResult.REACHED:
                status = MissedStatus.CALLED_BACK
            elif outcome is CallbackResult.WRONG_NUMBER:
                status = MissedStatus.CLOSED
            else:
                status = MissedStatus.UNREACHABLE if attempts >= self._max_attempts else MissedStatus.PENDING
            await worklist.change_status(session, row, status=status.value, attempts=attempts, last_attempt_at=now,
                                         handled_by=actor, note=note, updated_at=now, last_result=outcome.value,
                                         claimed_by=None, claimed_at=None)
            await session.refresh(row)
            return MissedCallView.of(row)

    async def callback_rate(self, since: datetime, until: datetime) -> dict:
        """docs/metrics.md 漏接回拨率: handled ÷ entries, entries = rows first missed in the period."""
        async with self._sessions() as session:
            counts = await worklist.rate_counts(session, since, until)
        handled = counts["entries"] - counts["pending"]
        rate = round(100.0 * handled / counts["entries"], 1) if counts["entries"] else None
        return {**counts, "handled": handled, "rate": rate}

    # --- reading calls ---------------------------------------------------------------------------
    async def get_call(self, linkedid: str, server: str | None = None) -> CallView | None:
        stmt = select(CallRecord).where(CallRecord.linkedid == linkedid)
        if server is not None:
            stmt = stmt.where(CallRecord.server == server)
        async with self._sessions() as session:
            row = (await session.execute(stmt.limit(1))).scalar_one_or_none()
            return CallView.of(row) if row else None

    async def caller_history(self, number: str, limit: int = 20) -> CallerHistory:
        """Screen pop for an incoming call: earlier calls, tickets and open callbacks of this number."""
        if not 1 <= limit <= worklist.MAX_LIMIT:
            raise InvalidCallField("limit", f"must be between 1 and {worklist.MAX_LIMIT}")
        caller = callable_number(number)
        if caller is None:
            raise InvalidCallField("number", "不是可回拨的号码 (not a callable number)")
        async with self._sessions() as session:
            calls = (await session.execute(
                select(CallRecord).where(CallRecord.caller_number == caller)
                .order_by(CallRecord.started_at.desc(), CallRecord.id.desc()).limit(limit))).scalars().all()
            pending = await worklist.list_rows(session, MissedStatus.PENDING.value, None, limit, caller=caller)
            call_views = tuple(CallView.of(c) for c in calls)
            pending_views = tuple(MissedCallView.of(m) for m in pending)
        tickets = await self._tickets.search(caller=caller, limit=limit)
        return CallerHistory(caller, call_views, tuple(tickets), pending_views)
