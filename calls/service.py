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
from calls.errors import InvalidCallField
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
            if row is None:
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
            view = CallView.of(row)
            pending = (await session.execute(select(MissedCall).where(
                MissedCall.server == call.server, MissedCall.linkedid == call.linkedid,
                MissedCall.ticket_pending.is_(True)))).scalars().all()
        for missed in pending:
            await self._draft_for(missed, call)
        return view

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
            recorded_at=now)

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
