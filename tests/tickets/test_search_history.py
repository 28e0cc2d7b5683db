"""Finding tickets, overdue lists, and a history nobody can rewrite."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from tickets import InvalidField, Status
from tickets.errors import AppendOnlyViolation
from tickets.models import TicketEvent


@pytest.fixture
async def three(service, clock, local):
    a = await service.create_draft(caller="13800138000", content="小区噪音100%扰民")
    await service.register(a.number, "agent:1", request_type="complaint", content="小区噪音100%扰民")
    clock.set_local("2026-10-08 09:00")
    b = await service.create_draft(caller="13900139000", transcript="我想咨询公积金提取")
    await service.register(b.number, "agent:1", request_type="consult", content="公积金提取_流程")
    await service.dispatch(b.number, "zjj", [], actor="agent:1")
    clock.set_local("2026-10-09 09:00")
    c = await service.create_draft(caller="13800138000", channel="web")
    return a.number, b.number, c.number


async def test_given_tickets_when_searching_by_number_then_exact_or_day_prefix(service, three):
    a, b, c = three
    assert [t.number for t in await service.search(number=b)] == [b]
    assert [t.number for t in await service.search(number="20261008")] == [b]
    assert [t.number for t in await service.search(number="2026")] == [c, b, a]  # newest first
    with pytest.raises(InvalidField):
        await service.search(number="2026%")


async def test_given_tickets_when_searching_by_caller_then_formats_normalised(service, three):
    a, b, c = three
    assert [t.number for t in await service.search(caller="138-0013-8000")] == [c, a]
    assert await service.search(caller="13700000000") == []


async def test_given_tickets_when_searching_text_then_content_and_transcript_match_literally(service, three):
    a, b, c = three
    assert [t.number for t in await service.search(text="公积金")] == [b]
    assert [t.number for t in await service.search(text="噪音")] == [a]
    assert [t.number for t in await service.search(text="100%")] == [a]
    assert [t.number for t in await service.search(text="提取_流")] == [b]
    assert await service.search(text="_") == [await service.get(b)]
    assert await service.search(text="%") == [await service.get(a)]


async def test_given_tickets_when_filtering_status_and_time_then_only_matching(service, three, local):
    a, b, c = three
    assert [t.number for t in await service.search(status="draft")] == [c]
    assert [t.number for t in await service.search(status=["registered", "已派单"])] == [b, a]
    found = await service.search(since=local("2026-10-08 00:00"), until=local("2026-10-09 00:00"))
    assert [t.number for t in found] == [b]
    assert len(await service.search(limit=1)) == 1
    with pytest.raises(InvalidField):
        await service.search(status="lost")
    with pytest.raises(InvalidField):
        await service.search(limit=0)


async def test_given_overdue_tickets_when_listed_then_accept_and_complete_kinds_in_due_order(
    service, three, local
):
    a, b, c = three
    items = await service.list_overdue(local("2026-11-01 00:00"))
    assert [(i.ticket.number, i.kind) for i in items] == [(b, "accept"), (b, "complete"), (a, "complete")]
    assert [i.due for i in items] == [local("2026-10-09 09:00")] * 2 + [local("2026-10-13 09:00")]
    assert items[2].overdue_by_seconds == (local("2026-11-01 00:00") - local("2026-10-13 09:00")).total_seconds()
    assert await service.list_overdue(local("2026-10-09 08:59")) == []


async def test_given_history_when_orm_tries_to_edit_or_delete_event_then_refused(service, sessions, three):
    a, _, _ = three
    async with sessions() as session:
        event = (await session.execute(select(TicketEvent).limit(1))).scalar_one()
        event.actor = "someone-else"
        with pytest.raises(AppendOnlyViolation):
            await session.flush()
        await session.rollback()
        event = (await session.execute(select(TicketEvent).limit(1))).scalar_one()
        await session.delete(event)
        with pytest.raises(AppendOnlyViolation):
            await session.flush()
    assert (await service.history(a))[0].actor == "ivr"


async def test_given_concurrent_supervisions_when_done_then_none_lost_and_history_contiguous(service):
    t = await service.create_draft()
    await service.register(t.number, "agent:1", request_type="help", content="停水")
    async with asyncio.timeout(30):
        async with asyncio.TaskGroup() as group:
            for i in range(8):
                group.create_task(service.supervise(t.number, f"督办{i}", f"monitor:{i}"))
    view = await service.get(t.number)
    assert view.supervision_count == 8 and view.status is Status.REGISTERED
    assert [e.seq for e in await service.history(t.number)] == list(range(1, 11))
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_given_ivr_transcript_when_attached_then_status_kept_and_event_logged(service):
    t = await service.create_draft(transcript_status="pending")
    t = await service.attach_transcript(t.number, "我家停电了", "done", "asr", audio_ref="r/1.wav")
    assert (t.status, t.transcript, t.transcript_status.value, t.audio_ref) == (
        Status.DRAFT, "我家停电了", "done", "r/1.wav")
    assert (await service.history(t.number))[-1].action.value == "transcript"
