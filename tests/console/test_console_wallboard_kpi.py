"""The wallboard's JSON over HTTP (issue 14.4): every configured queue, also an empty one with zeros; agent
accounts with a phone that are in no queue listed as 未签入/离线; ASA, AHT and occupancy per queue and center
equal a hand computation over seeded call-log rows and queue_log agent lines, and survive a fresh wallboard."""
from __future__ import annotations

from datetime import datetime

import pytest
import pytest_asyncio

from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from agent_console.wallboard.hourly import local_midnight
from areas_support import AREA_USERS, member
from console_support import MovableClock, SharedClient, assert_no_stray_tasks, login, make_config, running_console
from hotline.engine import ENGINE
from queues.live import LiveFloor
from wallboard_support import EMPTY_QUEUE, GENERAL, LINE, expected, seed

pytestmark = pytest.mark.asyncio(loop_scope="module")
JSON = {"Accept": "application/json"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def board_app(tmp_path_factory):
    clock = MovableClock()
    tmp = tmp_path_factory.mktemp("wallboard-kpi")
    settings = ConsoleSettings(session_key="kpi-test-key-0123456789abcdefghijkl", session_max_age=3600,
                               live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600)

    def prepare(app):
        app[ENGINE].overrides.update(floor=LiveFloor(clock))

    async with running_console(make_config(tmp), clock, settings=settings, users=AREA_USERS,
                               prepare=prepare) as (app, client):
        yield app, client
    assert_no_stray_tasks()


async def _board(client) -> dict:
    lead = SharedClient(client)
    try:
        await login(lead, "lead01")
        response = await lead.get("/wallboard/state", headers=JSON)
        assert response.status == 200
        return (await response.json())["board"]
    finally:
        await lead.close()


async def test_before_any_record_every_configured_queue_shows_with_zeros_and_every_phone_agent_is_offline(board_app):
    app, client = board_app
    engine = app[ENGINE]
    from queues.models import MergeMode
    from queues.routing import LineInfo

    await engine.services["lines"].save(LineInfo("12399", "夜间专席", MergeMode.PARALLEL, queue=EMPTY_QUEUE))
    await app[CONSOLE].wallboard.refresh()
    board = await _board(client)
    queues = {q["name"]: q for q in board["queues"]}
    assert {GENERAL, EMPTY_QUEUE} <= set(queues)
    empty = queues[EMPTY_QUEUE]
    assert empty["label"].startswith("夜间专席") and empty["waiting"] == 0
    assert all(a["count"] == 0 for a in empty["agents"]) and empty["service"]["offered"] == 0
    assert empty["kpi"]["today"] == {"asa": None, "aht": None, "occupancy_pct": None, "answered": 0,
                                     "handling_seconds": 0, "available_seconds": 0}
    assert [(a["name"], a["interface"], a["state_label"]) for a in board["offline"]] == [
        ("坐席01", "PJSIP/8101", "未签入/离线"), ("坐席02", "PJSIP/8102", "未签入/离线")]   # 无话机 is no seat
    assert board["center"]["offline"] == 2


async def test_seeded_records_give_hand_computed_asa_aht_occupancy_and_a_signed_in_agent_leaves_the_offline_list(
        board_app):
    app, client = board_app
    engine = app[ENGINE]
    first = await seed(engine)
    engine.services["floor"].handle(member("PJSIP/8101", "坐席01"))
    await app[CONSOLE].wallboard.refresh()
    board = await _board(client)

    assert [(a["name"], a["state"]) for a in board["offline"]] == [("坐席02", "offline")]
    assert board["center"]["offline"] == 1
    queues = {q["name"]: q for q in board["queues"]}
    assert set(queues) >= {GENERAL, LINE, EMPTY_QUEUE}
    want = expected()
    periods = ["day"] + (["today"] if datetime.fromtimestamp(first, local_midnight(engine.clock()).tzinfo)
                         >= local_midnight(engine.clock()) else [])
    for period in periods:
        got = {"": board["center"]["kpi"][period], **{name: queues[name]["kpi"][period] for name in want if name}}
        for name, figures in want.items():
            assert {k: got[name][k] for k in figures} == figures, (period, name)
    assert queues[EMPTY_QUEUE]["agents"][2] == {"state": "idle", "label": "空闲", "count": 0}
    assert queues[GENERAL]["agents"][2]["count"] == 1          # the live floor still counts the signed-in agent

    # an engine restart: a wallboard with empty memory computes the same figures from the stored records
    from agent_console.wallboard.board import Wallboard

    fresh = Wallboard(engine.services, engine.sessions, engine.clock, lambda: None)
    await fresh.refresh()
    assert fresh.view()["center"]["kpi"] == board["center"]["kpi"]

    page = await _page(client, "/wallboard?tv=1")
    assert 'id="board"' in page and "card wide tv" in page and "退出电视模式" in page
    assert "未签入/离线" in page and 'data-queue="line-12399"' in page


async def _page(client, path: str) -> str:
    lead = SharedClient(client)
    try:
        await login(lead, "lead01")
        return await (await lead.get(path)).text()
    finally:
        await lead.close()
