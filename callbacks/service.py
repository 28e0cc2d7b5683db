"""CallbackService: the worklist of replied tickets and `record_attempt`, the one way an agent's
call, the automated survey or an SMS answer becomes part of a ticket.

Order of writes: the ticket step first (it locks the ticket and checks its status, so two
agents recording at once cannot both win), then the attempt row, then the follow-up step
(办结, or 重办 to the same department, or 无法回访). Every step lands in the ticket's history.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from callbacks.codes import AttemptOutcome, CallbackChannel
from callbacks.models import CallbackAttempt
from callbacks.rules import CallbackRules, decision
from tickets.codes import Action, Evaluation, Status
from tickets.errors import IllegalTransition, InvalidField, TicketError
from tickets.validation import clean_actor, clean_text
from tickets.views import TicketView

log = logging.getLogger("callbacks")
UNREACHABLE_REASON = "无法回访"
REOPEN_DEFAULT = "回访不满意或未解决，重办"


@dataclass(frozen=True)
class AttemptView:
    ticket: str
    attempt_no: int
    round: int
    channel: CallbackChannel
    outcome: AttemptOutcome
    resolved: bool | None
    satisfaction: Evaluation | None
    note: str | None
    actor: str
    at: datetime
    key: str | None

    @classmethod
    def of(cls, row: CallbackAttempt) -> AttemptView:
        return cls(row.ticket_number, row.attempt_no, row.round, CallbackChannel(row.channel),
                   AttemptOutcome(row.outcome), row.resolved,
                   Evaluation(row.satisfaction) if row.satisfaction else None, row.note, row.actor, row.at, row.key)


@dataclass(frozen=True)
class AttemptResult:
    attempt: AttemptView
    action: str            # closed | reopened | unreachable | pending | duplicate
    ticket: TicketView
    duplicate: bool = False


@dataclass(frozen=True)
class DueItem:
    ticket: TicketView
    due_at: datetime
    round: int
    failed: int                 # failed attempts of this round that count towards 无法回访
    last: AttemptView | None    # the latest attempt of this round


def _parse(enum, field: str, value):
    try:
        return enum.parse(value)
    except ValueError as exc:
        raise InvalidField(field, str(exc)) from None


class CallbackService:
    def __init__(self, sessions: async_sessionmaker, tickets, clock: Callable[[], datetime],
                 rules: CallbackRules | None = None) -> None:
        self._sessions = sessions
        self._tickets = tickets
        self._clock = clock
        self.rules = rules or CallbackRules()
        # callbacks.assign.CallbackRouter, set by surveys/ when the automated survey runs: then the
        # worklist holds only the tickets the split gave to the agents (docs/surveys.md 回访分派)
        self.router = None

    async def record_attempt(self, number: str, *, channel: str, outcome: str, actor: str,
                             resolved: bool | None = None, satisfaction: str | None = None,
                             note: str | None = None, key: str | None = None) -> AttemptResult:
        """See /work/wt/notes/h13a-api.md and docs/callbacks.md. Raises TicketNotFound,
        IllegalTransition (not replied, e.g. someone recorded first) or InvalidField."""
        chan = _parse(CallbackChannel, "channel", channel).value
        out = _parse(AttemptOutcome, "outcome", outcome).value
        sat = _parse(Evaluation, "satisfaction", satisfaction).value if satisfaction else None
        note = clean_text("note", note)
        actor = clean_actor(actor)
        key = clean_text("call_id", key)  # the same 64-character limit as a call id
        if resolved is not None and not isinstance(resolved, bool):
            raise InvalidField("resolved", "是否解决应为 True / False / None")
        if out == AttemptOutcome.REACHED.value and (resolved is None or sat is None):
            raise InvalidField("outcome", "已联系时需记录是否解决和满意度 (resolved and satisfaction required)")
        if key is not None and (seen := await self._by_key(key)) is not None:
            return AttemptResult(seen, "duplicate", await self._tickets.get(number), duplicate=True)
        ticket = await self._tickets.get(number)
        if ticket.status is not Status.REPLIED:
            raise IllegalTransition(ticket.number, ticket.status.value, Action.CALLBACK.value)
        history = await self._tickets.history(ticket.number)
        round_ = 1 + sum(1 for e in history if e.action is Action.REOPEN)
        reply = next((e for e in reversed(history) if e.action is Action.REPLY), None)
        attempt_no = await self._next_no(ticket.number)
        # `dept`: whose reply this evaluates (None: the center's own), so the event stands on its own in 考核
        detail = {"channel": chan, "attempt": attempt_no, "round": round_, "outcome": out, "resolved": resolved,
                  "dept": reply.detail.get("dept") if reply else None}
        if out == AttemptOutcome.REACHED.value:
            await self._tickets.record_callback(ticket.number, sat, note, actor, extra=detail)
        else:
            await self._tickets.log_callback_try(ticket.number, {**detail, "satisfaction": sat, "note": note}, actor)
        row = await self._insert(ticket.number, attempt_no, round_, chan, out, resolved, sat, note, actor, key)
        failed = await self._failed(ticket.number, round_)
        action = decision(out, resolved, sat, failed, self.rules, chan)
        after = await self._follow_up(ticket, action, note, actor, failed)
        return AttemptResult(AttemptView.of(row), action, after)

    async def _follow_up(self, ticket: TicketView, action: str, note: str | None, actor: str,
                         failed: int) -> TicketView:
        number = ticket.number
        if action == "closed":
            return await self._tickets.close(number, actor)
        if action == "reopened":
            after = await self._tickets.reopen(number, note or REOPEN_DEFAULT, actor)
            lead = ticket.lead_department
            if lead is None:  # 直接办结 by the center: the center answers again (reopened --reply-->)
                return after
            try:
                return await self._tickets.dispatch(number, lead.code, [d.code for d in ticket.co_departments],
                                                    actor, note=f"回访重办：{note or REOPEN_DEFAULT}")
            except TicketError as exc:  # e.g. the department was deactivated: the center re-dispatches
                log.warning("callbacks.redispatch_failed ticket=%s dept=%s: %s", number, lead.code, exc)
                return after
        if action == "unreachable":
            await self._tickets.record_unreachable(number, failed, actor)
            return await self._tickets.close(number, actor, reason=UNREACHABLE_REASON)
        return await self._tickets.get(number)

    async def attempts(self, number: str) -> list[AttemptView]:
        async with self._sessions() as session:
            rows = await session.scalars(select(CallbackAttempt).where(CallbackAttempt.ticket_number == str(number))
                                         .order_by(CallbackAttempt.attempt_no))
            return [AttemptView.of(r) for r in rows]

    async def due(self, now: datetime | None = None, limit: int = 200) -> list[DueItem]:
        """Every replied ticket with its due time, earliest due first (due or not yet: `due_at`)."""
        tickets = await self._tickets.awaiting_callback(limit)
        if self.router is not None:
            tickets = await self.router.routed(tickets, "agent")
        numbers = [t.number for t in tickets]
        by_ticket: dict[str, list[AttemptView]] = {}
        if numbers:
            async with self._sessions() as session:
                rows = await session.scalars(select(CallbackAttempt)
                                             .where(CallbackAttempt.ticket_number.in_(numbers))
                                             .order_by(CallbackAttempt.attempt_no))
                for r in rows:
                    by_ticket.setdefault(r.ticket_number, []).append(AttemptView.of(r))
        items = []
        for t in tickets:
            tried = by_ticket.get(t.number, [])
            round_ = max((a.round for a in tried), default=1)
            # a reply after a 重办 starts a new round: attempts older than the reply belong to the last one
            mine = [a for a in tried if t.replied_at is None or a.at >= t.replied_at]
            if tried and not mine:
                round_ += 1
            failed = [a for a in mine if self.rules.counts(a.channel.value, a.outcome.value)]
            last_failed = failed[-1].at if failed else None
            due_at = self.rules.due_at(t.replied_at or t.updated_at, last_failed)
            items.append(DueItem(t, due_at, round_, len(failed), mine[-1] if mine else None))
        items.sort(key=lambda i: (i.due_at, i.ticket.number))
        return items

    async def on_survey(self, ticket: TicketView) -> bool:
        """The automated survey has this reply: an agent does not call the citizen meanwhile."""
        return self.router is not None and await self.router.route_of(ticket) == "survey"

    async def _by_key(self, key: str) -> AttemptView | None:
        async with self._sessions() as session:
            row = (await session.execute(select(CallbackAttempt).where(CallbackAttempt.key == key))).scalar_one_or_none()
            return AttemptView.of(row) if row else None

    async def _next_no(self, number: str) -> int:
        async with self._sessions() as session:
            last = await session.scalar(select(func.max(CallbackAttempt.attempt_no))
                                        .where(CallbackAttempt.ticket_number == number))
            return (last or 0) + 1

    async def _insert(self, number, attempt_no, round_, chan, out, resolved, sat, note, actor, key) -> CallbackAttempt:
        for _ in range(5):
            row = CallbackAttempt(ticket_number=number, attempt_no=attempt_no, round=round_, channel=chan,
                                  outcome=out, resolved=resolved, satisfaction=sat, note=note, actor=actor,
                                  at=self._clock(), key=key)
            try:
                async with self._sessions() as session, session.begin():
                    session.add(row)
                return row
            except IntegrityError:
                if key is not None and await self._by_key(key) is not None:
                    raise
                attempt_no = await self._next_no(number)  # a concurrent attempt took the number
        raise RuntimeError(f"could not number an attempt of {number}")

    async def _failed(self, number: str, round_: int) -> int:
        async with self._sessions() as session:
            rows = await session.execute(select(CallbackAttempt.channel, CallbackAttempt.outcome)
                                         .where(CallbackAttempt.ticket_number == number,
                                                CallbackAttempt.round == round_))
            return sum(1 for chan, out in rows if self.rules.counts(chan, out))
