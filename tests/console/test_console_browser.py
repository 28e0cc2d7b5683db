"""Whole flows in headless Chromium: log-in, queues and pause against the stand-in, and hostile input."""
from __future__ import annotations

import re

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import expect

from agent_console.audit.service import ACCESS_FORBIDDEN, CSRF_REFUSED
from agent_console.auth.ratelimit import LoginLimits
from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from browser_support import chromium, ui_login
from conftest import require_chromium
from console_support import PASSWORD, USERS, MovableClock, assert_no_stray_tasks, make_config, running_console
from hotline.engine import ENGINE

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

FAST = ConsoleSettings(session_key="browser-test-key-0123456789abcdef", session_max_age=600, poll_seconds=0.3,
                       live_batch_seconds=0.05, live_tick_seconds=0.3,
                       login_limits=LoginLimits(per_user_address=3, per_ip=50, window_seconds=600))
HOSTILE_NAME = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser():
    require_chromium()
    async with chromium() as b:
        yield b


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser):
    context = await browser.new_context(locale="zh-CN")
    context.set_default_timeout(8000)
    pg = await context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs
    yield pg
    await context.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def console_server(tmp_path_factory):
    """The console alone (no telephony), with a movable clock, shared by the module's tests."""
    clock = MovableClock()
    users = USERS + (("mallory", HOSTILE_NAME, ("agent",), None),)
    tmp = tmp_path_factory.mktemp("console-browser")
    async with running_console(make_config(tmp), clock, settings=FAST, users=users) as (app, client):
        yield app, str(client.make_url("")).rstrip("/"), clock


@pytest_asyncio.fixture(loop_scope="module")
async def console(console_server):
    await console_server[0][CONSOLE].limiter.reset()
    return console_server


@pytest_asyncio.fixture(loop_scope="module")
async def switched_console(tmp_path):
    """The engine with AMI to the stand-in running the shipped dialplan, and agent01's phone registered."""
    from asterisk_standin.people import Agent
    from asterisk_standin.standin import Standin
    from hotline.demo import prepare_asterisk_dir

    config = make_config(tmp_path)
    directory = await prepare_asterisk_dir(config, [], tmp_path / "asterisk", 4573)
    standin = Standin(directory, ami_port=0, auth_fail_delay=0.05, spool_dir=tmp_path / "spool")
    port = await standin.start()
    Agent("PJSIP/8101", "坐席01").register(standin.pbx)
    try:
        async with running_console(make_config(tmp_path, ami_port=port), MovableClock(), telephony=True,
                                   settings=FAST) as (app, client):
            await next(iter(app[ENGINE].ami.values())).wait_ready(timeout=5)
            yield app, str(client.make_url("")).rstrip("/"), standin
    finally:
        await standin.stop()
    assert_no_stray_tasks()


async def test_given_an_agent_when_joining_pausing_and_leaving_then_the_page_shows_what_asterisk_reported(
        switched_console, page):
    app, base, standin = switched_console
    await ui_login(page, base, "agent01", path="/agent")
    await expect(page).to_have_url(base + "/agent")
    state = page.get_by_test_id("state")
    await expect(state).to_have_text("未签入")
    await expect(page.get_by_test_id("duration")).to_have_text("—")
    row = page.locator('li[data-queue="hotline-general"]')

    await row.get_by_role("button", name="签入").click()
    await expect(state).to_have_text("空闲")
    await expect(row.locator(".qstate")).to_have_text("已签入")
    await expect(page.get_by_test_id("duration")).to_have_text(re.compile(r"^00:0\d$"))
    member = standin.pbx.queues.queues["hotline-general"].members["PJSIP/8101"]
    assert (member.name, member.state_interface, member.paused) == ("坐席01", "PJSIP/8101", False)

    await page.get_by_role("button", name="示忙：午休").click()
    await expect(state).to_have_text("示忙（午休）")
    assert (member.paused, member.paused_reason) == (True, "午休")

    await page.get_by_role("button", name="示闲").click()
    await expect(state).to_have_text("空闲")

    await app[CONSOLE].hub.close_pages()  # as on an engine restart: the page says so and reconnects
    await expect(page.get_by_test_id("offline")).to_be_visible()
    await expect(page.get_by_test_id("offline")).to_be_hidden()
    assert len(app[CONSOLE].hub) == 1

    await row.get_by_role("button", name="签出").click()
    await expect(state).to_have_text("未签入")
    await expect(row.locator(".qstate")).to_have_text("未签入")
    assert "PJSIP/8101" not in standin.pbx.queues.queues["hotline-general"].members
    audit = [(e.action, e.target, e.result) for e in await app[CONSOLE].audit.recent(10, username="agent01")]
    assert audit[:4] == [("agent.queue_leave", "hotline-general", "ok"), ("agent.unpause", "", "ok"),
                         ("agent.pause", "午休", "ok"), ("agent.queue_join", "hotline-general", "ok")]


async def test_given_an_agent_without_a_phone_when_joining_then_the_refusal_is_shown_in_chinese(console, page):
    app, base, _ = console
    await ui_login(page, base, "nophone")
    await page.locator('li[data-queue="hotline-general"]').get_by_role("button", name="签入").click()
    await expect(page.get_by_test_id("desk-error")).to_have_text("账号未绑定话机分机，请联系管理员")
    await expect(page.get_by_test_id("state")).to_have_text("未签入")


async def test_given_wrong_passwords_when_repeated_then_refused_and_then_throttled_even_with_the_right_one(
        console, page):
    app, base, clock = console
    for _ in range(FAST.login_limits.per_user_address):
        await ui_login(page, base, "agent02", "wrong-password-1")
        await expect(page.get_by_test_id("login-error")).to_have_text("用户名或密码错误")
    await ui_login(page, base, "agent02", PASSWORD)
    await expect(page.get_by_test_id("login-error")).to_have_text(re.compile(r"登录失败次数过多，请 \d+ 秒后再试"))
    clock.advance(FAST.login_limits.base_delay_seconds + 1)
    await ui_login(page, base, "agent02", PASSWORD)
    await expect(page).to_have_url(base + "/agent")


async def test_given_an_agent_when_opening_the_admin_page_then_403_and_an_audit_row(console, page):
    app, base, _ = console
    await ui_login(page, base, "agent02")
    await expect(page).to_have_url(base + "/agent")
    response = await page.goto(base + "/admin")
    assert response.status == 403
    await expect(page.get_by_role("heading")).to_have_text("没有权限")
    rows = await app[CONSOLE].audit.recent(5, action=ACCESS_FORBIDDEN, username="agent02")
    assert [(r.username, r.target, r.result) for r in rows] == [("agent02", "GET /admin", "denied")]


async def test_given_a_signed_in_agent_when_another_site_posts_a_form_then_it_is_refused(console, page, tmp_path):
    app, base, _ = console
    await ui_login(page, base, "agent01")
    await expect(page).to_have_url(base + "/agent")

    evil = web.Application()
    html = (f'<form method="post" action="{base}/logout"><input name="x" value="1"></form>'
            '<script>document.forms[0].submit()</script>')

    async def lure(request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    evil.router.add_get("/", lure)
    runner = web.AppRunner(evil)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        async with page.expect_response(base + "/logout", timeout=30_000) as posted:
            await page.goto(f"http://127.0.0.1:{port}/", wait_until="commit")  # the lure navigates on at once
        assert (await posted.value).status == 403
        await page.wait_for_url(base + "/logout", wait_until="load")  # the refusal page, before going on
    finally:
        await runner.cleanup()
    await page.goto(base + "/agent")
    await expect(page.get_by_test_id("who")).to_have_text("坐席01（坐席）")  # still signed in
    rows = await app[CONSOLE].audit.recent(5, action=CSRF_REFUSED, username="agent01")
    assert [(r.username, r.target) for r in rows] == [("agent01", "POST /logout")]


async def test_given_an_open_agent_page_when_the_session_expires_then_the_page_returns_to_login(console, page):
    app, base, clock = console
    await ui_login(page, base, "agent01")
    await expect(page).to_have_url(base + "/agent")
    clock.advance(FAST.session_max_age + 1)
    await expect(page).to_have_url(re.compile(r"/login\?next=%2Fagent$"))
    await expect(page.get_by_role("heading")).to_have_text("登录")
    await ui_login(page, base, "agent01")  # the login form still works afterwards
    await expect(page).to_have_url(base + "/agent")


async def test_given_script_in_a_display_name_when_shown_then_it_is_text(console, page):
    app, base, _ = console
    await ui_login(page, base, "mallory")
    await expect(page.get_by_test_id("who")).to_have_text(f"{HOSTILE_NAME}（坐席）")
    assert page.dialogs == []
    assert await page.locator("header img").count() == 0


async def test_given_an_open_desk_when_the_account_is_disabled_then_the_page_says_why_and_returns_to_login(
        console, page):
    import asyncio

    app, base, _ = console
    accounts, hub = app[ENGINE].services["accounts"], app[CONSOLE].hub
    await ui_login(page, base, "agent02")
    await expect(page).to_have_url(base + "/agent")
    async with asyncio.timeout(5):
        while len(hub) == 0:  # noqa: ASYNC110 - the page's websocket has no other signal here
            await asyncio.sleep(0.02)
    try:
        user = await accounts.set_active("agent02", False)
        await app[CONSOLE].revoker.disable(user)
        await expect(page.get_by_test_id("session-ended")).to_have_text("账号已停用，请联系管理员")
        await expect(page).to_have_url(re.compile(r"/login\?next=%2Fagent$"))
    finally:
        await accounts.set_active("agent02", True)
