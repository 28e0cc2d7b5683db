"""CallbackService.record_attempt, the API the survey (h13b) shares with the agents' page: idempotent
keys, partial survey answers, the center's own 直接办结, a deactivated department, due times."""
from __future__ import annotations

from datetime import timedelta

import pytest

from callbacks.rules import CallbackRules
from callbacks.service import CallbackService
from tickets import IllegalTransition, InvalidField

from callbacks_support import fresh_store

@pytest.fixture
async def services(database_url):
    async with fresh_store(database_url) as (sessions, tickets, clock):
        await tickets.add_department("zjj", "住建局")
        rules = CallbackRules(due_after_minutes=30, retry_after_minutes=120, unreachable_after=2,
                              count_channels=("agent", "survey"))
        yield tickets, CallbackService(sessions, tickets, clock, rules), clock


async def replied(tickets, dept: str | None = "cgj", co: tuple[str, ...] = ()) -> str:
    draft = await tickets.create_draft(caller="13800138000", content="井盖缺失")
    await tickets.register(draft.number, "agent01", request_type="help", content="井盖缺失")
    if dept is None:
        await tickets.reply(draft.number, "知识库答复", "agent01")
        return draft.number
    await tickets.dispatch(draft.number, dept, list(co), "agent01")
    await tickets.accept(draft.number, dept, "dept01")
    await tickets.reply(draft.number, "已补装", "dept01", dept=dept, contact="电话")
    return draft.number


async def test_the_same_key_twice_is_one_attempt(services):
    tickets, callbacks, _ = services
    number = await replied(tickets)
    first = await callbacks.record_attempt(number, channel="survey", outcome="busy", actor="survey", key="call-1")
    again = await callbacks.record_attempt(number, channel="survey", outcome="busy", actor="survey", key="call-1")
    assert (first.action, again.action, again.duplicate) == ("pending", "duplicate", True)
    assert again.attempt == first.attempt and len(await callbacks.attempts(number)) == 1
    history = [e.action.value for e in await tickets.history(number)]
    assert history.count("callback_try") == 1


async def test_a_partial_survey_answer_is_kept_and_counts_as_failed(services):
    tickets, callbacks, _ = services
    number = await replied(tickets)
    done = await callbacks.record_attempt(number, channel="survey", outcome="hung_up", actor="survey", resolved=True)
    assert done.action == "pending" and done.ticket.status.value == "replied"
    assert (done.attempt.resolved, done.attempt.satisfaction) == (True, None)
    last = (await tickets.history(number))[-1]
    assert last.action.value == "callback_try" and last.detail["resolved"] is True
    unreached = await callbacks.record_attempt(number, channel="survey", outcome="no_answer", actor="survey")
    assert unreached.action == "unreachable" and unreached.ticket.status.value == "closed"  # 2 = the limit here


async def test_sms_failures_do_not_count_and_reached_needs_both_answers(services):
    tickets, callbacks, _ = services
    number = await replied(tickets)
    for _ in range(3):
        assert (await callbacks.record_attempt(number, channel="sms", outcome="no_answer", actor="sms")).action == "pending"
    with pytest.raises(InvalidField):
        await callbacks.record_attempt(number, channel="agent", outcome="reached", actor="a", resolved=True)
    with pytest.raises(InvalidField):
        await callbacks.record_attempt(number, channel="fax", outcome="busy", actor="a")
    done = await callbacks.record_attempt(number, channel="短信回访", outcome="已联系", actor="sms", resolved=True,
                                          satisfaction="满意")  # Chinese labels are accepted too
    assert done.action == "closed"
    with pytest.raises(IllegalTransition):
        await callbacks.record_attempt(number, channel="agent", outcome="busy", actor="a")


async def test_reopen_goes_back_to_the_same_department_and_co_handlers_or_stays_with_the_center(services):
    tickets, callbacks, _ = services
    number = await replied(tickets, "cgj", co=("zjj",))
    done = await callbacks.record_attempt(number, channel="agent", outcome="reached", actor="agent01",
                                          resolved=False, satisfaction="satisfied", note="只补了一个")
    assert done.action == "reopened" and done.ticket.status.value == "dispatched"
    assert done.ticket.lead_department.code == "cgj" and [d.code for d in done.ticket.co_departments] == ["zjj"]
    direct = await replied(tickets, None)
    done = await callbacks.record_attempt(direct, channel="agent", outcome="reached", actor="agent01",
                                          resolved=True, satisfaction="dissatisfied")
    assert done.ticket.status.value == "reopened"  # the center answers it again itself
    gone = await replied(tickets, "zjj")
    await tickets.set_department_active("zjj", False)
    done = await callbacks.record_attempt(gone, channel="agent", outcome="reached", actor="agent01",
                                          resolved=False, satisfaction="dissatisfied")
    assert done.ticket.status.value == "reopened"  # nobody to send it to: the center re-dispatches


async def test_due_times_follow_the_reply_and_the_retry_wait(services):
    tickets, callbacks, clock = services
    older = await replied(tickets)
    clock.now += timedelta(minutes=10)
    newer = await replied(tickets)
    items = await callbacks.due(clock.now)
    assert [(i.ticket.number, i.due_at - i.ticket.replied_at) for i in items] == [
        (older, timedelta(minutes=30)), (newer, timedelta(minutes=30))]
    clock.now += timedelta(minutes=40)
    await callbacks.record_attempt(older, channel="agent", outcome="busy", actor="agent01")
    items = await callbacks.due(clock.now)
    assert [i.ticket.number for i in items] == [newer, older]
    assert items[1].due_at == clock.now + timedelta(minutes=120) and items[1].failed == 1
    assert items[1].last.outcome.value == "busy"
