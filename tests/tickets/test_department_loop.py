"""The loop after 派单 in the ticket store: a department signs for, answers or returns a ticket; the
center re-dispatches a return or rejects it; inbox tabs; deadline marks; the department tree."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tickets.codes import Action, Status
from tickets.deadlines import deadline_mark
from tickets.errors import IllegalTransition, InvalidField, UnknownDepartment, WrongDepartment


async def dispatched(service, dept="scjgj", content="商场门口占道经营，影响通行"):
    draft = await service.create_draft(caller="13800000001", content=content)
    await service.register(draft.number, "agent01", request_type="complaint", content=content)
    return await service.dispatch(draft.number, dept, [], "agent01")


async def test_given_a_dispatched_ticket_when_its_department_accepts_and_replies_then_history_names_each_actor(
        service, clock):
    t = await dispatched(service)
    assert [x.number for x in await service.inbox("scjgj", "pending")] == [t.number]
    clock.advance(minutes=20)
    await service.accept(t.number, "scjgj", "dept01")
    assert [x.number for x in await service.inbox("scjgj", "doing")] == [t.number]
    assert await service.inbox("scjgj", "pending") == []
    clock.advance(hours=3)
    done = await service.reply(t.number, "已责令商户退回店内经营", "dept01", dept="scjgj",
                               contact="10月1日电话联系市民，市民认可")
    assert done.status is Status.REPLIED and done.reply == "已责令商户退回店内经营"
    assert [x.number for x in await service.inbox("scjgj", "done")] == [t.number]
    history = await service.history(t.number)
    assert [(e.action, e.actor) for e in history[-2:]] == [(Action.ACCEPT, "dept01"), (Action.REPLY, "dept01")]
    assert history[-1].detail["contact"] == "10月1日电话联系市民，市民认可"
    assert history[-1].detail["dept"] == "scjgj" and history[-1].detail["on_time"] is True


async def test_given_another_departments_ticket_when_replying_or_accepting_then_refused_and_nothing_written(service):
    t = await dispatched(service, "scjgj")
    with pytest.raises(WrongDepartment):
        await service.accept(t.number, "cgj", "dept02")
    await service.accept(t.number, "scjgj", "dept01")
    with pytest.raises(WrongDepartment):
        await service.reply(t.number, "已处理", "dept02", dept="cgj", contact="电话")
    with pytest.raises(InvalidField):
        await service.reply(t.number, "已处理", "dept01", dept="scjgj", contact="  ")
    assert (await service.get(t.number)).status is Status.ACCEPTED
    assert [e.action for e in await service.history(t.number)][-1] is Action.ACCEPT


async def test_given_two_handlers_accepting_at_once_then_one_wins_and_the_other_is_told(service):
    t = await dispatched(service)
    results = await asyncio.gather(service.accept(t.number, "scjgj", "dept01"),
                                   service.accept(t.number, "scjgj", "dept01b"), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["IllegalTransition", "TicketView"]
    accepts = [e for e in await service.history(t.number) if e.action is Action.ACCEPT]
    assert len(accepts) == 1


async def test_given_a_return_when_the_center_redispatches_then_the_other_department_has_it(service, clock):
    t = await dispatched(service, "scjgj")
    with pytest.raises(InvalidField):
        await service.return_(t.number, "scjgj", "不归我们管", "dept01", reason_code="whatever")
    await service.return_(t.number, "scjgj", "占道经营归城管", "dept01", reason_code="not_ours")
    queue = await service.returned()
    assert [(v.number, e.detail["reason_code"], e.detail["reason"], e.actor) for v, e in queue] == [
        (t.number, "not_ours", "占道经营归城管", "dept01")]
    assert await service.inbox("scjgj", "pending") == []
    clock.advance(minutes=5)
    again = await service.dispatch(t.number, "cgj", [], "lead01", note="改派城管")
    assert again.status is Status.DISPATCHED and again.lead_department.code == "cgj"
    assert again.accept_due > t.accept_due
    assert [x.number for x in await service.inbox("cgj", "pending")] == [t.number]
    assert await service.returned() == []


async def test_given_a_return_rejected_then_the_same_department_signs_for_it_again(service, clock):
    t = await dispatched(service, "scjgj")
    await service.accept(t.number, "scjgj", "dept01")
    await service.return_(t.number, "scjgj", "地址不清", "dept01", reason_code="incomplete")
    clock.advance(hours=2)
    back = await service.reject_return(t.number, "地址已在诉求中写明：XX路12号", "lead01")
    assert back.status is Status.DISPATCHED and back.lead_department.code == "scjgj"
    assert back.accepted_at is None and back.accept_due > t.accept_due
    last = (await service.history(t.number))[-1]
    assert (last.action, last.actor, last.detail["comment"]) == (
        Action.REJECT_RETURN, "lead01", "地址已在诉求中写明：XX路12号")
    with pytest.raises(IllegalTransition):
        await service.reject_return(t.number, "再驳回", "lead01")


def test_given_a_deadline_span_then_the_mark_turns_yellow_at_80_percent_and_red_once_overdue(local):
    start, due = local("2026-10-12 09:00"), local("2026-10-12 19:00")
    assert deadline_mark(start, due, start + timedelta(hours=7, minutes=59)) == "green"
    assert deadline_mark(start, due, start + timedelta(hours=8)) == "yellow"
    assert deadline_mark(start, due, due) == "yellow"
    assert deadline_mark(start, due, due + timedelta(seconds=1)) == "red"
    assert deadline_mark(None, due, due - timedelta(minutes=1)) == "green"
    assert deadline_mark(start, None, due) == ""


async def test_given_departments_in_a_tree_then_a_street_office_sits_under_its_district(service, sessions):
    from sqlalchemy import select

    from tickets.models import Department

    await service.add_department("ftq", "丰台区", kind="district")
    await service.add_department("ftq-xlz", "新村街道", kind="street", parent="ftq")
    with pytest.raises(UnknownDepartment):
        await service.add_department("x1", "某街道", kind="street", parent="nope")
    with pytest.raises(InvalidField):
        await service.add_department("ftq", "丰台区", parent="ftq")
    with pytest.raises(InvalidField):
        await service.add_department("x2", "某处", kind="county")
    await service.add_department("ftq-xlz", "新村街道办事处")  # a rename keeps its place in the tree
    async with sessions() as session:
        rows = {d.code: d for d in await session.scalars(select(Department))}
    assert (rows["ftq-xlz"].kind, rows["ftq-xlz"].parent_id) == ("street", rows["ftq"].id)
    assert rows["ftq-xlz"].name == "新村街道办事处" and rows["scjgj"].kind == "city"


async def test_given_co_handling_departments_then_each_adds_its_part_and_only_the_lead_reply_ends_handling(service):
    draft = await service.create_draft(caller="13800000002", content="工地夜间施工噪音，渣土车撒漏")
    await service.register(draft.number, "agent01", request_type="complaint", content="工地夜间施工噪音，渣土车撒漏")
    await service.dispatch(draft.number, "zjj", ["cgj"], "agent01")
    assert [t.number for t in await service.inbox("cgj", "doing")] == [draft.number]
    assert await service.inbox("cgj", "pending") == []
    with pytest.raises(WrongDepartment):
        await service.co_reply(draft.number, "scjgj", "不是我们", "dept01")
    with pytest.raises(WrongDepartment):  # a co-handler cannot sign for the lead
        await service.accept(draft.number, "cgj", "dept02")
    part = await service.co_reply(draft.number, "cgj", "已安排对渣土车撒漏路段清扫", "dept02")
    assert part.status is Status.DISPATCHED
    await service.accept(draft.number, "zjj", "zjj01")
    await service.reply(draft.number, "已责令工地停止夜间施工；城管已清扫撒漏", "zjj01", dept="zjj", contact="电话回复")
    assert await service.inbox("cgj", "doing") == []
    with pytest.raises(IllegalTransition):
        await service.co_reply(draft.number, "cgj", "补充", "dept02")
    steps = [(e.action, e.actor) for e in await service.history(draft.number)][-3:]
    assert steps == [(Action.CO_REPLY, "dept02"), (Action.ACCEPT, "zjj01"), (Action.REPLY, "zjj01")]
