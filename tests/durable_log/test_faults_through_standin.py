"""Whole flows through the stand-in: the engine killed, or its AMI link cut, while Asterisk goes
on taking calls and writing queue_log; afterwards the call log and the 漏接回拨 worklist equal
what Asterisk did (the citizens' own outcomes are the count)."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from asterisk_standin.people import Citizen
from calls.models import CallRecord, MissedCall
from hotline.testing import running_hotline

# a long interval: what catches up here is the start and the AMI reconnect (and their retries)
QUEUE_LOG = {"queue_log": {"interval_seconds": 600, "settle_seconds": 2}}


async def _until(predicate, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.1)


def _citizen(number: str, patience: float | None) -> Citizen:
    return Citizen(number, "市民", dialed="12345", context="from-trunk", patience=patience)


async def _expected(outs) -> dict[str, str]:
    for _number, out in outs:
        async with asyncio.timeout(30):
            await out.done.wait()
    return {number: "answered" if out.answered_by else "abandoned" for number, out in outs if out.queue}


async def _call_log(hotline) -> tuple[dict[str, str], list[MissedCall]]:
    async with hotline.engine.sessions() as session:
        calls = (await session.execute(select(CallRecord))).scalars().all()
        missed = (await session.execute(select(MissedCall).where(MissedCall.status == "pending"))).scalars().all()
    return {c.caller_number: c.outcome for c in calls}, list(missed)


async def _placed_one_by_one(hotline, first: int, count: int, gap: float = 0.15) -> list:
    """Patient and impatient callers in turn behind one agent: some answered, some abandon."""
    outs = []
    for i in range(count):
        number = f"1390000{first + i:04d}"
        outs.append((number, hotline.call(_citizen(number, None if i % 2 == 0 else 4.0))))
        await asyncio.sleep(gap)
    return outs


def _assert_equal_to_asterisk(expected: dict[str, str], logged: dict[str, str], missed: list[MissedCall]) -> None:
    assert {n: logged.get(n) for n in expected} == expected
    """A caller who hung up in the IVR after intake is on the worklist too (ivr_hangup, not queue_log's)."""
    abandoned = sorted(n for n, o in expected.items() if o == "abandoned")
    queued = [m for m in missed if m.caller_number in expected]
    assert sorted(m.caller_number for m in queued) == abandoned   # each abandoned caller once, no answered one
    assert all(m.miss_count == 1 and m.reason == "abandoned" for m in queued)


async def test_given_the_engine_is_killed_during_traffic_when_it_restarts_then_every_call_is_logged_as_asterisk_had_it(
        tmp_path, database_url):
    async with running_hotline(tmp_path, queue_log=True, database_url=database_url, config=QUEUE_LOG) as hotline:
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=6.0)
        await _until(lambda: _true(hotline.engine.services["floor"].available_agents("hotline-general") == 1))
        before = await _placed_one_by_one(hotline, 0, 4)
        in_talk = before[0][1]
        await _until(lambda: _true(in_talk.answered_by))
        await hotline.kill_engine()                                  # no flush: memory gone
        during = await _placed_one_by_one(hotline, 100, 6)
        expected = await _expected(before + during)
        assert "answered" in expected.values() and "abandoned" in expected.values()
        await hotline.start_engine()

        async def reconciled() -> bool:
            logged, _ = await _call_log(hotline)
            return all(logged.get(n) == o for n, o in expected.items())

        await _until(reconciled, timeout=10.0)                      # the bench target: within 10 s
        logged, missed = await _call_log(hotline)
        _assert_equal_to_asterisk(expected, logged, missed)
        await asyncio.sleep(1.0)                                     # more catch-ups: nothing doubles
        await hotline.engine.services["queue_log"].catch_up("test")
        logged_again, missed_again = await _call_log(hotline)
        assert logged_again == logged and [m.id for m in missed_again] == [m.id for m in missed]


async def test_given_the_ami_link_is_cut_during_traffic_when_it_is_back_then_the_call_log_equals_asterisk(
        tmp_path, database_url):
    async with running_hotline(tmp_path, queue_log=True, database_url=database_url, config=QUEUE_LOG) as hotline:
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=6.0)
        await _until(lambda: _true(hotline.engine.services["floor"].available_agents("hotline-general") == 1))
        before = await _placed_one_by_one(hotline, 200, 2)
        await _until(lambda: _true(before[0][1].answered_by))
        await hotline.standin.ami.stop()                             # the link drops; calls go on
        during = await _placed_one_by_one(hotline, 300, 6)
        expected = await _expected(before + during)
        await hotline.standin.ami.start()

        async def reconciled() -> bool:
            logged, missed = await _call_log(hotline)
            queued = [m for m in missed if m.caller_number in expected]
            return (all(logged.get(n) == o for n, o in expected.items())
                    and len(queued) == sum(o == "abandoned" for o in expected.values()))

        await _until(reconciled, timeout=15.0)
        logged, missed = await _call_log(hotline)
        _assert_equal_to_asterisk(expected, logged, missed)


async def _true(value) -> bool:
    return bool(value)



async def test_given_the_queue_log_rotates_while_the_engine_is_down_then_the_restart_reads_both_files(
        tmp_path, database_url):
    async with running_hotline(tmp_path, queue_log=True, database_url=database_url, config=QUEUE_LOG) as hotline:
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=6.0)
        await _until(lambda: _true(hotline.engine.services["floor"].available_agents("hotline-general") == 1))
        await hotline.kill_engine()
        before = await _placed_one_by_one(hotline, 500, 3)
        expected = await _expected(before)
        hotline.pbx.rotate_queue_log()                               # `logger rotate`: queue_log -> queue_log.0
        after = await _placed_one_by_one(hotline, 600, 3)
        expected |= await _expected(after)
        assert (tmp_path / "log" / "queue_log.0").exists() and (tmp_path / "log" / "queue_log").exists()
        await hotline.start_engine()

        async def reconciled() -> bool:
            logged, _ = await _call_log(hotline)
            return all(logged.get(n) == o for n, o in expected.items())

        await _until(reconciled, timeout=10.0)
        logged, missed = await _call_log(hotline)
        _assert_equal_to_asterisk(expected, logged, missed)
