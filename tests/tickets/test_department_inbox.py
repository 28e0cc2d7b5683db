"""A department's inbox merges what it leads with what it co-handles (协办) in one deadline order,
each part cut at the page size before merging; the tab counts stop at 99+ (tickets/inbox.py)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from tickets.inbox import COUNT_CAP, inbox_counts
from tickets.models import Department, Ticket


async def _dispatched(service, lead, co=(), content="商场门口占道经营，影响通行"):
    draft = await service.create_draft(caller="13800000001", content=content)
    await service.register(draft.number, "agent01", request_type="complaint", content=content)
    return await service.dispatch(draft.number, lead, list(co), "agent01")


async def test_given_led_and_co_handled_tickets_when_the_doing_tab_is_read_then_they_are_merged_by_deadline_and_cut(
        service, clock, sessions):
    for code, name in (("cgj", "城市管理局"), ("scjgj", "市场监督管理局")):
        await service.add_department(code, name)
    led = []
    for _ in range(3):
        led.append((await _dispatched(service, "scjgj")).number)
        await service.accept(led[-1], "scjgj", "dept01")
        clock.advance(hours=1)
    co = (await _dispatched(service, "cgj", co=["scjgj"])).number  # 协办: in 办理中 while the lead handles it
    # the co-handled ticket dispatched last but due first: it leads the merged list
    async with sessions() as session, session.begin():
        first_due = await session.scalar(select(func.min(Ticket.complete_due)).where(Ticket.number.in_(led)))
        await session.execute(update(Ticket).where(Ticket.number == co).values(complete_due=first_due - timedelta(hours=1)))

    doing = [t.number for t in await service.inbox("scjgj", "doing")]
    assert doing == [co, *led]
    assert [t.number for t in await service.inbox("scjgj", "doing", limit=2)] == [co, led[0]]
    assert co not in [t.number for t in await service.inbox("cgj", "doing")]  # the lead has not signed yet
    async with sessions() as session:
        dept = await session.scalar(select(Department.id).where(Department.code == "scjgj"))
        assert await inbox_counts(session, dept) == {"pending": 0, "doing": 4, "review": 0, "done": 0}


async def test_given_more_tickets_than_the_cap_then_the_count_stops_at_the_cap_plus_one(service, sessions):
    await service.add_department("scjgj", "市场监督管理局")
    for _ in range(COUNT_CAP + 3):
        await _dispatched(service, "scjgj")
    async with sessions() as session:
        dept = await session.scalar(select(Department.id).where(Department.code == "scjgj"))
        counts = await inbox_counts(session, dept)
    assert counts["pending"] == COUNT_CAP + 1 and counts["doing"] == 0
    assert len(await service.inbox("scjgj", "pending")) == COUNT_CAP + 3  # the list itself is not capped
