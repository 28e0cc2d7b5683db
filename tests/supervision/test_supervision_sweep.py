"""督办 sweep with a controlled clock: yellow at 80 % of the acceptance deadline, red once overdue,
each notified once to the department and the center, in the ticket's history; a gateway that is
down leaves notices pending and is retried; a 督办单 is reminded and escalated to the lead."""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import select

from hotline.db import make_sessionmaker
from supervision.gateway import GatewayDown, LogGateway
from supervision.models import Notice
from supervision.service import Settings, Supervision
from tickets.codes import Action

from supervision_support import dispatched, ticket_service


def _supervision(db, tickets, clock, **kw) -> Supervision:
    return Supervision(db, make_sessionmaker(db), tickets, clock, Settings(**kw.pop("settings", {})), **kw)


async def _setup(db, clock, **kw):
    tickets = ticket_service(db, clock)
    await tickets.add_department("cgj", "城市管理局")
    await tickets.add_department("scjgj", "市场监督管理局")
    return tickets, _supervision(db, tickets, clock, **kw)


def _marks(history) -> list[str]:
    return [e.detail["mark"] for e in history if e.action is Action.DEADLINE_MARK]


async def test_given_a_dispatched_ticket_when_the_clock_passes_80_percent_then_overdue_it_turns_yellow_then_red_once(
        db, clock):
    tickets, sup = await _setup(db, clock)
    number = await dispatched(tickets)
    calm = await dispatched(tickets, content="咨询公积金", urgency="normal")  # 1 working day to sign
    assert (await sup.run_once()).marked == []

    clock.advance(minutes=25)  # 25 of 30 minutes used
    first = await sup.run_once()
    assert first.marked == [(number, "yellow")]
    assert [(m.audience, m.department, m.topic) for m in sup.gateway.sent] == [
        ("department", "cgj", "yellow"), ("center", "cgj", "yellow")]
    assert "即将到期" in sup.gateway.sent[0].text and number in sup.gateway.sent[0].text

    clock.advance(seconds=30)  # the next minute: nothing new
    again = await sup.run_once()
    assert again.marked == [] and len(sup.gateway.sent) == 2

    clock.advance(minutes=6)  # past the 30 minutes
    assert (await sup.run_once()).marked == [(number, "red")]
    assert [m.topic for m in sup.gateway.sent] == ["yellow", "yellow", "red", "red"]
    assert "已超过签收时限" in sup.gateway.sent[2].text

    history = await tickets.history(number)
    assert _marks(history) == ["yellow", "red"]
    assert all(e.actor == "督办系统" and e.to_status.value == "dispatched"
               for e in history if e.action is Action.DEADLINE_MARK)
    assert _marks(await tickets.history(calm)) == []
    assert (await sup.counts())["red"] == 1

    await tickets.accept(number, "cgj", "dept01")  # a new deadline (办结) starts green
    clock.advance(minutes=1)
    assert (await sup.run_once()).marked == []


async def test_given_many_quiet_tickets_when_sweeping_every_minute_then_only_changed_tickets_are_read(db, clock):
    tickets, sup = await _setup(db, clock)
    for i in range(30):
        await dispatched(tickets, content=f"诉求 {i}", urgency="normal")
    assert (await sup.run_once()).followed == 30  # the first pass takes every ticket in
    clock.advance(hours=1)
    await sup.run_once()  # the cursor trails `now` by two minutes (late commits): this pass settles it
    for _ in range(3):
        clock.advance(minutes=1)
        assert (await sup.run_once()).followed == 0  # nothing changed: nothing read
    number = await dispatched(tickets, content="新派单")
    clock.advance(minutes=1)
    assert (await sup.run_once()).followed == 1 and number


class DownGateway(LogGateway):
    def __init__(self) -> None:
        super().__init__()
        self.down, self.calls = True, 0

    async def send(self, message) -> None:
        self.calls += 1
        if self.down:
            await asyncio.sleep(0.05)
            raise GatewayDown("connection refused")
        await super().send(message)


async def test_given_the_gateway_down_then_notices_stay_pending_the_pass_ends_and_a_later_pass_sends_them(db, clock):
    gateway = DownGateway()
    tickets, sup = await _setup(db, clock, gateway=gateway, settings={"retry_after": timedelta(minutes=1)})
    first = await dispatched(tickets)
    second = await dispatched(tickets, dept="scjgj")
    clock.advance(minutes=25)
    started = time.perf_counter()
    result = await sup.run_once()
    assert time.perf_counter() - started < 2
    assert sorted(n for n, _ in result.marked) == sorted([first, second])  # marking never waits for the gateway
    assert result.failed == 1 and gateway.calls == 1  # the first failure ends this round
    shown = await sup.notices_for_department("cgj", lead=False)
    assert [n.state for n in shown] == ["pending"] and shown[0].attempts == 1

    assert (await sup.health()).status == "ok"  # pending for a moment is normal
    clock.advance(seconds=1)
    late = await sup.health(stale=timedelta(seconds=0.5))  # pending for longer: /admin/health says degraded
    assert late.status == "degraded" and late.detail["pending_notices"] == 4
    gateway.down = False
    clock.advance(seconds=30)  # the three never tried go now; the refused one waits for its retry time
    assert (await sup.run_once()).sent == 3
    assert [n.state for n in await sup.notices_for_department("cgj", lead=False)] == ["pending"]
    clock.advance(minutes=1)
    assert (await sup.run_once()).sent == 1
    assert {n.state for n in await sup.notices_for_department("cgj", lead=False)} == {"sent"}
    async with make_sessionmaker(db)() as session:
        assert set(await session.scalars(select(Notice.state))) == {"sent"}
    assert (await sup.health()).detail["pending_notices"] == 0


async def test_given_the_gateway_refusing_twice_then_the_wait_doubles_and_the_error_is_kept_until_sent(db, clock):
    gateway = DownGateway()
    tickets, sup = await _setup(db, clock, gateway=gateway, settings={"retry_after": timedelta(minutes=1)})
    await dispatched(tickets)
    clock.advance(minutes=25)
    await sup.run_once()  # refused once: retried after 1 minute
    clock.advance(minutes=1)
    assert (await sup.run_once()).failed == 1  # refused again: now it waits 2 minutes
    refused = [n for n in await sup.notices_for_department("cgj", lead=False) if n.attempts == 2]
    assert len(refused) == 1 and refused[0].last_error == "connection refused"
    gateway.down = False
    clock.advance(minutes=1, seconds=30)
    await sup.run_once()  # the other notice goes; the twice-refused one is not yet due
    assert [n.attempts for n in await sup.notices_for_department("cgj", lead=False) if n.state == "pending"] == [2]
    clock.advance(minutes=1)
    assert (await sup.run_once()).sent == 1
    sent = [n for n in await sup.notices_for_department("cgj", lead=False) if n.id == refused[0].id]
    assert sent[0].state == "sent" and sent[0].attempts == 3 and sent[0].last_error is None


async def test_given_a_supervision_order_when_unhandled_then_reminded_and_after_three_escalated_to_the_lead(db, clock):
    tickets, sup = await _setup(db, clock, settings={"remind_every": timedelta(hours=1), "escalate_after": 3})
    number = await dispatched(tickets, urgency="normal")
    await tickets.accept(number, "cgj", "dept01")
    await sup.issue_order(number, "群众反映强烈，请今日办结", clock() + timedelta(hours=2), "lead01")
    await sup.run_once()
    assert [m.topic for m in sup.gateway.sent] == []
    clock.advance(hours=2, minutes=1)
    assert (await sup.run_once()).reminded == [number]
    clock.advance(hours=1)
    await sup.run_once()
    clock.advance(hours=1)
    third = await sup.run_once()
    assert third.reminded == [number] and third.escalated == [number]
    topics = [(m.audience, m.topic) for m in sup.gateway.sent if m.topic in ("remind", "escalate")]
    assert topics == [("department", "remind")] * 3 + [("lead", "escalate")]
    lead_view = await sup.notices_for_department("cgj", lead=True)
    staff_view = await sup.notices_for_department("cgj", lead=False)
    assert "escalate" in {n.topic for n in lead_view} and "escalate" not in {n.topic for n in staff_view}

    history = [e for e in await tickets.history(number)
               if e.action in (Action.SUPERVISE, Action.REMIND, Action.ESCALATE)]
    assert [e.action for e in history] == [Action.SUPERVISE] + [Action.REMIND] * 3 + [Action.ESCALATE]
    assert history[0].detail["note"] == "群众反映强烈，请今日办结" and history[0].actor == "lead01"

    await tickets.reply(number, "已清理占道摊点", "dept01", dept="cgj", contact="电话联系群众，表示满意")
    clock.advance(hours=1)
    assert (await sup.run_once()).reminded == []  # handled: the order closes


async def test_given_a_mark_already_noticed_when_a_pass_meets_it_again_then_nothing_is_sent_or_recorded_twice(
        db, clock):
    from sqlalchemy import update

    from supervision.models import Watch

    tickets, sup = await _setup(db, clock)
    number = await dispatched(tickets)
    clock.advance(minutes=25)
    assert (await sup.run_once()).marked == [(number, "yellow")]
    async with make_sessionmaker(db)() as session, session.begin():  # as if the pass had never stored the mark
        await session.execute(update(Watch).values(mark="green", next_check_at=clock()))
    clock.advance(seconds=10)
    assert (await sup.run_once()).marked == []
    assert len(sup.gateway.sent) == 2 and _marks(await tickets.history(number)) == ["yellow"]


async def test_given_a_ticket_passed_down_to_a_sub_unit_then_its_marks_and_reminders_reach_the_sub_unit_too(
        db, clock, tmp_path):
    """二级派单: the 街道 working the ticket is told, not only the 区 that stays responsible."""
    from tickets.handling import HandlingService
    from tickets.attachments import AttachmentRules

    tickets = ticket_service(db, clock)
    await tickets.add_department("ftq", "丰台区", kind="district")
    await tickets.add_department("ftq-xlz", "新村街道", kind="street", parent="ftq")
    await tickets.add_department("ftq-ly", "卢沟桥街道", kind="street", parent="ftq")
    sup = _supervision(db, tickets, clock, settings={"remind_every": timedelta(hours=1)})
    handling = HandlingService(tickets, make_sessionmaker(db), AttachmentRules(tmp_path / "attachments"))
    number = await dispatched(tickets, dept="ftq", urgency="normal")
    await tickets.accept(number, "ftq", "dept01")
    await handling.sub_dispatch(number, "ftq", "ftq-xlz", "dept01", note="请新村街道核实处理")
    await sup.issue_order(number, "请今日办结", clock() + timedelta(hours=2), "lead01")

    clock.advance(hours=2, minutes=1)
    assert (await sup.run_once()).reminded == [number]
    reminders = [(m.audience, m.department) for m in sup.gateway.sent if m.topic == "remind"]
    assert reminders == [("department", "ftq"), ("department", "ftq-xlz")]

    clock.advance(days=40)  # far past the 办结 deadline: red, to the lead, the sub-unit and the center
    await sup.run_once()
    red = [(m.audience, m.department) for m in sup.gateway.sent if m.topic == "red"]
    assert red == [("department", "ftq"), ("department", "ftq-xlz"), ("center", "ftq")]
    street = {(n.topic, n.ticket_number) for n in await sup.notices_for_department("ftq-xlz", lead=False)}
    assert ("red", number) in street and ("remind", number) in street
    assert await sup.notices_for_department("ftq-ly", lead=False) == []  # a sibling street hears nothing
    mark = [e for e in await tickets.history(number) if e.action is Action.DEADLINE_MARK]
    assert mark[-1].detail["notified"] == ["department", "sub_unit", "center"]

    sent = len(sup.gateway.sent)
    clock.advance(minutes=1)
    await sup.run_once()
    assert [m.topic for m in sup.gateway.sent[sent:]] in ([], ["remind", "remind"])  # the red is not said again
