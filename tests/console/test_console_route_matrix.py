"""Route × role matrix (issue 11): every route of the engine app, who may use it, checked twice.

The table below is the reviewed answer to "who may call what". One test compares it with the
roles each handler declares (``@requires`` / ``@public``), in both directions, so a new route
that is not in the table, or a changed declaration, fails here. Another test asks the running
console as every role: a role outside the table is refused (401 anonymous, 403 signed in) and
audited; a role inside it is let through (a GET is answered, a POST without its CSRF token
gets the CSRF refusal, which comes only after the role check). A last one sends NUL and other
impossible path values to every parametrised route, on SQLite and PostgreSQL: never a 500.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.web_urldispatcher import PrefixedSubAppResource

from agent_console.accounts.models import ROLES
from agent_console.audit.service import ACCESS_FORBIDDEN
from agent_console.auth.access import BEARER, PUBLIC, declared_roles
from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from console_support import (MovableClock, SharedClient, assert_no_stray_tasks, csrf_of, login, make_config,
                             running_console)

pytestmark = pytest.mark.asyncio(loop_scope="module")

A, S, M, D, L = "agent", "supervisor", "admin", "department", "department_lead"
ANY = frozenset(ROLES)
STATIC = "static files"  # served by aiohttp's static resource, no handler to declare on

# (method, canonical path) -> who may use it. HEAD follows GET and is not listed.
TABLE: dict[tuple[str, str], frozenset[str] | str] = {
    ("GET", "/"): ANY,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): ANY,
    ("GET", "/account/password"): ANY,
    ("POST", "/account/password"): ANY,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/admin/health"): frozenset({M, S}),
    ("GET", "/admin"): frozenset({M}),
    ("GET", "/agent"): frozenset({A}),
    ("GET", "/agent/state"): frozenset({A}),
    ("GET", "/agent/live"): frozenset({A}),
    ("POST", "/agent/queues/{queue}/join"): frozenset({A}),
    ("POST", "/agent/queues/{queue}/leave"): frozenset({A}),
    ("POST", "/agent/pause"): frozenset({A}),
    ("POST", "/agent/unpause"): frozenset({A}),
    ("GET", "/agent/pop"): frozenset({A}),
    ("POST", "/agent/pop/{linkedid}/number"): frozenset({A}),
    ("POST", "/agent/pop/{linkedid}/dismiss"): frozenset({A}),
    ("POST", "/agent/pop/{linkedid}/draft"): frozenset({A}),
    ("GET", "/agent/pop/{linkedid}/audio"): frozenset({A}),
    ("POST", "/agent/tickets/{number}/complete"): frozenset({A}),
    ("GET", "/agent/departments"): frozenset({A}),
    ("POST", "/agent/wrapup"): frozenset({A}),
    ("GET", "/agent/subcenters"): frozenset({A}),
    ("GET", "/tickets/{number}"): frozenset({A, S}),
    ("GET", "/wallboard"): frozenset({S}),
    ("GET", "/wallboard/state"): frozenset({S}),
    ("GET", "/wallboard/live"): frozenset({S}),
    ("GET", "/admin/lines"): frozenset({M}),
    ("POST", "/admin/lines"): frozenset({M}),
    ("GET", "/admin/lines/preview"): frozenset({M}),
    ("POST", "/admin/lines/apply"): frozenset({M}),
    ("GET", "/admin/departments"): frozenset({M}),
    ("POST", "/admin/departments"): frozenset({M}),
    ("POST", "/admin/departments/{code}"): frozenset({M}),
    ("POST", "/admin/departments/{code}/active"): frozenset({M}),
    ("GET", "/admin/users"): frozenset({M}),
    ("POST", "/admin/users"): frozenset({M}),
    ("POST", "/admin/users/{username}/roles"): frozenset({M}),
    ("POST", "/admin/users/{username}/phone"): frozenset({M}),
    ("POST", "/admin/users/{username}/active"): frozenset({M}),
    ("POST", "/admin/users/{username}/password"): frozenset({M}),
    ("POST", "/admin/users/{username}/unlock"): frozenset({M}),
    ("POST", "/admin/password-policy"): frozenset({M}),
    ("GET", "/admin/audit"): frozenset({M}),
    ("GET", "/admin/audit.csv"): frozenset({M}),
    ("GET", "/admin/queues"): frozenset({M}),
    ("GET", "/supervisor"): frozenset({S}),
    ("POST", "/supervisor/agents/{username}/spy"): frozenset({S}),
    ("POST", "/supervisor/agents/{username}/pause"): frozenset({S}),
    ("POST", "/supervisor/agents/{username}/logout"): frozenset({S}),
    ("POST", "/admin/queues/{queue}"): frozenset({M}),
    ("GET", "/dept"): frozenset({D, L}),
    ("GET", "/dept/tickets/{number}"): frozenset({D, L}),
    ("POST", "/dept/tickets/{number}/accept"): frozenset({D, L}),
    ("POST", "/dept/tickets/{number}/reply"): frozenset({D, L}),
    ("POST", "/dept/tickets/{number}/return"): frozenset({D, L}),
    ("POST", "/dept/tickets/{number}/co-reply"): frozenset({D, L}),
    ("POST", "/dept/tickets/{number}/approve"): frozenset({L}),
    ("POST", "/dept/tickets/{number}/reject-reply"): frozenset({L}),
    ("POST", "/dept/tickets/{number}/sub-dispatch"): frozenset({D, L}),
    ("POST", "/dept/tickets/{number}/extension"): frozenset({D, L}),
    ("GET", "/tickets/{number}/attachments/{id}"): frozenset({A, S, D, L}),
    ("GET", "/center/extensions"): frozenset({S}),
    ("POST", "/center/extensions/{number}/approve"): frozenset({S}),
    ("POST", "/center/extensions/{number}/reject"): frozenset({S}),
    ("GET", "/center/returns"): frozenset({S}),
    ("POST", "/center/returns/{number}/redispatch"): frozenset({S}),
    ("POST", "/center/returns/{number}/reject"): frozenset({S}),
    ("POST", "/center/tickets/{number}/merge"): frozenset({S}),
    ("GET", "/agent/tickets/{number}/duplicates"): frozenset({A, S}),
    ("GET", "/admin/pauses"): frozenset({M}),
    ("POST", "/admin/pauses"): frozenset({M}),
    ("GET", "/admin/rules"): frozenset({M}),
    ("POST", "/admin/rules/preview"): frozenset({M}),
    ("POST", "/admin/rules/apply"): frozenset({M}),
    ("POST", "/transfer/emergency"): frozenset({A}),
    ("POST", "/transfer/subcenter"): frozenset({A}),
    ("GET", "/transfer/ledger"): frozenset({S}),
    ("GET", "/transfer/ledger/page"): frozenset({S}),
    ("POST", "/transfer/{id}/leave"): frozenset({A}),
    ("GET", "/transfer/{id}"): frozenset({A, S}),
    ("GET", "/kb"): ANY,
    ("GET", "/kb/search"): ANY,
    ("POST", "/kb/suggest"): ANY,
    ("POST", "/kb/proposals"): frozenset({D, L}),
    ("GET", "/kb/proposals"): frozenset({S, M, D, L}),
    ("POST", "/kb/proposals/{id}/publish"): frozenset({S, M}),
    ("POST", "/kb/proposals/{id}/reject"): frozenset({S, M}),
    ("GET", "/kb/entries/{id}"): ANY,
    ("POST", "/kb/entries/{id}"): frozenset({S, M}),
    ("GET", "/kb/entries/{id}/history"): ANY,
    ("POST", "/kb/import"): frozenset({M}),
    ("GET", "/kb/kb_import.js"): frozenset({M}),
    ("GET", "/recordings"): frozenset({S}),
    ("GET", "/recordings/current"): frozenset({A}),
    ("POST", "/recordings/current/pause"): frozenset({A}),
    ("POST", "/recordings/current/resume"): frozenset({A}),
    ("GET", "/recordings/{id}"): frozenset({S}),
    ("GET", "/recordings/{id}/audio"): frozenset({S}),
    ("GET", "/recordings/{id}/download"): frozenset({S}),
    ("GET", "/agent/catalogue"): frozenset({A}),
    ("POST", "/agent/form/preview"): frozenset({A}),
    ("GET", "/admin/catalogue"): frozenset({M}),
    ("POST", "/admin/catalogue"): frozenset({M}),
    ("POST", "/admin/catalogue/import"): frozenset({M}),
    ("POST", "/admin/catalogue/{id}/delete"): frozenset({M}),
    ("GET", "/admin/deadlines"): frozenset({M}),
    ("POST", "/admin/deadlines"): frozenset({M}),
    ("POST", "/admin/deadlines/delete"): frozenset({M}),
    ("GET", "/tickets"): frozenset({A, S, D, L}),
    ("GET", "/tickets/{number}/page"): frozenset({A, S, D, L}),
    ("GET", "/center/supervision"): frozenset({S}),
    ("POST", "/center/tickets/{number}/supervise"): frozenset({S}),
    ("GET", "/dept/notices"): frozenset({D, L}),
    ("GET", "/static"): STATIC,
    ("GET", "/surveys"): frozenset({S, M}),
    ("POST", "/surveys/pause"): frozenset({S, M}),
    ("POST", "/surveys/resume"): frozenset({S, M}),
    ("POST", "/surveys/jobs/{id}/to-agent"): frozenset({S, M}),
    ("POST", "/surveys/jobs/{id}/number"): frozenset({S, M}),
    ("POST", "/surveys/do-not-call"): frozenset({S, M}),
    ("POST", "/surveys/do-not-call/import"): frozenset({S, M}),
    ("POST", "/surveys/do-not-call/remove"): frozenset({S, M}),
    ("POST", "/surveys/do-not-call/number"): frozenset({S, M}),
    ("GET", "/callbacks"): frozenset({A, S}),
    ("POST", "/callbacks/{number}/call"): frozenset({A}),
    ("GET", "/callbacks/{number}/call"): frozenset({A}),
    ("POST", "/callbacks/{number}/record"): frozenset({A}),
    ("GET", "/callbacks/missed"): frozenset({A, S}),
    ("POST", "/callbacks/missed/{id}/call"): frozenset({A}),
    ("GET", "/callbacks/missed/{id}/call"): frozenset({A}),
    ("POST", "/callbacks/missed/{id}/record"): frozenset({A}),
    ("GET", "/reports/assessment"): frozenset({S, M}),
    ("GET", "/reports/assessment.csv"): frozenset({S, M}),
    ("GET", "/reports/hotspots"): frozenset({S, M}),
    ("GET", "/reports/hotspots.csv"): frozenset({S, M}),
    ("GET", "/citizen/new"): PUBLIC,
    ("POST", "/citizen/new"): PUBLIC,
    ("GET", "/citizen/query"): PUBLIC,
    ("POST", "/citizen/query"): PUBLIC,
    ("POST", "/citizen/evaluate"): PUBLIC,
    ("GET", "/center/web"): frozenset({A, S}),
    ("POST", "/center/web/{number}/register"): frozenset({A, S}),
    ("GET", "/admin/sms"): frozenset({M}),
    ("GET", "/center/web/{number}/attachments/{seq}"): frozenset({A, S}),
    ("GET", "/wechat"): PUBLIC,   # the WeChat platform signs its requests instead (issue 16.2)
    ("POST", "/wechat"): PUBLIC,
    ("POST", "/sms/inbound"): PUBLIC,  # the city SMS platform signs its pushes (HMAC, [sms] uplink_secret)
    # the partner API (issue 16.3): BEARER = an API key in Authorization, never the console session
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("POST", "/api/v1/tickets"): BEARER,
    ("GET", "/api/v1/tickets/{number}"): BEARER,
    ("GET", "/api/v1/webhook"): BEARER,
    ("PUT", "/api/v1/webhook"): BEARER,
    ("DELETE", "/api/v1/webhook"): BEARER,
    ("GET", "/admin/partners"): frozenset({M}),
    ("POST", "/admin/partners/keys"): frozenset({M}),
    ("POST", "/admin/partners/keys/{prefix}/revoke"): frozenset({M}),
}

# One signed-in person per role, holding that role only; every role must have one.
ROLE_USERS = {"agent": "agent01", "supervisor": "lead01", "admin": "admin01", "department": "dept01",
              "department_lead": "deptlead01"}
USERS = (("agent01", "坐席01", ("agent",), "PJSIP/8101"), ("lead01", "班长01", ("supervisor",), None),
         ("admin01", "管理员01", ("admin",), None), ("dept01", "承办人01", ("department",), None, "cgj"),
         ("deptlead01", "负责人01", ("department_lead",), None, "cgj"))
SAMPLE = {"queue": "hotline-general", "linkedid": "1795352725.1", "number": "20990101000001", "code": "cgj",
          "username": "agent01", "id": "1", "seq": "1", "prefix": "0123456789"}
JSON = {"Accept": "application/json"}
SETTINGS = ConsoleSettings(session_key="matrix-test-key-0123456789abcdefXYZ", session_max_age=3600,
                           live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600)


def walk(app: web.Application) -> Iterator[tuple[str, str, object]]:
    """(method, path, handler) of every route, sub-applications included (aiohttp has already
    put their prefix on their resources)."""
    for resource in app.router.resources():
        if isinstance(resource, PrefixedSubAppResource):
            yield from walk(resource.get_info()["app"])
            continue
        for route in resource:
            if route.method != "HEAD":
                yield route.method, resource.canonical, route.handler


def declared(app: web.Application) -> dict[tuple[str, str], frozenset[str] | str | None]:
    out = {}
    for method, path, handler in walk(app):
        out[(method, path)] = STATIC if path.startswith("/static") else declared_roles(handler)
    return out


def mismatches(app: web.Application) -> dict[str, list]:
    found = declared(app)
    return {"not in the table": sorted(k for k in found if k not in TABLE),
            "in the table but gone": sorted(k for k in TABLE if k not in found),
            "roles differ": sorted((k, sorted(found[k] or ()), sorted(TABLE[k])) for k in found
                                   if k in TABLE and found[k] != TABLE[k])}


def concrete(path: str, fill=SAMPLE.__getitem__) -> str:
    import re

    return re.sub(r"\{(\w+)\}", lambda m: fill(m.group(1)), path)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def console(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("route-matrix")
    async with running_console(make_config(tmp), MovableClock(), settings=SETTINGS, users=USERS) as (app, client):
        clients = {None: SharedClient(client)}
        for role, username in ROLE_USERS.items():
            clients[role] = SharedClient(client)
            await login(clients[role], username)
        yield app, clients
        for c in clients.values():
            await c.close()
    assert_no_stray_tasks()


async def test_given_every_route_of_the_app_then_each_is_in_the_table_with_the_roles_it_declares(console):
    app, _ = console
    assert set(ROLE_USERS) == set(ROLES), "a new role needs a user here and a column in TABLE"
    assert mismatches(app) == {"not in the table": [], "in the table but gone": [], "roles differ": []}


async def test_given_a_route_added_without_a_table_row_then_the_comparison_names_it(tmp_path):
    from hotline.engine import build_app

    from agent_console.auth.access import requires

    @requires("admin")
    async def export(request):
        return web.Response(text="all tickets")

    sub = web.Application()
    sub.router.add_get("/everything", export)
    app = build_app(make_config(tmp_path), telephony=False)
    app.router.add_post("/admin/export", export)
    app.add_subapp("/bulk", sub)
    assert mismatches(app)["not in the table"] == [("GET", "/bulk/everything"), ("POST", "/admin/export")]


def _matrix() -> list[tuple[str, str, str | None]]:
    return [(method, path, role) for (method, path), roles in TABLE.items() if roles is not STATIC
            for role in (None, *ROLES)]


@pytest.mark.parametrize("method, path, role", _matrix(),
                         ids=[f"{m} {p} {r or 'anonymous'}" for m, p, r in _matrix()])
async def test_given_a_role_when_calling_a_route_then_allowed_exactly_as_the_table_says(console, method, path, role):
    app, clients = console
    client, allowed = clients[role], TABLE[(method, path)]
    url = concrete(path)
    audit = app[CONSOLE].audit
    before = len(await audit.recent(1000, action=ACCESS_FORBIDDEN))
    if path.endswith("/live") and role in allowed:  # a websocket: open it as the page does
        ws = await client.ws_connect(url, origin=f"http://{client.host}:{client.port}")
        await ws.close()
        return
    response = await client.request(method, url, headers=JSON, allow_redirects=False)
    body = await response.text()
    gate = ("console.access.forbidden", "console.session.expired")  # the role check's own answers
    if allowed is BEARER:  # a signed-in console user is as anonymous as anyone without an API key
        assert response.status == 401 and "api.unauthorized" in body, (response.status, body[:200])
    elif allowed is PUBLIC or (role is not None and role in allowed):
        assert response.status != 401 and not any(g in body for g in gate), (response.status, body[:200])
        if method == "POST" and allowed is not PUBLIC:  # passed the role check, stopped by CSRF
            assert response.status == 403 and "console.csrf.refused" in body, (response.status, body[:200])
    elif role is None:
        assert response.status == 401 and "console.session.expired" in body
    else:
        assert response.status == 403 and "console.access.forbidden" in body, (response.status, body[:200])
        assert len(await audit.recent(1000, action=ACCESS_FORBIDDEN)) == before + 1


BAD_VALUES = ["%00", "x%00y", "%E2%80%A8", "%C2%85", "9" * 40, "-1", "%FF"]


async def test_given_impossible_path_values_when_sent_to_every_route_then_never_a_500(tmp_path, fresh_database_url):
    """`GET /tickets/%00` answered 500 on PostgreSQL (issue 11.7); the same for every {parameter}."""
    config = make_config(tmp_path)
    config = config.model_copy(update={"database": config.database.model_copy(update={"url": fresh_database_url})})
    async with running_console(config, MovableClock(), settings=SETTINGS, users=USERS) as (app, client):
        clients = {}
        for role, username in ROLE_USERS.items():
            clients[role] = SharedClient(client)
            await login(clients[role], username)
        tokens = {role: await csrf_of(c, "/kb") for role, c in clients.items()}
        failures = []
        try:
            for (method, path), roles in TABLE.items():
                if "{" not in path:
                    continue
                role = "agent" if roles is BEARER else sorted(roles)[0]
                for value in BAD_VALUES:
                    url = concrete(path, lambda _name, v=value: v)
                    response = await clients[role].request(method, url, json={},
                                                           headers={**JSON, "X-CSRF-Token": tokens[role]})
                    if response.status >= 500:
                        failures.append((method, url, response.status, (await response.text())[:120]))
        finally:
            for c in clients.values():
                await c.close()
    assert failures == []
