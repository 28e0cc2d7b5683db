"""Per-agent figures from queue_log (issue 10.4): the real Asterisk 22 trace 13, pauses with their
reason, wrap-up in the handling time, an Asterisk restart, and the stored lines read back the same
after an engine restart (docs/metrics.md, 坐席)."""
from __future__ import annotations

from pathlib import Path

import pytest

from hotline.db import Base, make_sessionmaker
from queuelog import parse_lines
from queuelog.agent_store import AgentLineStore
from queuelog.agents import agent_figures
from queuelog.follower import QueueLogFollower
from queuelog.models import TABLES as QUEUE_LOG_TABLES
from queuelog.sources import FileSource
from queuelog.tail import FileTail

TRACE = Path(__file__).parents[1] / "fixtures" / "traces" / "queue_log" / "13-hotline-dialplan.queue_log"


def _records(lines):
    return parse_lines([line.encode() + b"\n" for line in lines]).records


def test_given_the_real_trace_then_each_agent_has_what_asterisk_logged():
    records = parse_lines(TRACE.read_bytes().splitlines(keepends=True)).records
    figures = agent_figures(records, since=0, now=1796194200)
    zhang, wang, li = figures["张敏"], figures["王芳"], figures["李强"]
    # five CONNECTs; talk 6 + 3 (blind transfer to 119) + 2 (to the busy 120) + 4 + 2
    assert (zhang["answered"], zhang["talk_seconds"], zhang["ring_no_answer"]) == (5, 17, 0)
    assert (zhang["average_talk"], zhang["average_handling"]) == (3.4, 3.4)    # no 话后处理 pause
    assert (zhang["first_login"], zhang["last_logout"]) == (1796193928, 1796194169)  # Asterisk restarted
    assert zhang["pauses"] == [] and not zhang["logged_in"]                     # UNPAUSE alone is no pause
    # 王芳 never answered the 12315 caller: four rings of the overflow, then signed out
    assert (wang["answered"], wang["ring_no_answer"], wang["average_handling"]) == (0, 4, None)
    assert wang["sessions"] == [{"login": 1796194079, "logout": 1796194156}]
    assert (li["first_login"], li["last_logout"], li["answered"]) == (1796194167, 1796194169, 0)


PAUSES = [
    "1000|MANAGER|hotline-general|坐席01|ADDMEMBER|",
    "1000|MANAGER|line-12315|坐席01|ADDMEMBER|",
    "1010|c.1|hotline-general|NONE|ENTERQUEUE||13800138000|1",
    "1012|c.1|hotline-general|坐席01|RINGNOANSWER|2000",
    "1015|c.1|hotline-general|坐席01|CONNECT|5|a.1|3",
    "1075|c.1|hotline-general|坐席01|COMPLETECALLER|5|60|1",
    "1075|NONE|NONE|坐席01|PAUSEALL|话后处理",          # the desk's 话后处理: one line per queue after it
    "1075|NONE|hotline-general|坐席01|PAUSE|话后处理",
    "1075|NONE|line-12315|坐席01|PAUSE|话后处理",
    "1105|NONE|NONE|坐席01|UNPAUSEALL|",
    "1105|NONE|hotline-general|坐席01|UNPAUSE|",
    "1105|NONE|line-12315|坐席01|UNPAUSE|",
    "1200|NONE|line-12315|坐席01|PAUSE|培训",            # paused in one queue only: still taking calls
    "1300|NONE|hotline-general|坐席01|PAUSE|培训",       # now paused everywhere: 示忙 from here
    "1500|NONE|NONE|NONE|QUEUESTART|",                   # Asterisk restarted: members and pauses gone
    "1503|MANAGER|hotline-general|坐席01|ADDMEMBER|",    # the engine re-adds its agent (issue 10.5)
    "1600|NONE|NONE|坐席01|PAUSEALL|午休",
    "1600|NONE|hotline-general|坐席01|PAUSE|午休",
]


def test_given_pauses_and_a_wrap_up_then_the_pause_log_and_handling_time_follow_them():
    figures = agent_figures(_records(PAUSES), since=0, now=1700)["坐席01"]
    assert figures["pauses"] == [
        {"start": 1075, "end": 1105, "reason": "话后处理", "seconds": 30},
        {"start": 1300, "end": 1500, "reason": "培训", "seconds": 200},
        {"start": 1600, "end": None, "reason": "午休", "seconds": 100},     # still paused: until now
    ]
    assert (figures["answered"], figures["ring_no_answer"], figures["talk_seconds"]) == (1, 1, 60)
    assert (figures["wrap_up_seconds"], figures["average_handling"]) == (30, 90.0)   # (60 talk + 30 wrap) / 1
    assert (figures["pause_count"], figures["pause_seconds"]) == (3, 330)
    assert figures["sessions"] == [{"login": 1000, "logout": None}]   # re-added within the restart's grace
    assert figures["logged_in"] and figures["last_logout"] is None


def test_given_a_window_starting_mid_pause_then_the_pause_is_clipped_to_the_window():
    figures = agent_figures(_records(PAUSES), since=1400, now=1700)["坐席01"]
    assert [(p["start"], p["seconds"]) for p in figures["pauses"]] == [(1400, 100), (1600, 100)]
    assert (figures["answered"], figures["first_login"]) == (0, 1400)


@pytest.fixture
async def store(engine):
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=list(QUEUE_LOG_TABLES)))
    yield AgentLineStore(make_sessionmaker(engine))
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=list(QUEUE_LOG_TABLES)))


class _Positions:
    def __init__(self) -> None:
        self.saved = None

    async def load(self, source):
        return self.saved

    async def save(self, source, position):
        self.saved = position


async def test_given_the_follower_reads_again_after_a_restart_then_each_agent_line_is_stored_once(
        store, tmp_path, clock):
    log = tmp_path / "queue_log"
    log.write_bytes(TRACE.read_bytes())
    positions = _Positions()

    async def sink(calls):
        return None

    def follower():
        return QueueLogFollower("standin:q", FileSource(FileTail(log)), positions, sink, clock,
                                start_at_end=False, lines_sink=lambda records: store.save("standin:q", records))

    await follower().catch_up("start")
    positions.saved = None                      # killed before the position was saved: read it all again
    await follower().catch_up("restart")
    stored = await store.since(0)
    agent_lines = [r for r in parse_lines(TRACE.read_bytes().splitlines()).records
                   if r.event not in ("ENTERQUEUE", "ABANDON", "EXITWITHTIMEOUT")]
    assert [(r.time, r.agent, r.event, r.data) for r in stored] == [
        (r.time, r.agent, r.event, tuple(d for d in r.data)) for r in agent_lines]
    assert agent_figures(stored, 0, 1796194200) == agent_figures(agent_lines, 0, 1796194200)


async def test_given_the_database_refuses_the_agent_lines_then_the_batch_is_read_again_next_run(store, tmp_path, clock):
    log = tmp_path / "queue_log"
    log.write_bytes(TRACE.read_bytes())
    fails = [True]

    async def lines_sink(records):
        if fails.pop(0) if fails else False:
            raise ConnectionError("database away")
        await store.save("standin:q", records)

    async def sink(calls):
        return None

    follower = QueueLogFollower("standin:q", FileSource(FileTail(log)), _Positions(), sink, clock,
                                start_at_end=False, lines_sink=lines_sink)
    first = await follower.catch_up("start")
    assert first.deferred == 1 and await store.since(0) == []
    await follower.catch_up("retry")
    assert agent_figures(await store.since(0), 0, 1796194200)["张敏"]["answered"] == 5


async def test_given_lines_stored_between_refreshes_then_reading_only_the_new_rows_gives_the_full_figures(store, engine):
    """The wallboard keeps its timeline and reads only rows stored since its last refresh."""
    from datetime import UTC, datetime

    from agent_console.wallboard.stored import AgentLines

    sessions = make_sessionmaker(engine)
    start = datetime.fromtimestamp(900, UTC)
    kept = AgentLines()
    await store.save("standin:q", _records(PAUSES[:9]))
    await kept.read(sessions, start)
    await store.save("standin:q", _records(PAUSES[9:]))
    incremental = (await kept.read(sessions, start)).figures(0, 1700)
    assert incremental == (await AgentLines().read(sessions, start)).figures(0, 1700)
    assert incremental["坐席01"]["pause_count"] == 3 and kept.last_id == len(PAUSES) - 1   # not the ENTERQUEUE
