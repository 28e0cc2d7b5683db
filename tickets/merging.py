"""并单: a dispatcher merges a duplicate into a main ticket, and the duplicate follows the main's outcome.

Citizens call twice about the same pothole; both tickets must not be dispatched and answered
separately. A merge is recorded in `ticket_merge` and as a `merge` event on both tickets. When
the main ticket is replied or closed (or reopened), every duplicate is moved to the same status
with the main's reply and a `merge_follow` event naming the main, in one transaction per
duplicate. A duplicate is not dispatched on its own: its fate is the main's.

`suggest()` is what the agent's form asks while a ticket is written: open tickets of the same
caller (or, with a place, mentioning it) whose text is similar, within `window_days`.
Uses TicketService's internals (its sessions, clock and event writer) so the history stays one
append-only sequence per ticket.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher

from sqlalchemy import or_, select

from tickets.codes import Action, Status
from tickets.errors import TicketError
from tickets.models import Ticket, TicketMerge
from tickets.queries import load_ticket
from tickets.service import TicketService
from tickets.validation import clean_actor, normalize_caller
from tickets.views import TicketView

FOLLOWED = frozenset({Action.REPLY, Action.CALLBACK, Action.CLOSE, Action.REOPEN})
MERGEABLE = frozenset({Status.REGISTERED, Status.DISPATCHED, Status.ACCEPTED, Status.RETURNED, Status.REOPENED})
DEFAULT_WINDOW_DAYS = 7
MIN_SIMILARITY = 0.35


class MergeRefused(TicketError):
    """A merge that would break the rules; the message is for the dispatcher (Chinese)."""

    error_id = "ticket.merge_refused"


@dataclass(frozen=True)
class Suggestion:
    number: str
    status: Status
    created_at: datetime
    similarity: float  # 0..1, text similarity to what the agent wrote
    same_caller: bool
    excerpt: str       # empty for a confidential ticket


def similarity(a: str | None, b: str | None) -> float:
    """Character similarity of two Chinese texts (no word segmentation needed), 0..1."""
    a, b = (a or "").strip(), (b or "").strip()
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


class TicketMerging:
    def __init__(self, tickets: TicketService, *, window_days: int = DEFAULT_WINDOW_DAYS) -> None:
        self._tickets, self.window_days = tickets, window_days
        tickets.after_change.append(self._main_changed)

    async def merge(self, duplicate: str, main: str, actor: str) -> TicketView:
        """Merge `duplicate` into `main`; returns the duplicate. MergeRefused says why not."""
        actor, t = clean_actor(actor), self._tickets
        if duplicate.strip() == main.strip():
            raise MergeRefused("不能把工单并入它自己")
        async with t._sessions() as session, session.begin():  # noqa: SLF001 - the service's own store
            dup = await load_ticket(session, duplicate, lock=True)
            head = await load_ticket(session, main, lock=True)
            for ticket, role in ((dup, "被并工单"), (head, "主工单")):
                if Status(ticket.status) not in MERGEABLE:
                    raise MergeRefused(f"{role} {ticket.number} 状态为{Status(ticket.status).label}，不能并单")
            if await session.get(TicketMerge, dup.id) is not None:
                raise MergeRefused(f"{dup.number} 已并入其他工单")
            if await session.get(TicketMerge, head.id) is not None:
                raise MergeRefused(f"主工单 {head.number} 本身已被并单，请并入它的主工单")
            if (await session.execute(select(TicketMerge).where(TicketMerge.main_id == dup.id))).first():
                raise MergeRefused(f"{dup.number} 已有被并工单，不能再并入其他工单")
            now = t._now()  # noqa: SLF001
            session.add(TicketMerge(duplicate_id=dup.id, main_id=head.id, merged_at=now, actor=actor))
            for ticket, detail in ((dup, {"main": head.number}), (head, {"duplicate": dup.number})):
                ticket.last_event_seq += 1
                ticket.updated_at = now
                await session.flush()
                status = Status(ticket.status)
                await t._append(session, ticket, now, actor, Action.MERGE, status, status, detail)  # noqa: SLF001
            await session.flush()
            return TicketView.of(dup)

    async def main_of(self, number: str) -> str | None:
        async with self._tickets._sessions() as session:  # noqa: SLF001
            row = (await session.execute(
                select(Ticket.number).join(TicketMerge, TicketMerge.main_id == Ticket.id)
                .where(TicketMerge.duplicate_id == select(Ticket.id).where(Ticket.number == number)
                       .scalar_subquery()))).first()
            return row[0] if row else None

    async def duplicates_of(self, number: str) -> list[str]:
        async with self._tickets._sessions() as session:  # noqa: SLF001
            main_id = select(Ticket.id).where(Ticket.number == number).scalar_subquery()
            rows = await session.execute(select(Ticket.number).join(TicketMerge, TicketMerge.duplicate_id == Ticket.id)
                                         .where(TicketMerge.main_id == main_id).order_by(Ticket.number))
            return [r[0] for r in rows]

    async def _main_changed(self, main: TicketView, action: Action, actor: str) -> None:
        """TicketService listener: a main ticket's outcome reaches each of its duplicates."""
        if action not in FOLLOWED:
            return
        for number in await self.duplicates_of(main.number):
            await self._follow(number, main, action, actor)

    async def _follow(self, number: str, main: TicketView, action: Action, actor: str) -> None:
        t = self._tickets
        async with t._sessions() as session, session.begin():  # noqa: SLF001
            dup = await load_ticket(session, number, lock=True)
            before, now = Status(dup.status), t._now()  # noqa: SLF001
            if before == main.status:
                return
            dup.status, dup.updated_at = main.status.value, now
            dup.reply = main.reply
            if main.status == Status.REPLIED:
                dup.replied_at = now
            elif main.status == Status.CLOSED:
                dup.closed_at = now
            dup.last_event_seq += 1
            await session.flush()
            await t._append(session, dup, now, actor, Action.MERGE_FOLLOW, before, main.status,  # noqa: SLF001
                      {"main": main.number, "outcome": action.value})

    async def suggest(self, *, caller: str | None, content: str | None, place: str | None = None,
                      exclude: str | None = None, limit: int = 5) -> list[Suggestion]:
        """Likely duplicates of a ticket being written: open, not merged, created within the window;
        the same caller, or a text naming `place`; ranked by text similarity."""
        try:
            caller = normalize_caller(caller) if caller else None
        except TicketError:
            caller = None
        place = (place or "").strip()
        if not caller and not place:
            return []
        since = self._tickets._now() - timedelta(days=self.window_days)  # noqa: SLF001
        merged = select(TicketMerge.duplicate_id)
        who = []
        if caller:
            who.append(Ticket.caller == caller)
        if place:
            who.append(Ticket.content.contains(place))
        async with self._tickets._sessions() as session:  # noqa: SLF001
            rows = (await session.execute(
                select(Ticket).where(or_(*who), Ticket.created_at >= since,
                                     Ticket.status.in_([s.value for s in MERGEABLE]),
                                     Ticket.id.not_in(merged))
                .order_by(Ticket.created_at.desc()).limit(200))).scalars().all()
        found = []
        for ticket in rows:
            if ticket.number == exclude:
                continue
            score = similarity(content, ticket.content)
            same_caller = bool(caller) and ticket.caller == caller
            if score >= MIN_SIMILARITY or (same_caller and not content):
                excerpt = "" if ticket.confidential else (ticket.content or "")[:60]
                found.append(Suggestion(ticket.number, Status(ticket.status), ticket.created_at, round(score, 2),
                                        same_caller, excerpt))
        return sorted(found, key=lambda s: (-s.similarity, s.number))[:limit]
