"""queue_log from Asterisk's realtime table (extconfig.conf `queue_log => pgsql,...`): the same calls
as the file, caught up by id, the position kept across an engine restart."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.db import make_engine, make_sessionmaker
from queuelog import QueueLogReducer, parse_lines
from queuelog.follower import QueueLogFollower
from queuelog.models import TABLES as QL_TABLES
from queuelog.position import PositionStore
from queuelog.sources import QUEUE_LOG_TABLE, TableSource

TRACE = Path(__file__).parents[1] / "fixtures" / "traces" / "queue_log" / "13-hotline-dialplan.queue_log"
ZONE = ZoneInfo("Asia/Shanghai")


def _rows(lines: list[str]) -> list[dict]:
    """What logger.c stores with queue_adaptive_realtime: local time, the data split into data1..5."""
    rows = []
    for line in lines:
        when, callid, queue, agent, event, *data = line.split("|")
        data = (data + [""] * 5)[:5]
        rows.append({"time": datetime.fromtimestamp(int(when), ZONE).replace(tzinfo=None), "callid": callid,
                     "queuename": queue, "agent": agent, "event": event,
                     **{f"data{i + 1}": d for i, d in enumerate(data)}})
    return rows


@pytest.fixture
async def db(database_url):
    engine = make_engine(database_url)
    tables = [QUEUE_LOG_TABLE, *QL_TABLES]
    async with engine.begin() as conn:
        for table in tables:
            await conn.run_sync(lambda c, t=table: t.drop(c, checkfirst=True))
            await conn.run_sync(lambda c, t=table: t.create(c))
    yield engine
    async with engine.begin() as conn:
        for table in tables:
            await conn.run_sync(lambda c, t=table: t.drop(c, checkfirst=True))
    await engine.dispose()


def _clock():
    return datetime(2026, 12, 2, 12, 0, tzinfo=ZONE)


def _follower(db, handed: list) -> QueueLogFollower:
    async def sink(calls):
        handed.extend((c.callid, c.outcome.value, c.wait_seconds) for c in calls)

    return QueueLogFollower("pbx1:table:queue_log", TableSource(db, zone=ZONE), PositionStore(make_sessionmaker(db), _clock),
                            sink, _clock, start_at_end=False)


async def test_given_the_realtime_table_then_the_calls_equal_the_files_and_a_restart_goes_on_by_id(db):
    lines = TRACE.read_text(encoding="utf-8").splitlines()
    half = next(i for i, line in enumerate(lines) if "|ABANDON|" in line) + 1
    async with db.begin() as conn:
        await conn.execute(QUEUE_LOG_TABLE.insert(), _rows(lines[:half]))
    handed: list = []
    await _follower(db, handed).catch_up("start")
    # the 119 transfer settled: 71 s of log passed without the caller coming back
    assert [h[0] for h in handed] == ["1796193929.1", "1796193991.9", "1796194020.15", "1796194060.23"]
    async with db.begin() as conn:                    # the engine is down while Asterisk writes on
        await conn.execute(QUEUE_LOG_TABLE.insert(), _rows(lines[half:]))
    again: list = []
    await _follower(db, again).catch_up("restart")    # a new process: position from the database
    reducer = QueueLogReducer()
    reducer.feed(parse_lines(lines).records)
    expected = {(c.callid, c.outcome.value, c.wait_seconds) for c in reducer.settled()}
    assert set(handed) | set(again) == expected
    assert [h[0] for h in again] == ["1796194080.27"]   # nothing handed twice


async def test_given_a_kill_in_the_middle_of_an_overflow_then_the_restart_reads_that_call_from_its_first_row(db):
    lines = TRACE.read_text(encoding="utf-8").splitlines()
    cut = next(i for i, line in enumerate(lines) if "|EXITWITHTIMEOUT|" in line) + 1
    async with db.begin() as conn:
        await conn.execute(QUEUE_LOG_TABLE.insert(), _rows(lines[:cut]))
    first: list = []
    await _follower(db, first).catch_up("start")
    assert "1796194080.27" not in {h[0] for h in first}       # an overflow may still follow the timeout
    async with db.begin() as conn:
        await conn.execute(QUEUE_LOG_TABLE.insert(), _rows(lines[cut:]))
    again: list = []
    await _follower(db, again).catch_up("restart")           # its ENTERQUEUE row is read again
    assert again == [("1796194080.27", "answered", 61)]
