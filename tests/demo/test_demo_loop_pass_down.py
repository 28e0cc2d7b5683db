"""The demo's simulated departments (hotline/demo_loop.py) use 二级派单: a 区 passes what it signed for
down to one of its 街道, the 街道 signs (下级签收) and submits, the 区's 负责人 approves; a department
without sub-units handles its tickets itself. The steps go through the console's services."""
from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from hotline.db import Base, make_engine, make_sessionmaker
from hotline.demo_loop import HANDLER, LEAD, DemoLoop, LoopPace
from tickets import DeadlineRules, TicketService, WorkCalendar
from tickets.attachments import AttachmentRules
from tickets.codes import Action, Status
from tickets.handling import HandlingService
from tickets.handling_models import TABLES as HANDLING_TABLES
from tickets.models import TABLES as TICKET_TABLES

TABLES = [*TICKET_TABLES, *HANDLING_TABLES]


def _now():
    return datetime.now(UTC)


async def _dispatched(tickets: TicketService, dept: str) -> str:
    draft = await tickets.create_draft(actor="agent01", caller="13800138000", content="小区门口早市占道经营")
    await tickets.register(draft.number, "agent01", request_type="complaint", content="小区门口早市占道经营",
                           urgency="normal")
    await tickets.dispatch(draft.number, dept, [], "agent01")
    return draft.number


async def test_given_a_district_with_streets_when_the_demo_loop_runs_then_it_passes_tickets_down_and_they_get_replied(
        tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=TABLES))
    sessions = make_sessionmaker(engine)
    tickets = TicketService(sessions, _now, WorkCalendar.shipped(), DeadlineRules.defaults())
    handling = HandlingService(tickets, sessions, AttachmentRules(tmp_path / "attachments"))
    await tickets.add_department("cgj", "城市管理局")
    await tickets.add_department("cdq", "城东区", kind="district")
    await tickets.add_department("cdq-dhjd", "东华街道办事处", kind="street", parent="cdq")
    district = [await _dispatched(tickets, "cdq") for _ in range(3)]
    city = await _dispatched(tickets, "cgj")

    loop = DemoLoop({"tickets": tickets, "handling": handling, "catalogue": None}, "demo", random.Random(7),
                    LoopPace(step_seconds=0.02, return_share=0.0, pass_down_share=1.0, pass_seconds=0.01))
    try:
        async with asyncio.timeout(30):
            while [n for n in [*district, city] if (await tickets.get(n)).status is not Status.REPLIED]:
                await loop.pass_once()
                await asyncio.sleep(0.01)
        for number in district:
            steps = [(e.action, e.actor, e.detail.get("dept") or e.detail.get("sub"))
                     for e in await tickets.history(number)]
            actions = [a for a, *_ in steps]
            assert actions.index(Action.SUB_DISPATCH) < actions.index(Action.SUB_ACCEPT) < actions.index(Action.REPLY)
            assert all(actor in (HANDLER, LEAD, "agent01") for _, actor, _ in steps)
            assert (await handling.handling(number)).assigned.code == "cdq-dhjd"
        city_actions = [e.action for e in await tickets.history(city)]
        assert Action.SUB_DISPATCH not in city_actions and Action.REPLY in city_actions
        assert loop.counts["pass_down"] == 3 and loop.counts["sub_accept"] == 3 and loop.counts["reply"] == 4
    finally:
        await engine.dispose()
