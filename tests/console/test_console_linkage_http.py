"""The console's views of transfers, recordings and the knowledge base over HTTP: the 联动台账 page (supervisors
only, audited, numbers masked, hostile text escaped), the desk's sub-center list, the call tools on the agent page,
the navigation per role, and the desk's POSTs refused without the CSRF header / answered in Chinese without a call."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from agent_console.audit.service import ACCESS_FORBIDDEN, CSRF_REFUSED
from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS, AuditMark
from console_support import MovableClock, SharedClient, assert_no_stray_tasks, csrf_of, login, make_config, running_console
from hotline.engine import ENGINE
from queues.models import MergeMode
from queues.routing import LineInfo

pytestmark = pytest.mark.asyncio(loop_scope="module")
JSON = {"Accept": "application/json"}
HOSTILE = '<script>alert("x")</script>燃气泄漏'


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def console_app(tmp_path_factory):
    clock = MovableClock()
    tmp = tmp_path_factory.mktemp("linkage")
    settings = ConsoleSettings(session_key="linkage-test-key-0123456789abcdefghij", session_max_age=3600,
                               live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600)
    async with running_console(make_config(tmp), clock, settings=settings, users=AREA_USERS) as (app, client):
        yield app, client
    assert_no_stray_tasks()


@pytest_asyncio.fixture(loop_scope="module")
async def console(console_app):
    app, client = console_app
    mark = AuditMark(app[CONSOLE].audit)
    await mark.set()
    clients = []

    async def as_user(username: str, path: str = "/"):
        c = SharedClient(client)
        clients.append(c)
        await login(c, username)
        return c, {**JSON, "X-CSRF-Token": await csrf_of(c, path)}

    yield app, as_user, mark
    for c in clients:
        await c.close()


async def open_entry(app, **values):
    base = dict(kind="emergency", ticket="202611220001", citizen_number="13800138000", linkedid="1700000000.1",
                citizen_channel="PJSIP/trunk-00000001", agent_channel="PJSIP/8101-00000002", target="119",
                dial="PJSIP/119@emergency-trunk", mode="blind", actor="agent01", state="answered", result="answered",
                detail="", summary="小区3号楼起火", started_at=datetime(2026, 11, 22, 2, 0, tzinfo=UTC),
                answered_at=datetime(2026, 11, 22, 2, 0, 9, tzinfo=UTC), ended_at=None)
    return await app[ENGINE].services["transfers"].ledger.open(**(base | values))


async def test_given_ledger_rows_when_a_supervisor_opens_the_ledger_page_then_rows_are_labelled_masked_and_audited(console):
    app, as_user, mark = console
    fire = await open_entry(app, summary=HOSTILE)
    busy = await open_entry(app, target="120", mode="threeway", state="busy", result="busy", answered_at=None,
                            started_at=datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    lead, _ = await as_user("lead01")
    response = await lead.get("/transfer/ledger/page")
    assert response.status == 200
    html = await response.text()
    assert html.index(f'data-id="{busy.id}"') < html.index(f'data-id="{fire.id}"')  # newest first
    assert "消防 119" in html and "急救 120" in html and "一键转接" in html and "三方通话" in html
    assert f'<tr data-id="{busy.id}" class="failed">' in html and "忙线" in html
    assert "2026-11-22 10:00:09" in html  # answered at, in China time
    assert "138****8000" in html and "13800138000" not in html
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    (row,) = await mark.rows(action="transfer.ledger_view")
    assert (row.username, row.target, row.result) == ("lead01", "all", "ok")


async def test_given_both_kinds_when_filtering_on_subcenter_then_only_subcenter_rows_show(console):
    app, as_user, _ = console
    sub = await open_entry(app, kind="subcenter", target="12315", dial="PJSIP/12315@trunk", mode="attended",
                           started_at=datetime.now(UTC) + timedelta(days=1))
    fire = await open_entry(app, started_at=datetime.now(UTC) + timedelta(days=1))
    lead, _ = await as_user("lead01")
    html = await (await lead.get("/transfer/ledger/page?kind=subcenter")).text()
    assert f'data-id="{sub.id}"' in html and f'data-id="{fire.id}"' not in html
    assert "分中心转接" in html and "咨询转接" in html


async def test_given_an_unknown_kind_when_opening_the_ledger_page_then_400_in_chinese_and_not_audited(console):
    _, as_user, mark = console
    lead, _ = await as_user("lead01")
    response = await lead.get("/transfer/ledger/page?kind=<b>")
    assert response.status == 400
    assert "类型只能是应急联动或分中心转接" in await response.text()
    assert await mark.rows(action="transfer.ledger_view") == []


async def test_given_an_agent_when_opening_the_ledger_page_then_403_and_the_refusal_is_audited(console):
    _, as_user, mark = console
    agent, _ = await as_user("agent01")
    response = await agent.get("/transfer/ledger/page")
    assert response.status == 403
    forbidden = await mark.rows(action=ACCESS_FORBIDDEN)
    assert [r.username for r in forbidden] == ["agent01"]
    assert await mark.rows(action="transfer.ledger_view") == []


async def test_given_nobody_signed_in_when_opening_the_ledger_page_then_sent_to_login(console_app):
    app, client = console_app
    anonymous = SharedClient(client)
    try:
        response = await anonymous.get("/transfer/ledger/page", allow_redirects=False)
        assert response.status in (302, 303) and response.headers["Location"].startswith("/login")
    finally:
        await anonymous.close()


async def test_given_lines_when_an_agent_asks_for_subcenters_then_only_reachable_subcenter_lines_are_listed(console):
    app, as_user, _ = console
    lines = app[ENGINE].services["lines"]
    await lines.save(LineInfo("12315", "市场监管分中心", MergeMode.SUBCENTER, dial_target="PJSIP/12315@trunk"))
    await lines.save(LineInfo("12366", "税务分中心（停用）", MergeMode.SUBCENTER, dial_target="PJSIP/12366@trunk",
                              enabled=False))
    await lines.save(LineInfo("12319", "城建专席", MergeMode.PARALLEL, queue="line-12319"))
    agent, _ = await as_user("agent01")
    body = await (await agent.get("/agent/subcenters", headers=JSON)).json()
    assert body == {"ok": True, "subcenters": [{"line": "12315", "name": "市场监管分中心"}]}
    lead, _ = await as_user("lead01")
    assert (await lead.get("/agent/subcenters", headers=JSON)).status == 403


async def test_given_an_agent_when_opening_the_desk_then_the_call_tools_and_kb_panel_are_served_without_inline_script(console):
    _, as_user, _ = console
    agent, _ = await as_user("agent01")
    html = await (await agent.get("/agent")).text()
    for number in ("110", "119", "120", "122"):
        assert f'data-target="{number}" data-mode="blind">一键转接' in html
        assert f'data-target="{number}" data-mode="threeway">三方通话' in html
    assert 'id="rec-toggle"' in html and 'id="transfer-leave"' in html and 'id="kb-suggestions"' in html
    assert '"no_answer": "\\u5bf9\\u65b9\\u65e0\\u4eba\\u63a5\\u542c"' in html  # labels for the script, as JSON
    assert 'src="/static/calltools.js' in html and 'src="/static/kbpop.js' in html
    assert "<script>" not in html
    for script in ("calltools.js", "kbpop.js"):
        assert (await agent.get(f"/static/{script}")).status == 200


@pytest.mark.parametrize(("username", "present", "absent"), [
    ("agent01", ["/kb/search"], ["/recordings\"", "/transfer/ledger/page"]),
    ("lead01", ["/kb/search", "/recordings\"", "/transfer/ledger/page"], ["/agent\""]),
])
async def test_given_a_role_when_a_page_renders_then_the_nav_links_match_it(console, username, present, absent):
    _, as_user, _ = console
    c, _ = await as_user(username)
    html = await (await c.get("/kb/search")).text()
    nav = html.split("<nav>")[1].split("</nav>")[0]
    assert all(link in nav for link in present) and not any(link in nav for link in absent)
    if username == "lead01":
        assert ">录音查询</a>" in nav and ">联动台账</a>" in nav and ">知识库</a>" in nav


@pytest.mark.parametrize(("path", "body"), [
    ("/transfer/emergency", {"target": "119", "mode": "blind"}),
    ("/recordings/current/pause", None),
])
async def test_given_no_csrf_header_when_the_desk_posts_then_refused_and_audited(console, path, body):
    _, as_user, mark = console
    agent, _ = await as_user("agent01")
    response = await agent.post(path, headers=JSON, json=body)
    assert response.status == 403
    assert [r.username for r in await mark.rows(action=CSRF_REFUSED)] == ["agent01"]


@pytest.mark.parametrize(("path", "body", "status", "message"), [
    ("/transfer/emergency", {"target": "119", "mode": "blind", "summary": "起火"}, 409, "当前没有正在进行的通话"),
    ("/recordings/current/pause", None, 409, "当前没有正在录音的通话"),
])
async def test_given_an_agent_without_a_call_when_the_desk_posts_then_the_error_is_in_chinese(
        console, path, body, status, message):
    _, as_user, _ = console
    agent, headers = await as_user("agent01", "/agent")
    response = await agent.post(path, headers=headers, json=body)
    assert response.status == status
    assert (await response.json())["error"]["message"] == message


async def test_given_an_emergency_call_the_ivr_routed_when_a_supervisor_opens_the_ledger_then_it_reads_as_the_ivrs(console):
    app, as_user, _ = console
    ivr = await open_entry(app, actor="ivr", agent_channel="", summary="按键2（菜单after-hours）",
                           started_at=datetime.now(UTC) + timedelta(days=2))
    lead, _ = await as_user("lead01")
    html = await (await lead.get("/transfer/ledger/page")).text()
    row = html[html.index(f'data-id="{ivr.id}"'):]
    row = row[:row.index("</tr>")]
    assert "语音导航转接" in row and '<td class="actor">语音导航</td>' in row and "按键2" in row
