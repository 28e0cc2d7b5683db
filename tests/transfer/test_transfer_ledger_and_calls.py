"""The linkage ledger on SQLite and PostgreSQL, and the agent→call index fed with trace 02a."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from hotline.ami import events as ev
from hotline.ami.protocol import AmiReader
from hotline.db import make_engine, make_sessionmaker
from transfer.agent_calls import AgentCalls
from transfer.errors import TransferError
from transfer.ledger import Ledger
from transfer.models import LedgerRow

RAW = Path(__file__).parents[1] / "fixtures" / "traces" / "raw"
T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


@pytest.fixture
async def ledger(database_url):
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: LedgerRow.__table__.drop(sync, checkfirst=True))
        await conn.run_sync(lambda sync: LedgerRow.__table__.create(sync))
    yield Ledger(make_sessionmaker(engine))
    await engine.dispose()


def _row(**overrides) -> dict:
    return {"kind": "emergency", "ticket": "20261122000001", "citizen_number": "13800138000", "linkedid": "1.1",
            "citizen_channel": "PJSIP/trunk-1", "agent_channel": "PJSIP/8101-2", "target": "119",
            "dial": "PJSIP/119@emergency-trunk", "mode": "threeway", "actor": "agent01", "state": "requested",
            "result": None, "detail": "", "summary": "楼道冒烟，住户无法确认火情", "started_at": T0} | overrides


async def test_given_a_transfer_when_it_is_answered_and_ends_then_the_row_keeps_every_instant_in_utc(ledger):
    entry = await ledger.open(**_row())
    await ledger.update(entry.id, state="answered", result="answered", answered_at=T0 + timedelta(seconds=9))
    done = await ledger.update(entry.id, state="ended", ended_at=T0 + timedelta(minutes=3))
    again = await ledger.get(entry.id)
    assert again == done
    assert (again.result, again.summary) == ("answered", "楼道冒烟，住户无法确认火情")
    assert again.answered_at == T0 + timedelta(seconds=9) and again.ended_at.utcoffset() == timedelta(0)
    assert again.as_json()["started_at"] == T0.isoformat()


async def test_given_rows_of_both_kinds_when_listing_then_newest_first_and_filtered(ledger):
    old = await ledger.open(**_row(started_at=T0))
    new = await ledger.open(**_row(kind="subcenter", mode="attended", started_at=T0 + timedelta(minutes=1)))
    assert [e.id for e in await ledger.list()] == [new.id, old.id]
    assert [e.id for e in await ledger.list(kind="emergency")] == [old.id]
    assert [e.id for e in await ledger.list(since=T0 + timedelta(seconds=30))] == [new.id]


@pytest.mark.parametrize("bad", [{"mode": "conference"}, {"kind": "police"}, {"result": "maybe"}])
async def test_given_a_value_outside_the_ledger_vocabulary_when_writing_then_the_database_refuses(ledger, bad):
    with pytest.raises(IntegrityError):
        await ledger.open(**_row(**bad))


async def test_given_an_unknown_row_when_updating_or_reading_then_a_typed_not_found(ledger):
    for attempt in (ledger.update(404, state="ended"), ledger.get(404)):
        with pytest.raises(TransferError) as err:
            await attempt
        assert (err.value.error_id, err.value.status) == ("transfer.not_found", 404)


def test_given_trace_02a_when_the_queue_connects_then_the_agents_phone_knows_its_call_until_agent_complete():
    messages = AmiReader().feed((RAW / "02a-ami-call-ivr-queue-answered.ami1.from_asterisk.bin").read_bytes())
    calls = AgentCalls()
    seen = None
    for msg in messages:
        if not msg.get("Event"):
            continue
        event = ev.to_event(msg)
        calls.handle(event)
        if isinstance(event, ev.AgentConnect):
            seen = calls.of("Local/agent1@agents")
    assert seen is not None
    assert (seen.agent_channel, seen.citizen_channel, seen.queue) == (
        "Local/agent1@agents-00000001;1", "Local/12345@hotline-in-00000000;2", "hotline")
    assert seen.linkedid and seen.linkedid == messages[[m.get("Event") for m in messages].index("Newchannel")]["Uniqueid"]
    assert calls.of("Local/agent1@agents") is None  # AgentComplete ended it
    assert calls.of(None) is None
