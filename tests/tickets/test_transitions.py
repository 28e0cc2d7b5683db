"""Illegal steps are refused with a message naming the ticket, its status and the action."""
from __future__ import annotations

import pytest

from tickets import IllegalTransition, InvalidField, Status, UnknownDepartment, WrongDepartment
from tickets.codes import Action
from tickets.lifecycle import SYSTEM_IN_PLACE, TRANSITIONS, allowed_actions, next_status


@pytest.mark.parametrize("status", list(Status))
def test_given_any_status_when_action_not_in_table_then_illegal_transition(status):
    for action in Action:
        legal = (status, action) in TRANSITIONS or action in allowed_actions(status) or (
            status in SYSTEM_IN_PLACE.get(action, ()))  # the 督办 job's history lines, in no menu
        if legal:
            next_status("20261122000001", status, action)
        else:
            with pytest.raises(IllegalTransition) as info:
                next_status("20261122000001", status, action)
            assert info.value.error_id == "ticket.illegal_transition"
            assert (info.value.status, info.value.action) == (status.value, action.value)


def test_given_closed_ticket_when_reply_then_message_names_ticket_status_and_action():
    with pytest.raises(IllegalTransition) as info:
        next_status("20261122000123", "closed", "reply")
    message = str(info.value)
    assert "20261122000123" in message
    assert "已办结" in message and "答复" in message
    assert "'closed'" in message and "'reply'" in message


def test_given_unknown_status_or_action_when_checked_then_illegal_transition_not_crash():
    with pytest.raises(IllegalTransition):
        next_status("20261122000001", "archived", "reply")
    with pytest.raises(IllegalTransition):
        next_status("20261122000001", "registered", "teleport")


def test_given_statuses_when_listing_allowed_actions_then_console_menu_follows_lifecycle():
    assert allowed_actions("draft") == [Action.REGISTER, Action.TRANSCRIPT, Action.LINKAGE]
    assert allowed_actions("registered") == [Action.DISPATCH, Action.REPLY, Action.SUPERVISE,
                                             Action.TRANSCRIPT, Action.LINKAGE]
    assert allowed_actions("closed") == [Action.REOPEN, Action.TRANSCRIPT]


async def test_given_draft_when_dispatched_then_refused_and_nothing_recorded(service):
    t = await service.create_draft(caller="13800138000")
    with pytest.raises(IllegalTransition) as info:
        await service.dispatch(t.number, "scjgj", [], actor="agent:1")
    assert t.number in str(info.value) and "草稿" in str(info.value) and "派单" in str(info.value)
    assert (await service.get(t.number)).status is Status.DRAFT
    assert [e.action.value for e in await service.history(t.number)] == ["create"]


async def test_given_draft_when_supervised_or_closed_then_refused(service):
    t = await service.create_draft()
    with pytest.raises(IllegalTransition):
        await service.supervise(t.number, "催办", "monitor:1")
    with pytest.raises(IllegalTransition):
        await service.close(t.number, "agent:1")


async def test_given_registered_ticket_when_supervised_twice_then_status_kept_and_count_rises(service):
    t = await service.create_draft()
    await service.register(t.number, "agent:1", request_type="help", content="井盖缺失")
    await service.supervise(t.number, "第一次督办", "monitor:1")
    t = await service.supervise(t.number, "第二次督办", "monitor:2")
    assert t.status is Status.REGISTERED and t.supervision_count == 2
    events = await service.history(t.number)
    assert [(e.action.value, e.detail["note"]) for e in events[-2:]] == [
        ("supervise", "第一次督办"), ("supervise", "第二次督办")]


async def test_given_bad_departments_when_dispatching_then_typed_errors(service):
    t = await service.create_draft()
    await service.register(t.number, "agent:1", request_type="complaint", content="噪音扰民")
    with pytest.raises(UnknownDepartment) as info:
        await service.dispatch(t.number, "nosuch", [], actor="agent:1")
    assert info.value.error_id == "ticket.unknown_department"
    with pytest.raises(UnknownDepartment):
        await service.dispatch(t.number, "scjgj", ["nosuch"], actor="agent:1")
    with pytest.raises(InvalidField) as bad:
        await service.dispatch(t.number, "scjgj", ["scjgj"], actor="agent:1")
    assert bad.value.field == "co_depts"
    assert (await service.get(t.number)).status is Status.REGISTERED


async def test_given_dispatched_ticket_when_other_department_returns_it_then_refused(service):
    t = await service.create_draft()
    await service.register(t.number, "agent:1", request_type="complaint", content="噪音扰民")
    await service.dispatch(t.number, "scjgj", ["zjj"], actor="agent:1")
    with pytest.raises(WrongDepartment) as info:
        await service.return_(t.number, "zjj", "不归我管", "dept:zjj")
    assert info.value.error_id == "ticket.wrong_department" and "scjgj" in str(info.value)
    with pytest.raises(InvalidField) as empty:
        await service.return_(t.number, "scjgj", "  ", "dept:scjgj")
    assert empty.value.field == "reason"


async def test_given_unknown_number_when_acting_then_not_found(service):
    from tickets import TicketNotFound

    with pytest.raises(TicketNotFound) as info:
        await service.get("20260930999999")
    assert info.value.error_id == "ticket.not_found"
    with pytest.raises(TicketNotFound):
        await service.close("20260930999999", "agent:1")
