"""The 漏接回拨 page's rules in the call log (issue 14.3), on SQLite and PostgreSQL: of agents
clicking one row at once exactly one holds it; only the holder records, until the claim expires;
无人接听 counts up to max_attempts (多次未接通); the callback rate is handled ÷ entries."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from calls.codes import Outcome
from calls.errors import AlreadyHandled, ClaimedByOther
from calls.finished import FinishedCall

HOLD = timedelta(minutes=10)


async def _miss(call_log, clock, linkedid: str, number: str) -> int:
    now = clock()
    await call_log.record(FinishedCall("pbx1", linkedid, Outcome.ABANDONED, now - timedelta(seconds=40), now,
                                       caller_number=number, line="12345", hold_seconds=30, left_queue_at=now))
    return next(m.id for m in await call_log.list_missed() if m.caller_number == number)


async def test_of_five_agents_clicking_one_row_at_once_exactly_one_holds_it(call_log, clock):
    missed_id = await _miss(call_log, clock, "c1", "13800138001")
    agents = [f"agent0{i}" for i in range(1, 6)]
    results = await asyncio.gather(*(call_log.claim_missed(missed_id, a, HOLD) for a in agents),
                                   return_exceptions=True)
    won = [a for a, r in zip(agents, results, strict=True) if not isinstance(r, Exception)]
    assert len(won) == 1
    assert all(isinstance(r, ClaimedByOther) and r.holder == won[0] for r in results if isinstance(r, Exception))
    loser = next(a for a in agents if a != won[0])
    with pytest.raises(ClaimedByOther):
        await call_log.record_callback(missed_id, loser, "reached", HOLD)
    clock.advance(minutes=11)                                     # the holder went away: the claim lapses
    await call_log.claim_missed(missed_id, loser, HOLD)
    row = await call_log.record_callback(missed_id, loser, "reached", HOLD)
    assert (row.status.value, row.handled_by, row.claimed_by, row.attempts) == ("called_back", loser, None, 1)
    with pytest.raises(AlreadyHandled):
        await call_log.claim_missed(missed_id, won[0], HOLD)


async def test_no_answer_counts_to_the_limit_and_the_rate_is_handled_over_entries(call_log, clock):
    start = clock()
    reached = await _miss(call_log, clock, "c1", "13800138001")
    wrong = await _miss(call_log, clock, "c2", "13800138002")
    tries = await _miss(call_log, clock, "c3", "13800138003")
    await _miss(call_log, clock, "c4", "13800138004")            # nobody called it back yet
    await call_log.record_callback(reached, "agent01", "reached", HOLD)
    await call_log.record_callback(wrong, "agent01", "wrong_number", HOLD)
    for attempt in (1, 2):
        row = await call_log.record_callback(tries, "agent02", "no_answer", HOLD)
        assert (row.status.value, row.attempts) == ("pending", attempt)
    row = await call_log.record_callback(tries, "agent02", "no_answer", HOLD)
    assert (row.status.value, row.attempts, row.last_result) == ("unreachable", 3, "no_answer")
    assert [m.caller_number for m in await call_log.list_missed()] == ["13800138004"]

    rate = await call_log.callback_rate(start - timedelta(hours=1), clock() + timedelta(seconds=1))
    assert {k: rate[k] for k in ("entries", "handled", "called_back", "wrong_number", "unreachable", "pending")} == \
        {"entries": 4, "handled": 3, "called_back": 1, "wrong_number": 1, "unreachable": 1, "pending": 1}
    assert rate["rate"] == 75.0
    empty = await call_log.callback_rate(start - timedelta(days=3), start - timedelta(days=2))
    assert (empty["entries"], empty["rate"]) == (0, None)
