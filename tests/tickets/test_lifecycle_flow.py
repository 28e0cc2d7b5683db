"""A citizen's complaint through the whole loop, deadlines checked against the 2026 calendar."""
from __future__ import annotations

import pytest

from tickets import Status, format_local
from tickets.errors import WrongDepartment


async def test_given_ivr_call_when_ticket_goes_full_loop_then_status_deadlines_and_history_match(
    service, clock, local
):
    # 2026-09-30 (Wed) 09:00, the day before the National Day holiday (10/1-10/7, 10/10 workday).
    draft = await service.create_draft(
        caller="138-0013-8000", call_id="1763800000.42", line_dialed="12345",
        transcript_status="pending", audio_ref="recordings/20260930/1763800000.42.wav",
    )
    assert draft.number == "20260930000001"
    assert draft.status is Status.DRAFT
    assert draft.caller == "13800138000" and draft.caller_masked == "138****8000"
    assert draft.call_id == "1763800000.42" and draft.line_dialed == "12345"

    clock.advance(minutes=10)
    t = await service.register(draft.number, "agent:1001", request_type="投诉", category="食品安全",
                               content="某超市出售过期牛奶，要求查处。")
    assert t.status is Status.REGISTERED and t.request_type.label == "投诉"
    # complaint = 5 working days: 10/8, 10/9, 10/10 (调休 Saturday), 10/12, 10/13
    assert t.complete_due == local("2026-10-13 09:10")
    assert format_local(t.complete_due) == "2026-10-13 09:10"
    assert t.complete_due.utcoffset().total_seconds() == 0

    clock.advance(minutes=5)
    t = await service.dispatch(draft.number, "scjgj", ["zjj"], actor="agent:1001")
    assert t.status is Status.DISPATCHED
    assert t.lead_department.name == "市场监督管理局"
    assert [d.code for d in t.co_departments] == ["zjj"]
    assert t.accept_due == local("2026-10-08 09:15")  # 1 working day, skipping the whole holiday
    assert t.accept_due_local.hour == 9

    clock.set_local("2026-10-08 09:14")
    assert await service.list_overdue() == []
    clock.set_local("2026-10-08 09:20")
    overdue = await service.list_overdue()
    assert [(o.ticket.number, o.kind) for o in overdue] == [(draft.number, "accept")]
    assert overdue[0].overdue_by_seconds == 5 * 60

    with pytest.raises(WrongDepartment):
        await service.accept(draft.number, "zjj", "dept:zjj")  # 协办 cannot sign for the 主办
    t = await service.accept(draft.number, "scjgj", "dept:scjgj")
    assert t.status is Status.ACCEPTED

    clock.set_local("2026-10-08 10:00")
    t = await service.return_(draft.number, "scjgj", "属城市管理职责，请改派", "dept:scjgj")
    assert t.status is Status.RETURNED

    clock.set_local("2026-10-09 09:00")  # Friday; next working day is the 调休 Saturday 10/10
    t = await service.dispatch(draft.number, "cgj", [], actor="monitor:7")
    assert t.status is Status.DISPATCHED and t.lead_department.code == "cgj" and t.co_departments == ()
    assert t.accept_due == local("2026-10-10 09:00")
    assert t.complete_due == local("2026-10-13 09:10")  # a return does not buy time

    clock.set_local("2026-10-09 10:00")
    await service.accept(draft.number, "cgj", "dept:cgj")
    clock.set_local("2026-10-09 11:00")
    t = await service.supervise(draft.number, "市民再次来电催办", "monitor:7")
    assert t.status is Status.ACCEPTED and t.supervised and t.supervision_count == 1

    clock.set_local("2026-10-12 15:00")
    t = await service.reply(draft.number, "已责令超市下架并罚款。", "dept:cgj")
    assert t.status is Status.REPLIED
    clock.set_local("2026-10-13 10:00")
    assert await service.list_overdue() == []  # replied before its due time
    t = await service.record_callback(draft.number, "满意", "市民认可处理结果", "callback:3")
    assert t.status is Status.CALLBACK and t.evaluation.label == "满意"
    t = await service.close(draft.number, "callback:3")
    assert t.status is Status.CLOSED and t.closed_at == local("2026-10-13 10:00")

    clock.set_local("2026-10-14 10:00")
    t = await service.reopen(draft.number, "市民反映超市仍在销售", "monitor:7")
    assert t.status is Status.REOPENED and t.evaluation is None and t.closed_at is None
    assert t.complete_due == local("2026-10-21 10:00")  # 5 working days from Wed 10/14
    clock.advance(minutes=5)
    t = await service.dispatch(draft.number, "scjgj", [], actor="monitor:7")
    assert t.accept_due == local("2026-10-15 10:05")

    history = await service.history(draft.number)
    assert [(e.seq, e.action.value, e.actor, e.from_status, e.to_status) for e in history] == [
        (1, "create", "ivr", None, "draft"),
        (2, "register", "agent:1001", "draft", "registered"),
        (3, "dispatch", "agent:1001", "registered", "dispatched"),
        (4, "accept", "dept:scjgj", "dispatched", "accepted"),
        (5, "return", "dept:scjgj", "accepted", "returned"),
        (6, "dispatch", "monitor:7", "returned", "dispatched"),
        (7, "accept", "dept:cgj", "dispatched", "accepted"),
        (8, "supervise", "monitor:7", "accepted", "accepted"),
        (9, "reply", "dept:cgj", "accepted", "replied"),
        (10, "callback", "callback:3", "replied", "callback"),
        (11, "close", "callback:3", "callback", "closed"),
        (12, "reopen", "monitor:7", "closed", "reopened"),
        (13, "dispatch", "monitor:7", "reopened", "dispatched"),
    ]
    assert [e.at for e in history] == sorted(e.at for e in history)
    assert history[4].detail["reason"] == "属城市管理职责，请改派"
    assert history[2].detail == {"lead": "scjgj", "co": ["zjj"], "note": None,
                                 "accept_due": local("2026-10-08 09:15").isoformat()}
    assert history[8].detail["on_time"] is True
    assert history[9].detail["evaluation"] == "satisfied"
    assert format_local(history[0].at) == "2026-09-30 09:00"


async def test_given_knowledge_base_answer_when_replied_from_registered_then_it_still_gets_callback(
    service, clock
):
    t = await service.create_draft(caller="13900000000", channel="wechat", actor="wechat-bot")
    await service.register(t.number, "agent:1", request_type="consult", content="社保卡补办流程？")
    t = await service.reply(t.number, "携带身份证到任一社保网点办理。", "agent:1")
    assert t.status is Status.REPLIED and t.lead_department is None
    await service.record_callback(t.number, "basically_satisfied", None, "callback:1")
    t = await service.close(t.number, "callback:1")
    assert t.status is Status.CLOSED and t.evaluation.label == "基本满意"


async def test_given_dissatisfied_callback_when_reopened_then_ticket_is_handled_again(service, clock):
    t = await service.create_draft(caller="13900000000")
    await service.register(t.number, "agent:1", request_type="help", content="路灯不亮")
    await service.reply(t.number, "已通知维修", "agent:1")
    t = await service.record_callback(t.number, "不满意", "仍未修好", "callback:1")
    assert t.evaluation.value == "dissatisfied"
    t = await service.reopen(t.number, "回访不满意，重办", "callback:1")
    assert t.status is Status.REOPENED


async def test_emergency_linkage_is_logged_on_the_ticket_without_changing_its_status(service, clock):
    draft = await service.create_draft(caller="13800138000", call_id="1795352103.12", line_dialed="12345",
                                       urgency="life_property")
    await service.log_linkage(draft.number, at=clock(), target="119", trigger="着火", trigger_kind="keyword",
                              result="routed")
    await service.log_linkage(draft.number, at=clock(), target="119", trigger="着火", trigger_kind="keyword",
                              result="answered", actor="transfer")
    history = await service.history(draft.number)
    linkage = [e for e in history if e.action.value == "linkage"]
    assert [e.detail["result"] for e in linkage] == ["routed", "answered"]
    assert linkage[0].detail["target"] == "119" and linkage[0].detail["trigger"] == "着火"
    assert (await service.get(draft.number)).status == "draft"


async def test_dispatch_forms_list_the_active_departments(service):
    await service.add_department("zz-water", "自来水公司")
    codes = {d.code for d in await service.list_departments()}
    assert "zz-water" in codes
