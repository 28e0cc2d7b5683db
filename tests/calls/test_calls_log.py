"""CallLog on SQLite and PostgreSQL: records, the callback worklist (漏接回拨), caller history."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from calls.codes import MissedStatus, MissReason, Outcome
from calls.errors import AlreadyHandled, InvalidCallField, MissedCallNotFound
from calls.service import DRAFT_CONTENT, CallLog
from calls.tracker import CallTracker
from hotline.ami import events as ev
from tests.calls.trace_feed import events, replay, varset


def finished(trace: str, clock, *inject: tuple[str, str]):
    """The FinishedCall(s) of a real trace, optionally with VarSets added on the caller's side."""
    stream = events(trace)
    if inject:
        at = next(i for i, e in enumerate(stream) if isinstance(e, ev.QueueCallerJoin)
                  or isinstance(e, ev.VarSet))
        stream[at:at] = [varset(stream[at], k, v) for k, v in inject]
    done = []
    replay(stream, clock, CallTracker(clock, done.append))
    return done


async def test_given_answered_call_then_stored_with_agent_and_hold_and_no_callback(call_log, clock):
    (call,) = finished("02a-ami-call-ivr-queue-answered", clock)
    view = await call_log.record(call)
    assert (view.outcome, view.answered_interface, view.answered_member, view.hold_seconds) == (
        Outcome.ANSWERED, "Local/agent1@agents", "Agent One", 0)
    assert view.outcome_label == "已接通" and view.caller_name == "Citizen Zhang"
    assert await call_log.list_missed() == []
    assert (await call_log.get_call("1795352725.0")).talk_seconds == 4


async def test_given_abandon_without_intake_then_worklist_row_and_a_minimal_draft(call_log, tickets, clock):
    (call,) = finished("02b-ami-queue-caller-abandon", clock)
    view = await call_log.record(call)
    (row,) = await call_log.list_missed()
    assert (row.caller_number, row.caller_name, row.line, row.reason, row.status) == (
        "13800138000", "Citizen Zhang", "12346", MissReason.ABANDONED, MissedStatus.PENDING)
    assert row.waited_seconds == 4 and row.miss_count == 1 and row.status_label == "待回拨"
    draft = await tickets.get(row.ticket_number)
    assert (draft.status.value, draft.caller, draft.call_id, draft.line_dialed, draft.content) == (
        "draft", "13800138000", "1795352736.4", "12346", DRAFT_CONTENT)
    assert (await call_log.get_call(view.linkedid)).ticket_number == row.ticket_number


@pytest.mark.parametrize(("trace", "reason", "label", "waited", "line"), [
    ("02c-ami-queue-empty-timeout", MissReason.TIMEOUT, "排队超时", 5, "12347"),
    ("02d-ami-queue-joinempty-strict", MissReason.NO_AGENT, "无坐席可接", 3, "12348"),
])
async def test_given_queue_timeout_or_no_agent_then_on_the_worklist_with_that_reason(
        call_log, tickets, clock, trace, reason, label, waited, line):
    (call,) = finished(trace, clock)
    await call_log.record(call)
    (row,) = await call_log.list_missed()
    assert (row.reason, row.reason_label, row.waited_seconds, row.line) == (reason, label, waited, line)
    assert (await tickets.get(row.ticket_number)).content == DRAFT_CONTENT


async def test_given_intake_ticket_then_the_row_carries_it_and_its_transcript_no_second_draft(
        call_log, tickets, clock):
    intake = await tickets.create_draft(caller="13800138000", call_id="1795352736.4",
                                        transcript="小区门口路灯坏了三天，晚上很黑")
    (call,) = finished("02b-ami-queue-caller-abandon", clock,
                       ("__HOTLINE_LINE", "12345"), ("HOTLINE_TICKET", intake.number))
    view = await call_log.record(call)
    (row,) = await call_log.list_missed()
    assert (row.ticket_number, row.line, view.ticket_number) == (intake.number, "12345", intake.number)
    assert row.transcript_snippet == "小区门口路灯坏了三天，晚上很黑"
    assert len(await tickets.search(caller="13800138000")) == 1


async def test_given_hangup_in_ivr_after_intake_then_on_the_worklist_without_intake_then_not(
        call_log, tickets, clock):
    intake = await tickets.create_draft(caller="13800138000", content="咨询社保")
    (with_ticket,) = finished("02d-ami-queue-joinempty-strict", clock,
                              ("HOTLINE_ACTION", "hangup"), ("HOTLINE_TICKET", intake.number))
    with_ticket = replace(with_ticket, outcome=Outcome.IVR_HANGUP)
    without = replace(with_ticket, linkedid="x.1", ticket_number="", caller_number="13900139000")
    await call_log.record(with_ticket)
    await call_log.record(without)
    (row,) = await call_log.list_missed()
    assert (row.reason, row.caller_number, row.ticket_number) == (MissReason.IVR_HANGUP, "13800138000", intake.number)
    assert row.transcript_snippet == "咨询社保"


async def test_given_three_misses_in_an_hour_then_one_row_counting_three_and_one_draft(call_log, tickets, clock):
    (call,) = finished("02b-ami-queue-caller-abandon", clock)
    for n in range(3):
        await call_log.record(replace(call, linkedid=f"1795352736.{n}",
                                      ended_at=call.ended_at + timedelta(minutes=20 * n),
                                      left_queue_at=call.left_queue_at + timedelta(minutes=20 * n)))
    (row,) = await call_log.list_missed()
    assert (row.miss_count, row.linkedid, len(row.calls)) == (3, "1795352736.2", 3)
    assert row.missed_at - row.first_missed_at == timedelta(minutes=40)
    assert len(await tickets.search(caller="13800138000")) == 1
    later = replace(call, linkedid="1795352736.9", left_queue_at=call.left_queue_at + timedelta(hours=3))
    await call_log.record(later)
    assert [r.miss_count for r in await call_log.list_missed()] == [3, 1]


async def test_given_same_caller_on_another_line_then_a_separate_row(call_log, clock):
    (call,) = finished("02b-ami-queue-caller-abandon", clock)
    await call_log.record(call)
    await call_log.record(replace(call, linkedid="y.1", line="12315"))
    assert sorted(r.line for r in await call_log.list_missed()) == ["12315", "12346"]
    assert [r.line for r in await call_log.list_missed(line="12315")] == ["12315"]


async def test_given_the_same_finished_call_twice_then_stored_once(call_log, tickets, clock):
    (call,) = finished("02b-ami-queue-caller-abandon", clock)
    await call_log.record(call)
    await call_log.record(call)
    (row,) = await call_log.list_missed()
    assert row.miss_count == 1 and len(await tickets.search(caller="13800138000")) == 1


async def test_given_withheld_number_then_recorded_but_not_on_the_worklist(call_log, tickets, clock):
    (call,) = finished("02b-ami-queue-caller-abandon", clock)
    for n, number in enumerate(["", "anonymous"]):
        await call_log.record(replace(call, linkedid=f"z.{n}", caller_number=number))
    assert await call_log.list_missed() == [] and await tickets.search(limit=5) == []
    assert (await call_log.get_call("z.1")).outcome is Outcome.ABANDONED


async def test_given_a_callback_that_reaches_the_citizen_then_called_back_and_no_second_marking(call_log, clock):
    (call,) = finished("02b-ami-queue-caller-abandon", clock)
    await call_log.record(call)
    (row,) = await call_log.list_missed()
    done = await call_log.mark_called_back(row.id, "坐席07", "reached", "已告知办理进度")
    assert (done.status, done.attempts, done.handled_by, done.note) == (
        MissedStatus.CALLED_BACK, 1, "坐席07", "已告知办理进度")
    assert done.last_attempt_at == clock.now
    assert await call_log.list_missed() == []
    assert [r.id for r in await call_log.list_missed(status="called_back")] == [row.id]
    with pytest.raises(AlreadyHandled) as err:
        await call_log.mark_called_back(row.id, "坐席08", "reached")
    assert err.value.error_id == "calls.already_handled"


async def test_given_three_unanswered_callbacks_then_unreachable(call_log, clock):
    (call,) = finished("02c-ami-queue-empty-timeout", clock)
    await call_log.record(call)
    (row,) = await call_log.list_missed()
    first = await call_log.mark_called_back(row.id, "坐席07", "unreachable")
    assert (first.status, first.attempts) == (MissedStatus.PENDING, 1)
    await call_log.mark_called_back(row.id, "坐席07", "unreachable")
    last = await call_log.mark_called_back(row.id, "坐席07", "unreachable", "关机")
    assert (last.status, last.attempts, last.status_label) == (MissedStatus.UNREACHABLE, 3, "无法联系")


@pytest.mark.parametrize(("args", "error", "field"), [
    ((999, "坐席07", "reached"), MissedCallNotFound, None),
    ((None, "坐席07", "maybe"), InvalidCallField, "result"),
    ((None, "  ", "reached"), InvalidCallField, "actor"),
    ((None, "坐席07", "reached", "x" * 2001), InvalidCallField, "note"),
])
async def test_given_bad_callback_input_then_typed_errors(call_log, clock, args, error, field):
    (call,) = finished("02b-ami-queue-caller-abandon", clock)
    await call_log.record(call)
    (row,) = await call_log.list_missed()
    args = (row.id if args[0] is None else args[0], *args[1:])
    with pytest.raises(error) as err:
        await call_log.mark_called_back(*args)
    if field:
        assert err.value.field == field
    assert (await call_log.get_missed(row.id)).status is MissedStatus.PENDING


async def test_given_bad_list_arguments_then_typed_errors(call_log):
    with pytest.raises(InvalidCallField):
        await call_log.list_missed(status="done")
    with pytest.raises(InvalidCallField):
        await call_log.list_missed(limit=0)
    with pytest.raises(InvalidCallField):
        await call_log.caller_history("not a number")


async def test_given_a_pending_row_when_closed_then_off_the_list_with_the_reason(call_log, clock):
    (call,) = finished("02b-ami-queue-caller-abandon", clock)
    await call_log.record(call)
    (row,) = await call_log.list_missed()
    closed = await call_log.close_missed(row.id, "班长", "重复来电，已在另一工单处理")
    assert closed.status is MissedStatus.CLOSED and await call_log.list_missed() == []
    with pytest.raises(InvalidCallField):
        await call_log.close_missed(row.id, "班长", "")


async def test_given_the_caller_gets_through_later_then_the_pending_callback_is_closed(call_log, clock):
    (missed,) = finished("02b-ami-queue-caller-abandon", clock)
    (answered,) = finished("02a-ami-call-ivr-queue-answered", clock)
    await call_log.record(missed)
    await call_log.record(answered)
    assert await call_log.list_missed() == []
    (row,) = await call_log.list_missed(status="closed")
    assert row.handled_by == "system" and answered.linkedid in row.note


async def test_given_a_caller_with_history_then_the_screen_pop_has_calls_tickets_and_callbacks(
        sessions, clock, tickets):
    log = CallLog(sessions, clock, tickets, close_on_answered=False)
    (answered,) = finished("02a-ami-call-ivr-queue-answered", clock)
    (missed,) = finished("02b-ami-queue-caller-abandon", clock)
    await log.record(answered)
    await log.record(missed)
    history = await log.caller_history("138-0013-8000")
    assert history.caller_number == "13800138000"
    assert [c.outcome for c in history.calls] == [Outcome.ABANDONED, Outcome.ANSWERED]  # newest first
    assert [t.content for t in history.tickets] == [DRAFT_CONTENT]
    assert [p.reason for p in history.pending_callbacks] == [MissReason.ABANDONED]
    empty = await log.caller_history("13900139000")
    assert empty.calls == () and empty.tickets == () and empty.pending_callbacks == ()


async def test_given_ten_waiting_callers_trace_then_every_call_recorded_with_chinese_names(call_log, clock):
    for call in finished("10-ami-queue-waiting-prio", clock):
        await call_log.record(call)
    (row,) = await call_log.list_missed()
    assert (row.caller_name, row.caller_number, row.waited_seconds) == ("赵强", "13600136000", 12)
    history = await call_log.caller_history("13700137000")
    assert [(c.caller_name, c.outcome, c.answered_member) for c in history.calls] == [
        ("王芳", Outcome.ANSWERED, "坐席11")]


async def test_given_a_naive_timestamp_then_rejected_as_invalid(call_log, clock):
    (call,) = finished("02b-ami-queue-caller-abandon", clock)
    with pytest.raises(InvalidCallField):
        await call_log.record(replace(call, started_at=call.started_at.replace(tzinfo=None)))


async def test_given_two_agents_mark_the_same_row_at_once_then_exactly_one_callback_counts(call_log, clock):
    (call,) = finished("02b-ami-queue-caller-abandon", clock)
    await call_log.record(call)
    (row,) = await call_log.list_missed()
    results = await asyncio.gather(call_log.mark_called_back(row.id, "坐席07", "reached"),
                                   call_log.mark_called_back(row.id, "坐席08", "reached"),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["AlreadyHandled", "MissedCallView"]
    final = await call_log.get_missed(row.id)
    assert final.attempts == 1 and final.status is MissedStatus.CALLED_BACK


async def test_given_a_caller_name_with_a_nul_byte_then_the_call_is_stored_cleaned_and_the_next_flows(call_log, clock):
    """Issue 10.6: PostgreSQL refuses NUL in text; one such caller id must not block the call log."""
    (call,) = finished("02b-ami-queue-caller-abandon", clock)
    dirty = replace(call, caller_name="张\x00三\u2028\x1b[31m", line="12346\x00", ivr_vars={"LANG\x00": "zh\x00"})
    await call_log.record(dirty)
    view = await call_log.get_call(call.linkedid)
    assert view.caller_name == "张三[31m" and view.line == "12346"
    (row,) = await call_log.list_missed()
    assert row.caller_name == "张三[31m"
    (answered,) = finished("02a-ami-call-ivr-queue-answered", clock)
    assert (await call_log.record(answered)).outcome is Outcome.ANSWERED
