"""Retention on SQLite and PostgreSQL: only expired recordings of closed (or no) tickets go;
open tickets keep theirs; per-line and confidential keeping times; the pass survives restarts."""
from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from recordings.catalogue import Catalogue
from recordings.models import State
from recordings.retention import Retention, RetentionPolicy
from recordings.schedule import RetentionSchedule, first_run
from tests.conftest import FIXTURES

WAV = FIXTURES / "traces" / "recordings" / "mixmon-12345-test.wav"
ZONE = ZoneInfo("Asia/Shanghai")


async def _recording(catalogue, root: Path, clock, name: str, *, days_ago: float, line="12345", ticket=None):
    path = root / f"{name}.wav"
    shutil.copyfile(WAV, path)
    view = await catalogue.open(server="pbx1", linkedid=name, channel="PJSIP/trunk-1", file_path=str(path),
                                started_at=clock() - timedelta(days=days_ago), line=line, ticket_number=ticket)
    await catalogue.finish(view.id, view.started_at + timedelta(minutes=3))
    from recordings.filecheck import inspect_file

    return await catalogue.record_check(view.id, State.COMPLETE, inspect_file(path), None, first=True)


async def _ticket(tickets, *, close: bool, confidential: bool = False) -> str:
    t = await tickets.create_draft(caller="13800138000", confidential=confidential)
    if close:
        t = await tickets.register(t.number, "agent01", request_type="consult", content="咨询公积金提取")
        await _close(tickets, t.number)
    return t.number


async def _close(tickets, number: str) -> None:
    await tickets.reply(number, "已答复", "agent01")
    await tickets.record_callback(number, "satisfied", None, "agent01")
    await tickets.close(number, "agent01")


def _exists(path: str) -> bool:
    return Path(path).exists()


@pytest.fixture
def root(tmp_path):
    path = tmp_path / "recordings"
    path.mkdir()
    return path.resolve()


@pytest.fixture
def catalogue(sessions, clock):
    return Catalogue(sessions, clock)


def _retention(sessions, catalogue, tickets, root, clock, **policy):
    return Retention(sessions, catalogue, tickets, RetentionPolicy(**policy), root, clock)


async def test_given_expired_and_fresh_recordings_then_only_expired_ones_without_open_tickets_go(
        sessions, catalogue, tickets, root, clock):
    closed = await _ticket(tickets, close=True)
    still_open = await _ticket(tickets, close=False)
    gone_plain = await _recording(catalogue, root, clock, "old-no-ticket", days_ago=200)
    gone_closed = await _recording(catalogue, root, clock, "old-closed", days_ago=200, ticket=closed)
    kept_open = await _recording(catalogue, root, clock, "old-open", days_ago=400, ticket=still_open)
    kept_fresh = await _recording(catalogue, root, clock, "fresh", days_ago=10)
    result = await _retention(sessions, catalogue, tickets, root, clock, default_days=180).run_once()
    assert (result.deleted, result.kept_open_ticket, result.errors) == (2, 1, 0)
    for view in (gone_plain, gone_closed):
        after = await catalogue.get(view.id)
        assert after.state is State.DELETED and after.deleted_at == clock()
        assert not _exists(view.file_path)
    for view in (kept_open, kept_fresh):
        assert (await catalogue.get(view.id)).state is State.COMPLETE and _exists(view.file_path)


async def test_given_the_ticket_closes_later_then_the_next_pass_deletes_it(sessions, catalogue, tickets, root, clock):
    number = await _ticket(tickets, close=False)
    view = await _recording(catalogue, root, clock, "waits", days_ago=300, ticket=number)
    retention = _retention(sessions, catalogue, tickets, root, clock, default_days=180)
    assert (await retention.run_once()).deleted == 0
    await tickets.register(number, "agent01", request_type="consult", content="咨询")
    await _close(tickets, number)
    assert (await retention.run_once()).deleted == 1
    assert (await catalogue.get(view.id)).state is State.DELETED
    assert (await retention.run_once()).examined == 0  # idempotent: deleted rows are not looked at again


async def test_given_per_line_and_confidential_keeping_times_then_each_recording_gets_its_own(
        sessions, catalogue, tickets, root, clock):
    secret = await _ticket(tickets, close=True, confidential=True)
    short_line = await _recording(catalogue, root, clock, "line-12315", days_ago=40, line="12315")
    default_line = await _recording(catalogue, root, clock, "line-12345", days_ago=40, line="12345")
    confidential = await _recording(catalogue, root, clock, "confidential", days_ago=200, ticket=secret)
    retention = _retention(sessions, catalogue, tickets, root, clock, default_days=90, by_line={"12315": 30},
                           confidential_days=365)
    assert (await retention.run_once()).deleted == 1
    assert (await catalogue.get(short_line.id)).state is State.DELETED
    assert (await catalogue.get(default_line.id)).state is State.COMPLETE
    assert (await catalogue.get(confidential.id)).state is State.COMPLETE  # confidential: kept a year


async def test_given_a_ticket_number_that_does_not_exist_then_the_recording_is_kept(
        sessions, catalogue, tickets, root, clock):
    view = await _recording(catalogue, root, clock, "orphan", days_ago=500, ticket="NOPE-1")
    result = await _retention(sessions, catalogue, tickets, root, clock).run_once()
    assert (result.deleted, result.kept_open_ticket) == (0, 1)
    assert _exists(view.file_path)


async def test_given_a_catalogued_path_outside_the_directory_then_it_is_never_deleted(
        sessions, catalogue, tickets, root, clock, tmp_path):
    outside = tmp_path / "precious.wav"
    shutil.copyfile(WAV, outside)
    view = await catalogue.open(server="pbx1", linkedid="x", channel="c", file_path=str(outside),
                                started_at=clock() - timedelta(days=999))
    await catalogue.record_check(view.id, State.COMPLETE, None, None, first=True)
    result = await _retention(sessions, catalogue, tickets, root, clock).run_once()
    assert (result.deleted, result.flagged) == (0, 1) and outside.exists()
    assert (await catalogue.get(view.id)).state is State.DAMAGED


@pytest.mark.parametrize("policy", [dict(default_days=0), dict(by_line={"12345": -1}), dict(confidential_days=0)])
def test_given_a_non_positive_keeping_time_then_the_policy_is_refused(policy):
    with pytest.raises(ValueError, match="retention days"):
        RetentionPolicy(**policy)


def test_given_the_last_pass_then_the_first_run_after_a_start_is_on_schedule_or_now_if_overdue(clock):
    every, delay = timedelta(hours=6), timedelta(seconds=30)
    now = clock()
    assert first_run(None, now, every, delay) == now + delay
    assert first_run(now - timedelta(hours=7), now, every, delay) == now + delay
    assert first_run(now - timedelta(hours=1), now, every, delay) == now + timedelta(hours=5)


async def test_given_a_restart_with_a_pass_overdue_then_the_scheduler_runs_it_and_records_it(
        sessions, catalogue, tickets, root, clock):
    view = await _recording(catalogue, root, clock, "expired", days_ago=400)
    retention = _retention(sessions, catalogue, tickets, root, clock)
    assert await retention.last_run() is None
    schedule = RetentionSchedule(retention, clock, every=timedelta(hours=6), start_delay=timedelta(0))
    await schedule.start()
    try:
        async with asyncio.timeout(10):
            await schedule.ran.wait()
    finally:
        await schedule.stop()
    assert (await catalogue.get(view.id)).state is State.DELETED
    assert await retention.last_run() == clock()
    again = RetentionSchedule(retention, clock, every=timedelta(hours=6))  # the engine restarts
    due = await again.start()
    await again.stop()
    assert due == clock() + timedelta(hours=6)  # not overdue: no pass at start-up
    stray = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert stray == [], stray
