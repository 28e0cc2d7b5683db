"""回访分派 applied: each replied ticket that became due for callback is put on exactly one list, the
automated survey or the agents' 回访 page (`callback_route`, one row per reply), and the choice is a
ticket event (`callback_route`); so is a later move from the survey to the agents.

The survey pass calls `assign_due`; the 回访 page reads `agent_numbers`. One conditional INSERT (the
unique reply) or UPDATE (`route = 'survey'`) per change, so two engines never both write the event.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from callbacks.models import CallbackRoute
from callbacks.split import AGENT, REASONS, SURVEY, Route, SplitRule, callback_phone

log = logging.getLogger("callbacks.assign")
ACTOR = "回访分派"


class CallbackRouter:
    def __init__(self, sessions: async_sessionmaker, tickets, clock: Callable[[], datetime], rule: SplitRule,
                 due_after: timedelta, blocked: Callable[[Iterable[str]], Awaitable[set[str]]] | None = None) -> None:
        self._sessions = sessions
        self._tickets = tickets
        self._clock = clock
        self.rule = rule
        self.due_after = due_after
        self._blocked = blocked  # the do-not-call numbers among those given (surveys.store)

    async def assign_due(self, now: datetime | None = None, limit: int = 500) -> list[tuple[str, Route]]:
        """Every replied ticket due for callback that has no route for its latest reply gets one."""
        now = now or self._clock()
        due = [t for t in await self._tickets.awaiting_callback(limit)
               if t.replied_at is not None and t.replied_at + self.due_after <= now]
        if not due:
            return []
        have = await self._routes(due)
        fresh = [t for t in due if (t.number, t.replied_at) not in have]
        phones = {t.number: callback_phone(t) for t in fresh}
        blocked = await self._blocked({p for p in phones.values() if p}) if self._blocked and phones else set()
        made = []
        for t in fresh:
            route = self.rule.decide(t, phone=phones[t.number], blocked=phones[t.number] in blocked)
            try:
                async with self._sessions() as session, session.begin():
                    session.add(CallbackRoute(ticket_number=t.number, replied_at=t.replied_at, route=route.route,
                                              reason=route.reason, assigned_at=now))
            except IntegrityError:  # another engine's pass decided it first
                continue
            await self._event(t.number, {"route": route.route, "reason": route.reason, "text": route.text})
            made.append((t.number, route))
        return made

    async def move_to_agent(self, number: str, reason: str, now: datetime | None = None) -> bool:
        """Survey → agents (its tries are used up, the number is on the do-not-call list, a supervisor's
        choice). False when the ticket is not on the survey list for its latest reply."""
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        ticket = await self._tickets.get(number)
        if ticket.status.value != "replied" or ticket.replied_at is None:
            return False
        async with self._sessions() as session, session.begin():
            done = await session.execute(
                update(CallbackRoute).where(CallbackRoute.ticket_number == ticket.number,
                                            CallbackRoute.replied_at == ticket.replied_at,
                                            CallbackRoute.route == SURVEY)
                .values(route=AGENT, reason=reason, moved_at=now or self._clock()))
        if done.rowcount != 1:
            return False
        await self._event(ticket.number, {"route": AGENT, "from": SURVEY, "reason": reason,
                                          "text": REASONS[reason]})
        log.info("callbacks.moved_to_agent ticket=%s reason=%s", ticket.number, reason)
        return True

    async def route_of(self, ticket) -> str | None:
        """survey | agent | None (not due yet) for the ticket's latest reply."""
        if ticket.replied_at is None:
            return None
        return (await self._routes([ticket])).get((ticket.number, ticket.replied_at))

    async def routed(self, tickets, route: str) -> list:
        """Those of `tickets` (replied TicketViews) whose latest reply is on `route`."""
        have = await self._routes(tickets)
        return [t for t in tickets if have.get((t.number, t.replied_at)) == route]

    async def reasons(self, tickets) -> dict[str, str]:
        """ticket number -> why it is on its list (中文), for the 回访 page."""
        keys = {(t.number, t.replied_at) for t in tickets if t.replied_at is not None}
        if not keys:
            return {}
        async with self._sessions() as session:
            rows = await session.execute(
                select(CallbackRoute.ticket_number, CallbackRoute.replied_at, CallbackRoute.reason)
                .where(CallbackRoute.ticket_number.in_(sorted({n for n, _ in keys}))))
        return {n: REASONS.get(r, r) for n, at, r in rows if (n, at) in keys}

    async def _routes(self, tickets) -> dict[tuple[str, datetime], str]:
        keys = [(t.number, t.replied_at) for t in tickets if t.replied_at is not None]
        out: dict[tuple[str, datetime], str] = {}
        for i in range(0, len(keys), 400):
            chunk = keys[i:i + 400]
            async with self._sessions() as session:
                rows = await session.execute(
                    select(CallbackRoute.ticket_number, CallbackRoute.replied_at, CallbackRoute.route)
                    .where(CallbackRoute.ticket_number.in_(sorted({n for n, _ in chunk}))))
            wanted = set(chunk)
            for number, replied_at, route in rows:
                if (number, replied_at) in wanted:
                    out[(number, replied_at)] = route
        return out

    async def _event(self, number: str, detail: dict) -> None:
        try:
            await self._tickets.log_callback_route(number, detail, ACTOR)
        except Exception as exc:  # noqa: BLE001 - the route row stands; the ticket moved on meanwhile
            log.warning("callbacks.route_event_failed ticket=%s: %r", number, exc)
