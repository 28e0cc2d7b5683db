"""The audit-log viewer (issue 14.5): an admin filters by user, action, target, result and time, pages,
exports CSV; reading and exporting are audited; nobody else gets in."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from agent_console.audit.models import AuditEntry
from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS
from console_support import MovableClock, SharedClient, assert_no_stray_tasks, login, make_config, running_console
from hotline.engine import ENGINE

pytestmark = pytest.mark.asyncio(loop_scope="module")
SETTINGS = ConsoleSettings(session_key="audit-viewer-key-0123456789abcdefghij", session_max_age=3600,
                           live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600)
NOON = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def viewer(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit_viewer")
    async with running_console(make_config(tmp), MovableClock(), settings=SETTINGS, users=AREA_USERS) as (app, client):
        async with app[ENGINE].sessions() as session, session.begin():
            for i in range(60):  # agent01 listens to 60 recordings, one a minute from 12:00
                session.add(AuditEntry(at=NOON + timedelta(minutes=i), user_id=None, username="agent01",
                                       action="view.recording", target=f"recording {1000 + i}", ip="10.0.0.8",
                                       result="ok"))
            session.add(AuditEntry(at=NOON + timedelta(hours=3), user_id=None, username="lead01",
                                   action="view.confidential_ticket", target="20261130000042", ip="10.0.0.9",
                                   result="ok"))
            session.add(AuditEntry(at=NOON + timedelta(hours=3), user_id=None, username="agent02",
                                   action="access.forbidden", target="GET /wallboard", ip="10.0.0.7", result="denied"))
        yield app, client
    assert_no_stray_tasks()


def _rows(html: str) -> list[list[str]]:
    body = html.split('data-testid="audit-rows"', 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<td>(.*?)</td>", tr) for tr in re.findall(r"<tr><td>.*?</tr>", body, re.S)]


async def test_an_admin_finds_who_read_a_confidential_ticket_and_the_lookup_is_audited(viewer):
    app, client = viewer
    c = SharedClient(client)
    await login(c, "admin01")
    page = await c.get("/admin/audit", params={"target": "20261130000042"})
    assert page.status == 200
    rows = _rows(await page.text())
    assert rows == [["2026-11-30 15:00:00", "lead01", "view.confidential_ticket", "20261130000042", "10.0.0.9", "成功"]]
    (mine,) = await app[CONSOLE].audit.recent(1, username="admin01", action="audit.view")
    assert mine.target == "target=20261130000042"
    await c.close()


async def test_filters_by_user_action_prefix_and_time_page_through_and_export_the_same_rows(viewer):
    app, client = viewer
    c = SharedClient(client)
    await login(c, "admin01")
    window = {"user": "agent01", "action": "view.", "from": "2026-11-30T12:10", "to": "2026-11-30T12:29"}
    first = await (await c.get("/admin/audit", params=window)).text()
    assert "共 20 条" in first, first.split("audit-total")[1][:300]
    assert [r[3] for r in _rows(first)] == [f"recording {1000 + i}" for i in range(29, 9, -1)]
    everything = await (await c.get("/admin/audit", params={"user": "agent01"})).text()
    assert "共 60 条，第 1 / 2 页" in everything and len(_rows(everything)) == 50
    second = await (await c.get("/admin/audit", params={"user": "agent01", "page": "2"})).text()
    assert [r[3] for r in _rows(second)] == [f"recording {1000 + i}" for i in range(9, -1, -1)]

    export = await c.get("/admin/audit.csv", params=window)
    assert export.status == 200 and export.headers["Content-Disposition"].startswith("attachment")
    table = list(csv.reader(io.StringIO((await export.read()).decode("utf-8-sig"))))
    assert table[0] == ["时间", "用户", "操作", "对象", "来源地址", "结果"]
    assert [r[3] for r in table[1:]] == [f"recording {1000 + i}" for i in range(29, 9, -1)]
    (exported,) = await app[CONSOLE].audit.recent(1, username="admin01", action="audit.export")
    assert exported.target.endswith("rows=20") and "user=agent01" in exported.target
    await c.close()


async def test_bad_filters_are_refused_in_chinese_and_nobody_but_admins_gets_in(viewer):
    app, client = viewer
    admin = SharedClient(client)
    await login(admin, "admin01")
    bad = await admin.get("/admin/audit", params={"from": "昨天"})
    assert bad.status == 400 and "时间格式应为" in await bad.text()
    backwards = await admin.get("/admin/audit", params={"from": "2026-11-30", "to": "2026-11-29"})
    assert backwards.status == 400 and "结束时间必须晚于开始时间" in await backwards.text()
    assert (await admin.get("/admin/audit", params={"result": "maybe"})).status == 400
    await admin.close()
    for username in ("agent01", "lead01"):
        c = SharedClient(client)
        await login(c, username)
        assert (await c.get("/admin/audit", allow_redirects=False)).status == 403
        assert (await c.get("/admin/audit.csv", allow_redirects=False)).status == 403
        await c.close()
