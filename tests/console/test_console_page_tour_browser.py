"""Every page of the console at 1366×768 and 1920×1080, for a person to look at (issue 14 "Tests"), in headless
Chromium against the demo configuration (demo accounts, lines, departments, the sample 派单目录) on the stand-in.

The pages are not listed by hand: every GET route of the running app without a path parameter is opened as a
demo user holding one of its roles (anonymously when public), and each answer that is an HTML page is shown;
a ticket's page (center and department) is opened for a dispatched ticket. Each page must load without a
script error, say something in Chinese, and fit 1366 px without a sideways scroll bar.

Screenshots go to $HOTLINE_SCREENSHOTS/pages (default build/screenshots/pages); an index.txt
there lists which user took which picture."""
from __future__ import annotations

import re

import pytest
from aiohttp import web
from playwright.async_api import expect

from agent_console.auth.access import BEARER, PUBLIC, declared_roles
from browser_support import chromium, screenshot_dir, ui_login
from conftest import require_chromium
from test_console_route_matrix import walk

pytestmark = [pytest.mark.browser]
CONFIG = {"console": {"session_key": "page-tour-key-0123456789abcdefghijk"}}
# demo accounts (hotline/demo.py), the first that holds a route's role opens it
DEMO_USERS = (("agent01", "demo-agent-01", "agent"), ("banzhang", "demo-supervisor", "supervisor"),
              ("admin", "demo-admin-123", "admin"), ("dept01", "demo-dept-scjgj", "department"),
              ("deptlead01", "demo-deptlead-scjgj", "department_lead"))
SIZES = ((1366, 768), (1920, 1080))
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# tables sticking out of the card they are in (the page may still fit, the table is then cut or overlaps)
SPILLED = """Array.from(document.querySelectorAll('.card table')).filter(t => t.offsetParent !== null &&
  t.getBoundingClientRect().right > t.closest('.card').getBoundingClientRect().right + 1)
  .map(t => t.getAttribute('data-testid') || t.id || t.className || 'table')"""
# a check box stretched to the width of the form stands far from its label
STRETCHED = """Array.from(document.querySelectorAll('input[type=checkbox], input[type=radio]'))
  .filter(i => i.offsetParent !== null && i.getBoundingClientRect().width > 40).map(i => i.name || i.id).slice(0, 3)"""


def _who(roles) -> str | None:
    """'' = anonymous; None = not a person's page (static files, API keys)."""
    if roles == PUBLIC:
        return ""
    if roles == BEARER or not isinstance(roles, frozenset):
        return None
    return next((user for user, _, role in DEMO_USERS if role in roles), None)


def _name(path: str) -> str:
    return path.strip("/").replace("/", "_") or "home"


async def test_every_page_fits_1366_and_is_photographed_at_both_sizes(tmp_path):
    from hotline.testing import running_hotline

    require_chromium()
    shots = screenshot_dir("pages")
    async with running_hotline(tmp_path / "hotline", config=CONFIG) as hotline:
        hotline.add_agent("PJSIP/8101", "坐席01")
        tickets = hotline.engine.services["tickets"]
        draft = await tickets.create_draft(caller="13800138088", content="路口小吃店后厨卫生很差，疑似使用过期食材")
        await tickets.register(draft.number, "agent01", request_type="report",
                               content="路口小吃店后厨卫生很差，疑似使用过期食材", category="市场监管/食品安全")
        await tickets.dispatch(draft.number, "scjgj", [], "agent01")
        tours: dict[str, list[str]] = {user: [] for user, *_ in DEMO_USERS} | {"": []}
        for method, path, handler in walk(hotline.app):
            if method == "GET" and "{" not in path and not path.startswith("/static"):
                user = _who(declared_roles(handler))
                if user is not None:
                    tours[user].append(path)
        tours["agent01"].append(f"/tickets/{draft.number}/page")
        tours["dept01"].append(f"/dept/tickets/{draft.number}")
        site = web.TCPSite(hotline.runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # noqa: SLF001
        passwords = {user: password for user, password, _ in DEMO_USERS}

        shown: list[str] = []
        problems: list[str] = []
        async with chromium() as browser:
            for user, paths in tours.items():
                context = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
                context.set_default_timeout(15_000)
                page = await context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                if user:
                    await ui_login(page, base, user, passwords[user])
                    await expect(page).not_to_have_url(re.compile(r"/login"))
                for path in paths:
                    probe = await page.request.get(base + path, max_redirects=0)
                    if probe.status != 200 or not probe.headers.get("content-type", "").startswith("text/html"):
                        continue  # JSON, CSV, websockets, redirects: not a page
                    await page.set_viewport_size({"width": 1366, "height": 768})
                    await page.goto(base + path)
                    await page.wait_for_load_state("networkidle")
                    body = await page.locator("body").inner_text()
                    if not CHINESE.search(body):
                        problems.append(f"{path} as {user or '匿名'}: no Chinese on the page")
                    wide = await page.evaluate("document.documentElement.scrollWidth")
                    if wide > 1366:
                        problems.append(f"{path} as {user or '匿名'}: {wide} px wide at 1366")
                    spilled = await page.evaluate(SPILLED)
                    if spilled:
                        problems.append(f"{path} as {user or '匿名'}: wider than their card at 1366: {spilled}")
                    stretched = await page.evaluate(STRETCHED)
                    if stretched:
                        problems.append(f"{path} as {user or '匿名'}: check boxes as wide as the form: {stretched}")
                    for width, height in SIZES:
                        await page.set_viewport_size({"width": width, "height": height})
                        name = f"{_name(path)}-{user or 'anonymous'}-{width}x{height}.png"
                        await page.screenshot(path=str(shots / name), full_page=True)
                        shown.append(f"{name}\t{path}\t{user or '匿名'}")
                problems.extend(f"{user or '匿名'}: script error {e}" for e in errors)
                await context.close()
        (shots / "index.txt").write_text("\n".join(shown) + "\n", encoding="utf-8")

    pages = {line.split("\t")[1] for line in shown}
    for must in ("/agent", "/supervisor", "/wallboard", "/admin/audit", "/admin/queues", "/callbacks/missed",
                 "/dept", "/login", f"/tickets/{draft.number}/page", f"/dept/tickets/{draft.number}"):
        assert must in pages, must
    assert problems == []
