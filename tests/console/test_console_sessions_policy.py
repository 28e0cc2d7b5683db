"""Sessions and passwords (issue 11, finding 4): idle timeout and absolute lifetime, Secure +
__Host- cookies over TLS or a trusted proxy, the administrator's password policy (length,
classes, reuse, expiry) with Chinese messages, and changing one's own password."""
from __future__ import annotations

import asyncio
import re

import pytest
from aiohttp import WSMsgType
from sqlalchemy import select

from agent_console.accounts.policy import PasswordPolicy, WeakPassword
from agent_console.admin.models import ConsoleSetting
from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from console_support import (PASSWORD, SESSION_KEY, MovableClock, SharedClient, csrf_of, login, make_config,
                             running_console)
from hotline.engine import ENGINE

JSON = {"Accept": "application/json"}
IDLE, LIFETIME = 1800, 3600
SETTINGS = ConsoleSettings(session_key=SESSION_KEY, session_max_age=LIFETIME, session_idle_timeout=IDLE,
                           live_tick_seconds=0.2, live_batch_seconds=0.01, trusted_proxies=("127.0.0.1",))


@pytest.fixture
async def console(tmp_path):
    clock = MovableClock()
    async with running_console(make_config(tmp_path), clock, settings=SETTINGS) as (app, client):
        yield app, client, clock


# --- idle timeout and absolute lifetime ----------------------------------------------------------

async def test_given_no_request_for_the_idle_timeout_then_the_session_ends_but_activity_keeps_it_until_its_lifetime(
        console):
    app, client, clock = console
    await login(client, "agent01")
    for _ in range(2):  # a request every 28 minutes keeps it alive...
        clock.advance(IDLE - 120)
        assert (await client.get("/agent/state", headers=JSON)).status == 200
    clock.advance(LIFETIME - 2 * (IDLE - 120) + 1)  # ...but never past its absolute lifetime
    ended = await client.get("/agent/state", headers=JSON)
    assert ended.status == 401 and (await ended.json())["error"]["message"] == "登录已过期，请重新登录"

    await login(client, "agent01")
    clock.advance(IDLE + 1)  # 30 minutes without a request
    assert (await client.get("/agent/state", headers=JSON)).status == 401


async def test_given_an_open_desk_when_its_session_goes_idle_then_the_socket_closes_with_the_reason(console):
    app, client, clock = console
    await login(client, "agent01")
    ws = await client.ws_connect("/agent/live", headers={"Origin": str(client.make_url("")).rstrip("/")})
    await ws.receive_json(timeout=5)
    clock.advance(IDLE + 1)
    async with asyncio.timeout(3):
        while (msg := await ws.receive()).type == WSMsgType.TEXT:
            pass
    assert (msg.data, msg.extra) == (4401, "登录已过期，请重新登录")


# --- cookies over TLS and behind a trusted proxy --------------------------------------------------

async def _login_form(client, headers):
    form = await client.get("/login", headers=headers)
    token = re.search(r'name="login_token" value="([^"]+)"', await form.text()).group(1)
    return token, form.cookies["hotline_login"]


async def test_given_a_trusted_proxy_saying_https_then_the_session_cookie_is_host_prefixed_and_secure(console):
    app, client, _ = console
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.20"}
    token, login_cookie = await _login_form(client, https)
    assert login_cookie["secure"]
    done = await client.post("/login", data={"username": "agent01", "password": PASSWORD, "login_token": token},
                             cookies={"hotline_login": login_cookie.value}, headers=https, allow_redirects=False)
    assert done.status == 302 and "hotline_session" not in done.cookies
    cookie = done.cookies["__Host-hotline_session"]
    assert cookie["secure"] and cookie["httponly"] and cookie["path"] == "/" and not cookie["domain"]
    assert cookie["samesite"] == "Strict"
    page = await client.get("/agent/state", headers={**https, **JSON},
                            cookies={"__Host-hotline_session": cookie.value})
    assert page.status == 200 and page.headers["Strict-Transport-Security"].startswith("max-age=")
    # over TLS only the __Host- cookie counts: the same token under the plain name is not a session
    planted = await client.get("/agent/state", headers={**https, **JSON}, cookies={"hotline_session": cookie.value})
    assert planted.status == 401
    entry = (await app[CONSOLE].audit.recent(1, action="login"))[0]
    assert entry.ip == "198.51.100.20"  # the client's address as the proxy saw it


async def test_given_plain_http_or_an_untrusted_peer_saying_https_then_a_plain_cookie(tmp_path):
    settings = ConsoleSettings(session_key=SESSION_KEY, session_max_age=LIFETIME)  # no trusted proxy
    async with running_console(make_config(tmp_path), MovableClock(), settings=settings) as (app, client):
        token, login_cookie = await _login_form(client, {"X-Forwarded-Proto": "https"})
        assert not login_cookie["secure"]
        done = await client.post("/login", data={"username": "agent01", "password": PASSWORD,
                                                 "login_token": token},
                                 headers={"X-Forwarded-Proto": "https"}, allow_redirects=False)
        assert done.status == 302 and not done.cookies["hotline_session"]["secure"]
        assert "__Host-hotline_session" not in done.cookies and "Strict-Transport-Security" not in done.headers


# --- the password policy ---------------------------------------------------------------------------

async def test_given_an_admin_sets_the_policy_then_new_passwords_follow_it_in_chinese_and_it_is_kept(console):
    app, client, _ = console
    await login(client, "boss")
    headers = {**JSON, "X-CSRF-Token": await csrf_of(client)}
    assert (await client.post("/admin/password-policy", json={"min_length": "12"}, headers=JSON)).status == 403
    bad = await client.post("/admin/password-policy", json={"min_length": 4}, headers=headers)
    assert bad.status == 400 and (await bad.json())["error"]["message"] == "最短长度应为 8 到 128 之间的整数"
    saved = await client.post("/admin/password-policy", headers=headers, json={
        "min_length": "12", "min_classes": "3", "history": "3", "max_age_days": "90"})
    assert saved.status == 200
    assert (await saved.json())["message"] == ("密码策略已保存：至少 12 个字符；包含小写字母、大写字母、数字、符号中的至少 3 类；"
                                               "不能与最近 3 次用过的密码相同；每 90 天需修改一次")
    weak = await client.post("/admin/users", headers=headers, json={
        "username": "new01", "roles": ["agent"], "password": "only-lower-case"})
    assert (await weak.json())["error"]["message"] == "密码需包含小写字母、大写字母、数字、符号中的至少 3 类（现在只有 2 类）"
    short = await client.post("/admin/users", headers=headers, json={
        "username": "new01", "roles": ["agent"], "password": "Short-1"})
    assert (await short.json())["error"]["message"] == "密码至少需要 12 个字符"
    ok = await client.post("/admin/users", headers=headers, json={
        "username": "new01", "roles": ["agent"], "password": "Long-enough-1"})
    assert ok.status == 200
    assert "至少 12 个字符" in await (await client.get("/admin/users")).text()
    async with app[ENGINE].sessions() as session:
        row = await session.scalar(select(ConsoleSetting).where(ConsoleSetting.key == "password_policy"))
    assert row.value == {"min_length": 12, "min_classes": 3, "history": 3, "max_age_days": 90}
    entry = (await app[CONSOLE].audit.recent(5, action="admin.password_policy"))[0]
    assert (entry.username, entry.result) == ("boss", "ok")


async def _change(client, current: str, new: str, confirm: str | None = None):
    token = await csrf_of(client, "/account/password")
    return await client.post("/account/password", data={"csrf_token": token, "current": current, "new": new,
                                                        "confirm": new if confirm is None else confirm})


async def test_given_a_user_changing_their_own_password_then_the_rules_apply_and_other_sessions_end(console):
    app, client, _ = console
    other = SharedClient(client)
    try:
        await login(client, "agent01")
        await login(other, "agent01")
        wrong = await _change(client, "not-my-password", "brand-new-pass-1")
        assert wrong.status == 403 and "当前密码错误" in await wrong.text()
        mismatch = await _change(client, PASSWORD, "brand-new-pass-1", "brand-new-pass-2")
        assert mismatch.status == 400 and "两次输入的新密码不一致" in await mismatch.text()
        same = await _change(client, PASSWORD, PASSWORD)
        assert same.status == 400 and "不能使用最近 5 次用过的密码" in await same.text()
        done = await _change(client, PASSWORD, "brand-new-pass-1")
        assert done.status == 200 and "密码已修改" in await done.text()
        assert (await client.get("/agent/state", headers=JSON)).status == 200   # this session stays
        assert (await other.get("/agent/state", headers=JSON)).status == 401    # the other device's ends
        back = await _change(client, "brand-new-pass-1", PASSWORD)              # the previous one again
        assert back.status == 400 and "不能使用最近 5 次用过的密码" in await back.text()
        assert (await login(other, "agent01")).status == 401
        assert (await login(other, "agent01", "brand-new-pass-1")).status == 302
    finally:
        await other.close()


async def test_given_an_expired_password_when_logging_in_then_only_the_change_page_opens_until_it_is_changed(
        console):
    app, client, clock = console
    accounts = app[ENGINE].services["accounts"]
    accounts.policy = PasswordPolicy(max_age_days=90)
    clock.advance(91 * 86400)
    assert (await login(client, "agent01")).status == 302
    home = await client.get("/agent", allow_redirects=False)
    assert (home.status, home.headers["Location"]) == (302, "/account/password")
    api = await client.get("/agent/state", headers=JSON)
    assert api.status == 403 and (await api.json())["error"]["message"] == "密码已过期，请先修改密码"
    page = await client.get("/account/password")
    assert "密码已过期，请先修改密码后再继续使用" in await page.text()
    assert (await _change(client, PASSWORD, "renewed-pass-91")).status == 200
    assert (await client.get("/agent", allow_redirects=False)).status == 200


def test_given_the_default_policy_then_the_demo_and_fixture_passwords_still_pass():
    from bench.console_load.engine_side import PASSWORD as BENCH_PASSWORD
    from hotline.demo import DEMO_ACCOUNTS
    from tests.transfer.transfer_support import AGENT_PASSWORDS

    policy = PasswordPolicy()
    passwords = [a[3] for a in DEMO_ACCOUNTS] + [PASSWORD, BENCH_PASSWORD, *AGENT_PASSWORDS.values()]
    for password in passwords:
        policy.check(password)
    with pytest.raises(WeakPassword, match="密码至少需要 10 个字符"):
        policy.check("short-1")
    with pytest.raises(WeakPassword, match="现在只有 1 类"):
        policy.check("onlylowercaseletters")


async def test_given_the_login_queue_full_when_changing_ones_password_then_429_in_chinese_and_nothing_changes(
        console):
    from agent_console.auth.gate import LoginGate

    app, client, _ = console
    await login(client, "agent01")
    app[CONSOLE].login_gate = gate = LoginGate(limit=1, wait_seconds=0.05, max_waiting=0)
    async with gate.admitted():  # a login flood holds the hash queue
        busy = await _change(client, PASSWORD, "brand-new-pass-1")
    assert busy.status == 429 and busy.headers["Retry-After"] == "5"
    assert "轮候人数过多，请稍后再试（密码未修改）" in await busy.text()
    other = SharedClient(client)
    try:
        assert (await login(other, "agent01")).status == 302      # the old password still works
    finally:
        await other.close()
    assert (await _change(client, PASSWORD, "brand-new-pass-1")).status == 200  # once the queue has room
