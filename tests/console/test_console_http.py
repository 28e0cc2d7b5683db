"""Access control over HTTP (no browser): roles on every route, redirects, CSRF, login, logout, headers."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio
from aiohttp import web

from agent_console.audit.service import ACCESS_FORBIDDEN, CSRF_REFUSED
from agent_console.auth.access import PUBLIC, declared_roles
from agent_console.auth.ratelimit import LoginLimits
from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from console_support import (
    PASSWORD, MovableClock, SharedClient, assert_no_stray_tasks, csrf_of, login, make_config, running_console,
)

SETTINGS = ConsoleSettings(session_key="http-test-key-0123456789abcdef", session_max_age=600,
                           login_limits=LoginLimits(per_user_address=2, per_ip=100))


async def undeclared(request: web.Request) -> web.Response:
    return web.Response(text="secret")


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory):
    def prepare(app):
        app.router.add_get("/forgotten", undeclared)
    tmp = tmp_path_factory.mktemp("console-http")
    async with running_console(make_config(tmp), MovableClock(), settings=SETTINGS, prepare=prepare) as (
            app, client):
        yield app, client
    assert_no_stray_tasks()


@pytest_asyncio.fixture(loop_scope="module")
async def console(server):
    """A fresh browser-like client (own cookies) on the module's console; rate limits forgotten."""
    app, shared = server
    await app[CONSOLE].limiter.reset()
    client = SharedClient(shared)
    yield app, client
    await client.close()


async def _count(app, action: str, username: str, target: str) -> int:
    return sum(1 for r in await app[CONSOLE].audit.recent(1000, action=action, username=username)
               if r.target == target)


async def test_given_the_console_routes_then_each_declares_roles(console):
    app, _ = console
    missing = [r.resource.canonical for r in app.router.routes()
               if r.resource.canonical not in ("/healthz", "/forgotten") and not r.resource.canonical.startswith(
                   "/static") and declared_roles(r.handler) is None]
    assert missing == []
    assert declared_roles(next(iter(app.router["login"])).handler) is PUBLIC


async def test_given_a_route_without_roles_when_opened_by_anyone_then_refused(console):
    app, client = console
    await login(client, "boss")
    response = await client.get("/forgotten")
    assert response.status == 403 and "secret" not in await response.text()


async def test_given_no_session_when_opening_a_page_then_redirected_to_login_with_next(console):
    _, client = console
    response = await client.get("/agent?x=1&y=2", allow_redirects=False)
    location = urlsplit(response.headers["Location"])
    assert response.status == 302 and location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/agent?x=1&y=2"]}


async def test_given_no_session_when_fetching_json_or_posting_then_401_in_chinese(console):
    _, client = console
    for response in (await client.get("/agent/state", headers={"Accept": "application/json"}),
                     await client.post("/agent/unpause")):
        assert response.status == 401
        assert (await response.json())["error"] == {"id": "console.session.expired", "message": "登录已过期，请重新登录",
                                                    "login": "/login"}


async def test_given_public_paths_when_opened_without_login_then_served(console):
    _, client = console
    assert (await client.get("/healthz")).status == 200
    css = await client.get("/static/console.css")
    assert css.status == 200 and "topbar" in await css.text()
    assert (await client.get("/static/../app.py")).status in (403, 404)


@pytest.mark.parametrize("username, path, status", [
    ("agent01", "/agent", 200), ("agent01", "/admin", 403), ("boss", "/admin", 200), ("boss", "/agent", 403),
    ("boss", "/", 200),
])
async def test_given_roles_when_opening_pages_then_only_holders_get_in_and_refusals_are_audited(console, username,
                                                                                                path, status):
    app, client = console
    await login(client, username)
    before = await _count(app, ACCESS_FORBIDDEN, username, f"GET {path}")
    response = await client.get(path, allow_redirects=False)
    assert response.status == status
    after = await _count(app, ACCESS_FORBIDDEN, username, f"GET {path}")
    assert after - before == (1 if status == 403 else 0)


async def test_given_an_agent_only_when_opening_home_then_sent_to_the_desk(console):
    _, client = console
    await login(client, "agent01")
    response = await client.get("/", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/agent"


async def test_given_a_json_client_without_the_role_when_fetching_then_403_json(console):
    _, client = console
    await login(client, "boss")
    response = await client.get("/agent/state", headers={"Accept": "application/json"})
    assert response.status == 403 and (await response.json())["error"]["message"] == "没有权限访问此功能"


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": ""}])
async def test_given_a_post_without_the_right_token_when_sent_then_refused_and_audited(console, headers):
    app, client = console
    await login(client, "agent01")
    before = await _count(app, CSRF_REFUSED, "agent01", "POST /agent/unpause")
    response = await client.post("/agent/unpause", headers=headers)
    assert response.status == 403
    assert (await response.json())["error"]["id"] == "console.csrf.refused"
    assert await _count(app, CSRF_REFUSED, "agent01", "POST /agent/unpause") == before + 1
    assert (await app[CONSOLE].audit.recent(1))[0].result == "denied"


async def test_given_the_token_in_the_header_when_posting_then_the_action_runs(console):
    _, client = console
    await login(client, "agent01")
    token = await csrf_of(client, "/agent")
    response = await client.post("/agent/unpause", headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert response.status == 503  # past the CSRF check; no Asterisk is configured in this app
    assert (await response.json())["error"]["message"] == "没有配置交换机连接，无法签入队列"


@pytest.mark.parametrize("body, content_type, message", [
    ("{not json", "application/json", "请求格式错误"), ("[1, 2]", "application/json", "请求格式错误"),
    ('{"reason": "回家"}', "application/json", "请选择列表中的示忙原因"),
])
async def test_given_a_bad_pause_request_when_posted_then_400_in_chinese(console, body, content_type, message):
    _, client = console
    await login(client, "agent01")
    token = await csrf_of(client, "/agent")
    response = await client.post("/agent/pause", data=body, headers={"X-CSRF-Token": token,
                                                                     "Content-Type": content_type})
    assert response.status == 400 and (await response.json())["error"]["message"] == message


async def test_given_logout_with_the_form_token_then_the_old_cookie_no_longer_works(console):
    app, client = console
    await login(client, "agent01")
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))["hotline_session"].value
    token = await csrf_of(client, "/agent")
    response = await client.post("/logout", data={"csrf_token": token}, allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/login"
    replay = await client.get("/agent", cookies={"hotline_session": cookie}, allow_redirects=False)
    assert replay.status == 302 and replay.headers["Location"].startswith("/login")


async def test_given_a_successful_login_then_the_cookie_is_httponly_and_samesite_strict(console):
    _, client = console
    response = await login(client, "agent01")
    assert response.status == 302 and response.headers["Location"] == "/"
    cookie = response.cookies["hotline_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert int(cookie["max-age"]) == 600


async def test_given_a_login_post_without_the_form_token_then_refused(console):
    _, client = console
    response = await client.post("/login", data={"username": "agent01", "password": "correct-horse-12"},
                                 allow_redirects=False)
    assert response.status == 403 and "页面已过期" in await response.text()


@pytest.mark.parametrize("password, status, text", [("", 400, "请输入用户名和密码"),
                                                    ("wrong-password", 401, "用户名或密码错误")])
async def test_given_bad_credentials_when_logging_in_then_refused_and_audited(console, password, status, text):
    app, client = console
    response = await login(client, "agent01", password)
    assert response.status == status and text in await response.text()
    assert "hotline_session" not in response.cookies


async def test_given_too_many_failures_when_logging_in_then_429_with_retry_after(console):
    app, client = console
    for _ in range(2):
        assert (await login(client, "agent01", "wrong-password")).status == 401
    response = await login(client, "agent01")
    assert response.status == 429 and int(response.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in await response.text()
    assert [(r.username, r.result) for r in await app[CONSOLE].audit.recent(1)] == [("agent01", "denied")]


@pytest.mark.parametrize("target, lands", [("/admin", "/admin"), ("//evil.example/", "/"),
                                           ("https://evil.example/", "/")])
async def test_given_a_login_with_next_then_the_person_lands_there_but_never_off_site(console, target, lands):
    import re

    _, client = console
    form = await (await client.get("/login", params={"next": target})).text()
    assert f'name="next" value="{lands}"' in form
    token = re.search(r'name="login_token" value="([^"]+)"', form).group(1)
    response = await client.post("/login", data={"username": "boss", "password": PASSWORD, "login_token": token,
                                                 "next": target}, allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == lands


async def test_given_any_page_then_security_headers_forbid_framing_and_inline_script(console):
    _, client = console
    response = await client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"
