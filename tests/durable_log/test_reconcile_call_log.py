"""The call log and the worklist made equal to the real Asterisk queue_log (trace 13), whatever
the engine had stored before: nothing, a wrong outcome, or the same call under its Linkedid."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from calls.codes import MissReason, Outcome
from calls.finished import FinishedCall
from calls.models import CallRecord
from hotline.queue_log_wiring import to_finished
from queuelog import QueueLogReducer, parse_lines

TRACE = Path(__file__).parents[1] / "fixtures" / "traces" / "queue_log" / "13-hotline-dialplan.queue_log"
SERVER = "pbx1"


def _asterisk_calls() -> list[FinishedCall]:
    reducer = QueueLogReducer()
    reducer.feed(parse_lines(TRACE.read_bytes().splitlines()).records)
    return [to_finished(c, SERVER) for c in reducer.settled()]


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


async def _rows(sessions) -> list[CallRecord]:
    async with sessions() as session:
        return list((await session.execute(select(CallRecord).order_by(CallRecord.started_at))).scalars())


async def test_given_an_empty_call_log_then_every_queued_call_is_stored_and_the_abandon_is_on_the_worklist(
        call_log, sessions):
    stats = await call_log.reconcile(_asterisk_calls())
    assert (stats.inserted, stats.corrected) == (5, 0)
    rows = await _rows(sessions)
    assert [(r.caller_number, r.outcome, r.hold_seconds, r.talk_seconds, r.answered_member) for r in rows] == [
        ("13800138000", "answered", 1, 6, "张敏"), ("13300133005", "answered", 1, 3, "张敏"),
        ("13300133007", "answered", 12, 6, "张敏"), ("13500135004", "abandoned", 6, None, None),
        ("13700137002", "answered", 61, 2, "张敏")]
    (missed,) = await call_log.list_missed()
    assert (missed.caller_number, missed.reason, missed.waited_seconds) == ("13500135004", MissReason.ABANDONED, 6)
    again = await call_log.reconcile(_asterisk_calls())             # the next catch-up, the next reconnect
    assert (again.inserted, again.corrected, again.agreed) == (0, 0, 5)
    assert len(await _rows(sessions)) == 5 and len(await call_log.list_missed()) == 1


async def test_given_a_call_answered_while_ami_was_down_then_it_leaves_the_worklist(call_log, sessions):
    # The tracker lost the 12315 caller's channels in an AMI gap: lost track, on the worklist.
    # Its Linkedid is the `;1` half (…26); queue_log knows the `;2` half that ran Queue() (…27).
    lost = FinishedCall(SERVER, "1796194080.26", Outcome.LOST_TRACK, _at(1796194080), _at(1796194150),
                        caller_number="13700137002", line="12315", first_queue="line-12315",
                        final_queue="line-12315", queue_uniqueid="1796194080.27")
    await call_log.record(lost)
    assert [m.caller_number for m in await call_log.list_missed()] == ["13700137002"]
    stats = await call_log.reconcile(_asterisk_calls())
    assert (stats.inserted, stats.corrected) == (4, 1)
    view = await call_log.get_call("1796194080.26")
    assert (view.outcome, view.final_queue) == (Outcome.ANSWERED, "hotline-general")
    assert [m.caller_number for m in await call_log.list_missed()] == ["13500135004"]   # only the abandon
    (closed,) = await call_log.list_missed(status="closed")
    assert closed.caller_number == "13700137002" and "Asterisk" in (closed.note or "")


async def test_given_the_tracker_stores_a_call_after_the_reconcile_then_it_is_one_call_under_its_linkedid(
        call_log, sessions):
    await call_log.reconcile(_asterisk_calls())
    late = FinishedCall(SERVER, "1796194060.22", Outcome.ABANDONED, _at(1796194060), _at(1796194074),
                        caller_number="13500135004", line="12345", first_queue="hotline-general",
                        final_queue="hotline-general", hold_seconds=6, queue_uniqueid="1796194060.23",
                        ivr_vars={"HOTLINE_LINE": "12345"})
    await call_log.record(late)
    async with sessions() as session:
        count = (await session.execute(select(func.count()).select_from(CallRecord).where(
            CallRecord.caller_number == "13500135004"))).scalar_one()
    assert count == 1
    view = await call_log.get_call("1796194060.22")
    assert view is not None and view.line == "12345" and view.outcome is Outcome.ABANDONED
    (missed,) = await call_log.list_missed()
    assert missed.linkedid == "1796194060.22" and missed.miss_count == 1


class _Tracker:
    def __init__(self, ids: set[str]) -> None:
        self.ids = ids

    def queue_ids_in_flight(self) -> set[str]:
        return self.ids


async def test_given_the_engine_still_follows_a_call_then_the_catch_up_waits_for_its_record(call_log, sessions):
    from hotline.queue_log_wiring import make_sink

    reducer = QueueLogReducer()
    reducer.feed(parse_lines(TRACE.read_bytes().splitlines()).records)
    calls = reducer.settled()
    tracker = _Tracker({"1796194060.23"})                 # the abandoned caller's channels are still up
    taken = await make_sink(call_log, SERVER, tracker)(calls)
    assert "1796194060.23" not in taken and len(taken) == 4
    assert await call_log.list_missed() == []             # not yet: the engine's record comes first
    late = FinishedCall(SERVER, "1796194060.22", Outcome.ABANDONED, _at(1796194060), _at(1796194074),
                        caller_number="13500135004", line="12345", first_queue="hotline-general",
                        final_queue="hotline-general", hold_seconds=6, queue_uniqueid="1796194060.23",
                        ticket_number="", ivr_vars={"HOTLINE_ACTION": "queue"})
    await call_log.record(late)
    tracker.ids = set()
    assert await make_sink(call_log, SERVER, tracker)(calls) == {c.callid for c in calls}
    (missed,) = await call_log.list_missed()
    assert (missed.linkedid, missed.line, missed.miss_count) == ("1796194060.22", "12345", 1)


async def test_given_the_reconcile_stored_a_trunk_call_first_then_the_engines_record_fills_in_line_and_ivr_path(
        call_log, sessions):
    # A PJSIP trunk call: the channel that ran Queue() is the first channel, callid == Linkedid.
    (abandon,) = [c for c in _asterisk_calls() if c.queue_uniqueid == "1796194060.23"]
    await call_log.reconcile([abandon])
    tracker_view = FinishedCall(SERVER, "1796194060.23", Outcome.LOST_TRACK, _at(1796194050), _at(1796194075),
                                caller_number="13500135004", line="12345", queue_uniqueid="1796194060.23",
                                ivr_vars={"HOTLINE_ACTION": "queue", "HOTLINE_LINE": "12345"})
    view = await call_log.record(tracker_view)
    assert (view.outcome, view.line) == (Outcome.ABANDONED, "12345")   # Asterisk's outcome, the engine's line
    (row,) = await _rows(sessions)
    assert row.ivr_vars["HOTLINE_ACTION"] == "queue" and row.started_at == _at(1796194050)
    (missed,) = await call_log.list_missed()
    assert missed.line == "12345" and missed.reason is MissReason.ABANDONED


async def test_given_a_call_adopted_after_a_restart_was_stored_as_an_ivr_hang_up_then_asterisks_abandon_lists_it(
        call_log, sessions):
    # Found by tests/faults (kill -9): the new engine adopts a call already queued, never sees its
    # QueueCallerJoin and stores an IVR hang-up without a draft (so not on the worklist). Asterisk
    # says abandoned: the caller must join the worklist, once.
    adopted = FinishedCall(SERVER, "1796194060.23", Outcome.IVR_HANGUP, _at(1796194062), _at(1796194075),
                           caller_number="13500135004", line="12345", queue_uniqueid="1796194060.23")
    await call_log.record(adopted)
    assert await call_log.list_missed() == []
    stats = await call_log.reconcile(_asterisk_calls())
    assert stats.corrected == 1
    (missed,) = await call_log.list_missed()
    assert (missed.caller_number, missed.reason, missed.miss_count) == ("13500135004", MissReason.ABANDONED, 1)
    await call_log.reconcile(_asterisk_calls())                    # the next catch-up changes nothing
    (again,) = await call_log.list_missed()
    assert (again.id, again.miss_count) == (missed.id, 1)
