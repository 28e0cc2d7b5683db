"""督办 after the set-based sweep (issue 12 benchmarks): a first pass over tickets at every stage of
their deadline marks exactly those past their warn point (yellow) or their deadline (red), later
passes mark each ticket when its time comes and no other, and the SQL that picks a ticket's running
deadline agrees with marks.running for every status."""
from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select

from hotline.db import make_sessionmaker
from supervision.marks import running
from supervision.models import Watch
from supervision.service import Supervision
from tickets.codes import Action, Status
from tickets.models import Ticket

from supervision_support import START, dispatched, ticket_service

SIGN_WITHIN, YELLOW_AFTER = timedelta(minutes=30), timedelta(minutes=24)  # urgency 水电气暖, 80 %


def _expected(dispatched_at: dict[str, object], now) -> dict[str, str]:
    marks = {}
    for number, at in dispatched_at.items():
        age = now - at
        if age > SIGN_WITHIN:
            marks[number] = "red"
        elif age >= YELLOW_AFTER:
            marks[number] = "yellow"
    return marks


async def test_given_tickets_at_every_stage_when_the_first_pass_runs_then_exactly_the_late_ones_are_marked(db, clock):
    tickets = ticket_service(db, clock)
    await tickets.add_department("cgj", "城市管理局")
    sup = Supervision(db, make_sessionmaker(db), tickets, clock)
    at = {}
    for _ in range(10):  # dispatched 5 minutes apart: ages 47, 42, ... 2 minutes at the first pass
        at[await dispatched(tickets)] = clock.now
        clock.advance(minutes=5)
    calm = await dispatched(tickets, content="咨询公积金", urgency="normal")  # a working day to sign
    clock.advance(minutes=2)

    first = await sup.run_once()
    expected = _expected(at, clock.now)
    assert dict(first.marked) == expected and len(first.marked) == len(expected)
    assert sorted(set(expected.values())) == ["red", "yellow"]  # the case has both
    for number, mark in expected.items():  # each mark is a line of the ticket's history, by the sweep
        lines = [e for e in await tickets.history(number) if e.action is Action.DEADLINE_MARK]
        assert [(e.detail["mark"], e.actor) for e in lines] == [(mark, "督办系统")]

    for _ in range(4):  # each later pass marks only what changed since the last one
        before = _expected(at, clock.now)
        clock.advance(minutes=3)
        after = _expected(at, clock.now)
        changed = {n: m for n, m in after.items() if before.get(n) != m}
        assert dict((await sup.run_once()).marked) == changed
    assert calm not in dict(first.marked)
    counts = await sup.counts()
    final = _expected(at, clock.now)
    assert (counts["red"], counts["yellow"]) == (list(final.values()).count("red"), list(final.values()).count("yellow"))


async def test_given_every_status_and_deadline_combination_then_the_watch_rows_follow_marks_running(db, clock):
    sessions = make_sessionmaker(db)
    tickets = ticket_service(db, clock)
    sup = Supervision(db, sessions, tickets, clock)
    t0 = START - timedelta(hours=5)
    combos = itertools.product([s.value for s in Status], [None, t0], [None, t0 + timedelta(hours=8)],
                               [None, t0 + timedelta(hours=1)], [None, t0 + timedelta(days=3)])
    rows = []
    async with sessions() as session, session.begin():
        for i, (status, dispatched_at, accept_due, registered_at, complete_due) in enumerate(combos):
            rows.append(Ticket(number=f"20261013{i:06d}", status=status, dispatched_at=dispatched_at,
                               accept_due=accept_due, registered_at=registered_at, complete_due=complete_due,
                               created_at=t0, updated_at=t0, last_event_seq=0))
        session.add_all(rows)
    await sup.run_once()
    async with sessions() as session:
        watches = {w.ticket_id: w for w in await session.scalars(select(Watch))}
        found = list(await session.scalars(select(Ticket)))
    assert len(found) == len(rows) > 100
    for t in found:
        want = running(t.status, t.dispatched_at, t.accept_due, t.registered_at, t.complete_due)
        w = watches.get(t.id)
        assert (None if w is None else (w.kind, w.start, w.due)) == want, t.number
