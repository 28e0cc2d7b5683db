"""热点与预警 over HTTP: a supervisor sees the seeded spike as an early warning with its figures, the
district table and the charts; the channel filter takes it away; the CSV carries counts only (no
caller, no content, no name) and is audited; an agent is refused."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from agent_console.context import CONSOLE
from console_support import MovableClock, SharedClient, assert_no_stray_tasks, login, make_config, running_console
from dept_support import DEPT_USERS
from hotline.engine import ENGINE
from tickets.intake import TicketDetails

CALLER, NAME, WORDS = "13912345678", "王小明", "公交车长期不按站停靠"


def prepare(app) -> None:
    async def districts(app):
        tickets = app[ENGINE].services["tickets"]
        for code, label in (("scjgj", "市场监督管理局"), ("cgj", "城市管理局")):
            await tickets.add_department(code, label)
        await tickets.add_department("xh", "徐汇区", kind="district")
        await tickets.add_department("pd", "浦东新区", kind="district")
    app.on_startup.append(districts)


async def seed(app, clock: MovableClock) -> None:
    """28 quiet days (one 噪音 ticket a day in 徐汇), then six 公交 tickets by WeChat today in 浦东."""
    tickets = app[ENGINE].services["tickets"]

    async def one(category, district, channel):
        draft = await tickets.create_draft(caller=CALLER, channel=channel, content=WORDS)
        await tickets.register(draft.number, "agent01", request_type="complaint", content=WORDS, category=category,
                               details=TicketDetails(district=district, caller_name=NAME, contact_number=CALLER))

    for i in range(28, 0, -1):
        clock.offset = timedelta(days=-i)
        await one("城市管理/噪音", "xh", "phone")
    clock.offset = timedelta()
    for _ in range(6):
        await one("交通/公交", "pd", "wechat")


async def test_given_a_seeded_spike_then_the_supervisor_sees_the_warning_the_table_charts_and_an_anonymous_csv(
        tmp_path):
    clock = MovableClock()
    async with running_console(make_config(tmp_path), clock, users=DEPT_USERS, prepare=prepare) as (app, client):
        await seed(app, clock)
        lead = SharedClient(client)
        await login(lead, "lead01")
        page = await lead.get("/reports/hotspots")
        html = await page.text()
        assert page.status == 200 and "热点与预警" in html and html.count("<svg") == 4
        warnings = re.findall(r'<tr class="warning" data-category="([^"]*)" data-district="([^"]*)">', html)
        assert warnings == [("交通/公交", ""), ("交通/公交", "浦东新区")]
        assert '<td data-key="today">6</td>' in html and '<td data-key="z">6.00</td>' in html  # mean 0, spread 0→1
        assert '<tr data-code="pd"><td>浦东新区</td><td data-key="today">6</td>' in html
        assert '<tr data-code="xh"><td>徐汇区</td><td data-key="today">0</td><td data-key="mean">1.0</td>' in html
        assert 'data-label="交通/公交" data-value="6.0"' in html
        assert CALLER not in html and NAME not in html and WORDS not in html

        by_phone = await (await lead.get("/reports/hotspots?channel=phone")).text()
        assert 'data-testid="no-warnings"' in by_phone and '<option value="phone" selected>' in by_phone
        assert (await lead.get("/reports/hotspots?channel=fax")).status == 400
        assert (await lead.get("/reports/hotspots?day=yesterday")).status == 400
        assert (await lead.get("/reports/hotspots?day=0001-01-01")).status == 400
        assert (await lead.get("/reports/hotspots?day=2999-01-01")).status == 400

        link = re.search(r'href="(/reports/hotspots\.csv\?[^"]+)"', html).group(1).replace("&amp;", "&")
        exported = await lead.get(link)
        assert exported.status == 200 and exported.headers["Content-Type"].startswith("text/csv")
        body = (await exported.read()).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body)))
        assert rows[0] == ["日期", "类别", "区县", "渠道", "工单数"] and all(len(r) == 5 for r in rows)
        assert sum(int(r[4]) for r in rows[1:]) == 34
        assert [r[1:] for r in rows[1:] if r[1] == "交通/公交"] == [["交通/公交", "浦东新区", "微信", "6"]]
        assert CALLER not in body and NAME not in body and WORDS not in body and "agent01" not in body
        wechat = list(csv.reader(io.StringIO((await (await lead.get(link + "&channel=wechat")).read())
                                             .decode("utf-8-sig"))))
        assert [r[3] for r in wechat[1:]] == ["微信"]
        exports = await app[CONSOLE].audit.recent(5, action="report.hotspots.export")
        assert [e.username for e in exports] == ["lead01", "lead01"]

        admin = SharedClient(client)
        await login(admin, "admin01")
        assert (await admin.get("/reports/hotspots")).status == 200
        agent = SharedClient(client)
        await login(agent, "agent01")
        assert (await agent.get("/reports/hotspots", allow_redirects=False)).status == 403
        assert (await agent.get(link, allow_redirects=False)).status == 403
        for c in (lead, admin, agent):
            await c.close()
    assert_no_stray_tasks()


async def test_given_tickets_from_two_channels_then_the_assessment_report_splits_its_figures_by_channel(tmp_path):
    clock = MovableClock()
    async with running_console(make_config(tmp_path), clock, users=DEPT_USERS, prepare=prepare) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        for channel in ("phone", "web", "web"):
            draft = await tickets.create_draft(caller=CALLER, channel=channel, content=WORDS)
            await tickets.register(draft.number, "agent01", request_type="complaint", content=WORDS)
            await tickets.dispatch(draft.number, "scjgj", [], "agent01")
        lead = SharedClient(client)
        await login(lead, "lead01")

        async def dispatched(query: str) -> str:
            response = await lead.get(f"/reports/assessment.csv{query}")
            assert response.status == 200
            rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
            row = next((r for r in rows if len(r) > 3 and r[2] == "scjgj"), None)  # no row: nothing dispatched
            return "0" if row is None else row[rows[0].index("派单数")]

        assert [await dispatched(q) for q in ("", "?channel=web", "?channel=phone", "?channel=wechat")] == \
            ["3", "2", "1", "0"]
        page = await (await lead.get("/reports/assessment?channel=web")).text()
        assert '<option value="web" selected>' in page and "&amp;channel=web" in page and "仅含渠道「网站」" in page
        assert (await lead.get("/reports/assessment?channel=fax")).status == 400
        exports = await app[CONSOLE].audit.recent(5, action="report.assessment.export")
        assert sorted(e.target.rsplit(" ", 1)[-1] for e in exports if " " in e.target) == ["phone", "web", "wechat"]
        await lead.close()
    assert_no_stray_tasks()
