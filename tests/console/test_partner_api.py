"""The partner API over HTTP (issue 16.3): bearer keys with scopes, idempotent create, the public
read of a partner's own tickets, the OpenAPI document, and signed webhooks retried when the partner
answers 503 — against a local aiohttp server standing in for the partner.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from agent_console.context import CONSOLE
from channels.partner import PARTNER_API
from channels.partner.models import PartnerKey, WebhookDelivery
from channels.partner.views import ROUTES
from console_support import MovableClock, SharedClient, login, make_config, running_console
from hotline.engine import ENGINE
from tickets.codes import Channel, Status

NEW = {"type": "complaint", "content": "小区门口夜间施工噪音扰民", "place": "和平区幸福路 12 号",
       "contact": {"phone": "13800138000", "name": "张先生"}, "external_id": "APP-0001"}


def config_of(tmp_path, url: str | None = None, **partner_api):
    config = make_config(tmp_path)
    section = config.partner_api.model_copy(update={"webhook_every_seconds": 300, **partner_api})
    update = {"partner_api": section}
    if url is not None:  # a fresh SQLite file or PostgreSQL database (fresh_database_url)
        update["database"] = config.database.model_copy(update={"url": url})
    return config.model_copy(update=update)


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


async def keys_for(app, code: str, scopes: str) -> str:
    return await app[PARTNER_API].directory.add_key(code, f"{code} 平台", scopes)


async def audit_actions(app, who: str) -> list[tuple[str, str, str]]:
    rows = await app[CONSOLE].audit.recent(500, username=who)
    return [(r.action, r.target, r.result) for r in reversed(rows)]


async def test_given_a_partner_key_when_creating_twice_with_one_idempotency_key_then_one_ticket(
        tmp_path, fresh_database_url):
    async with running_console(config_of(tmp_path, fresh_database_url), MovableClock()) as (app, client):
        key = await keys_for(app, "province", "tickets:create tickets:read")
        headers = {**bearer(key), "Idempotency-Key": "req-7f3a"}
        first = await client.post("/api/v1/tickets", json=NEW, headers=headers)
        assert first.status == 201, await first.text()
        ticket = await first.json()
        number = ticket["number"]
        assert first.headers["Location"] == f"/api/v1/tickets/{number}"
        assert ticket["status"] == {"code": "submitted", "label": "已提交，待受理"}
        assert ticket["external_id"] == "APP-0001" and ticket["channel"] == "app"

        again = await client.post("/api/v1/tickets", json=NEW, headers=headers)
        assert again.status == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert (await again.json())["number"] == number
        other = await client.post("/api/v1/tickets", json={**NEW, "content": "另一件事"}, headers=headers)
        assert other.status == 409 and (await other.json())["error"]["id"] == "api.idempotency.conflict"

        racing = await asyncio.gather(*[client.post("/api/v1/tickets", json=NEW,
                                                    headers={**bearer(key), "Idempotency-Key": "race-1"})
                                        for _ in range(5)])
        assert len({(await r.json())["number"] for r in racing}) == 1
        assert sorted(r.status for r in racing) == [200, 200, 200, 200, 201]

        stored = await app[ENGINE].services["tickets"].get(number)
        assert stored.channel == Channel.APP and stored.status == Status.DRAFT
        assert stored.address == "和平区幸福路 12 号" and stored.contact_number == "13800138000"
        async with app[ENGINE].sessions() as session:
            from tickets.models import Ticket

            assert len(list(await session.scalars(select(Ticket)))) == 2  # req-7f3a and race-1
            stored_key = await session.scalar(select(PartnerKey))
            assert key not in stored_key.key_hash and stored_key.key_hash == hashlib.sha256(key.encode()).hexdigest()
        registered = await client.post("/api/v1/tickets", json={**NEW, "register": True}, headers=bearer(key))
        assert (await registered.json())["status"]["code"] == "registered"
        actions = await audit_actions(app, "partner:province")
        assert [a for a, _, _ in actions].count("api.ticket.create") >= 7
        assert ("api.ticket.create", f"{number} replayed", "ok") in actions


async def test_given_keys_and_scopes_when_reading_then_401_403_and_another_partners_ticket_is_404(tmp_path):
    async with running_console(config_of(tmp_path), MovableClock()) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        await tickets.add_department("cgj", "城管局")
        key = await keys_for(app, "province", "tickets:create tickets:read")
        create_only = await keys_for(app, "province", "tickets:create")
        other = await keys_for(app, "district", "tickets:create tickets:read")
        number = (await (await client.post("/api/v1/tickets", json=NEW, headers=bearer(key))).json())["number"]

        await tickets.register(number, "agent01", request_type="complaint", content=NEW["content"])
        await tickets.dispatch(number, "cgj", [], "agent01", note="内部意见：施工方是区重点项目，注意方式")
        await tickets.accept(number, "cgj", "dept01")
        await tickets.reply(number, "已责令夜间停工", "dept01", dept="cgj", contact="电话联系")
        read = await client.get(f"/api/v1/tickets/{number}", headers=bearer(key))
        assert read.status == 200
        body = await read.json()
        assert body["status"]["code"] == "replied" and body["reply"] == "已责令夜间停工"
        assert body["department"] == "城管局"
        assert [h["status"]["code"] for h in body["history"]] == ["submitted", "registered", "in_progress",
                                                                 "replied"]
        text = await read.text()
        assert "内部意见" not in text and "agent01" not in text and "dept01" not in text

        assert (await client.get(f"/api/v1/tickets/{number}", headers=bearer(create_only))).status == 403
        wrong = await client.get(f"/api/v1/tickets/{number}", headers=bearer(key[:-2] + "xx"))
        assert wrong.status == 401 and "Bearer" in wrong.headers["WWW-Authenticate"]
        assert (await client.get(f"/api/v1/tickets/{number}")).status == 401
        theirs = await client.get(f"/api/v1/tickets/{number}", headers=bearer(other))
        unknown = await client.get("/api/v1/tickets/20990101000001", headers=bearer(other))
        assert theirs.status == unknown.status == 404 and await theirs.json() == await unknown.json()
        assert ("api.ticket.read", number, "denied") in await audit_actions(app, "partner:district")
        assert ("api.scope", f"GET /api/v1/tickets/{number} needs tickets:read", "denied") in \
            await audit_actions(app, "partner:province")
        refused = await audit_actions(app, "partner:?")
        assert ("api.auth", f"GET /api/v1/tickets/{number}", "denied") in refused  # the wrong key
        assert ("api.auth", f"GET /api/v1/tickets/{number} no bearer key", "denied") in refused

        secret = (await (await client.post("/api/v1/tickets", json={**NEW, "content": "举报：某单位违规排污"},
                                           headers=bearer(key))).json())["number"]
        await tickets.register(secret, "agent01", request_type="report", content="举报：某单位违规排污",
                               confidential=True)
        hidden = await (await client.get(f"/api/v1/tickets/{secret}", headers=bearer(key))).json()
        assert hidden["confidential"] is True and hidden["status"]["code"] == "registered"
        assert hidden["content"] is None and "违规排污" not in json.dumps(hidden, ensure_ascii=False)
        prefix = key.split("_")[1]
        assert await app[PARTNER_API].directory.revoke(prefix)
        assert (await client.get(f"/api/v1/tickets/{number}", headers=bearer(key))).status == 401


async def test_given_a_console_session_when_calling_the_api_then_the_cookie_grants_nothing(tmp_path):
    async with running_console(config_of(tmp_path), MovableClock()) as (app, client):
        agent = SharedClient(client)
        await login(agent, "agent01")
        response = await agent.post("/api/v1/tickets", json=NEW)
        assert response.status == 401 and (await response.json())["error"]["id"] == "api.unauthorized"
        key = await keys_for(app, "province", "tickets:create")
        no_csrf = await agent.post("/api/v1/tickets", json=NEW, headers=bearer(key))  # no CSRF token needed
        assert no_csrf.status == 201
        await agent.close()


async def test_given_bad_bodies_then_clear_4xx_and_nothing_stored(tmp_path):
    async with running_console(config_of(tmp_path), MovableClock()) as (app, client):
        key = await keys_for(app, "province", "tickets:create")
        h = bearer(key)
        cases = [
            (await client.post("/api/v1/tickets", data=b"{not json", headers={**h, "Content-Type": "application/json"}),
             400),
            (await client.post("/api/v1/tickets", data=b"type=x", headers={**h, "Content-Type": "text/plain"}), 415),
            (await client.post("/api/v1/tickets", json={**NEW, "content": "x" * 70000}, headers=h), 413),
            (await client.post("/api/v1/tickets", json={**NEW, "type": "nonsense"}, headers=h), 422),
            (await client.post("/api/v1/tickets", json={**NEW, "contact": {"phone": "12"}}, headers=h), 422),
            (await client.post("/api/v1/tickets", json={**NEW, "admin": True}, headers=h), 422),
            (await client.post("/api/v1/tickets", json=[1, 2], headers=h), 400),
            (await client.post("/api/v1/tickets", json=NEW, headers={**h, "Idempotency-Key": "x" * 200}), 400),
        ]
        assert [r.status for r, _ in cases] == [s for _, s in cases]
        async with app[ENGINE].sessions() as session:
            from tickets.models import Ticket

            assert list(await session.scalars(select(Ticket))) == []


async def test_given_the_openapi_document_then_it_is_json_3_1_with_every_route(tmp_path):
    async with running_console(config_of(tmp_path), MovableClock()) as (app, client):
        response = await client.get("/api/v1/openapi.json")
        assert response.status == 200 and response.content_type == "application/json"
        doc = json.loads(await response.text())
        assert doc["openapi"].startswith("3.1") and doc["info"]["version"]
        for method, path, _handler in ROUTES:
            assert method.lower() in doc["paths"][path], (method, path)
        refs = {m for m in json.dumps(doc).split('"$ref": "')[1:]}
        for ref in refs:
            node = doc
            for part in ref.split('"')[0].lstrip("#/").split("/"):
                node = node[part]  # every $ref resolves
        assert "ticketStatusChanged" in doc["webhooks"]
        key = await keys_for(app, "province", "tickets:create")
        created = await (await client.post("/api/v1/tickets", json=NEW, headers=bearer(key))).json()
        schema = doc["components"]["schemas"]
        assert set(created) == set(schema["Ticket"]["properties"])  # the document describes what is answered
        assert set(NEW) <= set(schema["NewTicket"]["properties"])


class Partner:
    """A partner's webhook endpoint: answers 503 `fail` times, then 200; keeps what it got."""

    def __init__(self, fail: int = 0) -> None:
        self.fail, self.got = fail, []
        self.app = web.Application()
        self.app.router.add_post("/hook", self.hook)
        self.arrived = asyncio.Event()

    async def hook(self, request: web.Request) -> web.Response:
        self.got.append((dict(request.headers), await request.read()))
        if self.fail > 0:
            self.fail -= 1
            return web.Response(status=503)
        self.arrived.set()
        return web.Response(status=204)


async def test_given_a_webhook_when_the_status_changes_then_a_signed_post_is_retried_past_503(
        tmp_path, fresh_database_url):
    partner = Partner(fail=1)
    server = TestServer(partner.app, host="127.0.0.1")
    await server.start_server()
    try:
        config = config_of(tmp_path, fresh_database_url, webhook_every_seconds=1, webhook_backoff_seconds=0.5)
        async with running_console(config, MovableClock()) as (app, client):
            tickets = app[ENGINE].services["tickets"]
            await tickets.add_department("cgj", "城管局")
            key = await keys_for(app, "province", "tickets:create webhooks")
            read_only = await keys_for(app, "province", "tickets:create")
            url = str(server.make_url("/hook"))
            assert (await client.put("/api/v1/webhook", json={"url": url}, headers=bearer(read_only))).status == 403
            registered = await client.put("/api/v1/webhook", json={"url": url}, headers=bearer(key))
            assert registered.status == 200
            secret = (await registered.json())["secret"]
            assert "secret" not in await (await client.put("/api/v1/webhook", json={"url": url},
                                                           headers=bearer(key))).json()
            bad = await client.put("/api/v1/webhook", json={"url": "ftp://x/y"}, headers=bearer(key))
            assert bad.status == 422
            number = (await (await client.post("/api/v1/tickets", json={**NEW, "external_id": "P-9"},
                                               headers=bearer(key))).json())["number"]

            await tickets.register(number, "agent01", request_type="complaint", content=NEW["content"])
            await asyncio.wait_for(partner.arrived.wait(), 10)
            assert len(partner.got) == 2  # 503 first, then delivered by a later sweep after the backoff
            headers, body = partner.got[-1]
            stamp = headers["X-Hotline-Timestamp"]
            expected = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["X-Hotline-Signature"], expected)
            assert partner.got[0][0]["X-Hotline-Delivery"] == headers["X-Hotline-Delivery"] == f"{number}.2"
            event = json.loads(body)
            assert event["event"] == "ticket.status_changed" and event["external_id"] == "P-9"
            assert event["status"]["code"] == "registered" and event["previous"]["code"] == "submitted"

            await tickets.supervise(number, "督办", "lead01")  # no public change: nothing sent
            partner.arrived.clear()
            await tickets.dispatch(number, "cgj", [], "agent01")
            await asyncio.wait_for(partner.arrived.wait(), 10)
            assert json.loads(partner.got[-1][1])["status"]["code"] == "in_progress"
            assert len(partner.got) == 3
            for _ in range(100):  # the partner has answered; the sender records it just after
                async with app[ENGINE].sessions() as session:
                    rows = list(await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
                if all(r.status == "delivered" for r in rows):
                    break
                await asyncio.sleep(0.05)
            assert [(r.status, r.attempts) for r in rows] == [("delivered", 2), ("delivered", 1)]
            assert rows[0].last_error is None
            assert app[PARTNER_API].job.runs > 0
    finally:
        await server.close()


async def test_given_a_partner_that_is_down_then_the_store_is_not_blocked_and_the_delivery_fails_visibly(tmp_path):
    clock = MovableClock()
    config = config_of(tmp_path, webhook_max_attempts=3, webhook_backoff_seconds=60)
    async with running_console(config, clock) as (app, client):
        cap = app[PARTNER_API]
        tickets = app[ENGINE].services["tickets"]
        key = await keys_for(app, "province", "tickets:create webhooks")
        await client.put("/api/v1/webhook", json={"url": "http://127.0.0.1:9/hook"}, headers=bearer(key))  # closed
        number = (await (await client.post("/api/v1/tickets", json=NEW, headers=bearer(key))).json())["number"]
        await tickets.register(number, "agent01", request_type="complaint", content=NEW["content"])
        assert await cap.webhooks.sweep() == 0
        assert await cap.webhooks.sweep() == 0  # not due yet: the backoff is 60 s
        clock.advance(61)
        await cap.webhooks.sweep()
        clock.advance(121)  # doubled
        await cap.webhooks.sweep()
        (row,) = await cap.webhooks.deliveries()
        assert (row.status, row.attempts) == ("failed", 3) and row.last_error
        clock.advance(10_000)
        await cap.webhooks.sweep()
        assert (await cap.webhooks.deliveries())[0].attempts == 3  # given up


async def test_given_a_partner_that_hangs_then_ticket_steps_go_on_while_the_sweep_waits(tmp_path):
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(status=200)
    hook = web.Application()
    hook.router.add_post("/hook", hang)
    server = TestServer(hook, host="127.0.0.1")
    await server.start_server()
    try:
        async with running_console(config_of(tmp_path, webhook_timeout_seconds=3), MovableClock()) as (app, client):
            cap, tickets = app[PARTNER_API], app[ENGINE].services["tickets"]
            key = await keys_for(app, "province", "tickets:create webhooks")
            await client.put("/api/v1/webhook", json={"url": str(server.make_url("/hook"))}, headers=bearer(key))
            first, second = [(await (await client.post("/api/v1/tickets", json=NEW, headers=bearer(key))).json())
                             ["number"] for _ in range(2)]
            await tickets.register(first, "agent01", request_type="complaint", content=NEW["content"])
            sweep = asyncio.create_task(cap.webhooks.sweep())
            await asyncio.sleep(0.3)  # the POST is out, the partner sits on it
            assert not sweep.done()
            started = asyncio.get_running_loop().time()
            await tickets.register(second, "agent01", request_type="complaint", content=NEW["content"])
            read = await client.get(f"/api/v1/tickets/{first}", headers=bearer(key))
            assert read.status == 403  # this key has no tickets:read; but it answered at once
            assert asyncio.get_running_loop().time() - started < 1.0
            assert await sweep == 0  # timed out after 3 s
            (row,) = await cap.webhooks.deliveries()
            assert row.status == "pending" and row.attempts == 1 and "Timeout" in row.last_error
            release.set()
    finally:
        await server.close()


async def test_given_an_admin_page_then_a_key_is_added_shown_once_used_and_revoked(tmp_path):
    import re

    from console_support import csrf_of

    async with running_console(config_of(tmp_path), MovableClock()) as (app, client):
        admin = SharedClient(client)
        await login(admin, "boss")
        token = await csrf_of(admin, "/admin/partners")
        refused = await admin.post("/admin/partners/keys", data={"code": "Bad Code!", "tickets:read": "1",
                                                                 "csrf_token": token})
        assert refused.status == 400
        page = await admin.post("/admin/partners/keys", data={"code": "district-heping", "name": "和平区系统",
                                                              "tickets:create": "1", "csrf_token": token})
        html = await page.text()
        key = re.search(r"<code>(hk_[^<]+)</code>", html).group(1)
        assert (await client.post("/api/v1/tickets", json=NEW, headers=bearer(key))).status == 201
        listing = await (await admin.get("/admin/partners")).text()
        assert "district-heping" in listing and key not in listing  # shown once, never again
        prefix = key.split("_")[1]
        revoked = await admin.post(f"/admin/partners/keys/{prefix}/revoke", data={"csrf_token": token},
                                   allow_redirects=False)
        assert revoked.status == 303
        assert (await client.post("/api/v1/tickets", json=NEW, headers=bearer(key))).status == 401
        assert [(a, r) for a, _, r in await audit_actions(app, "boss") if a.startswith("admin.partner")] == [
            ("admin.partner.key_add", "failed"), ("admin.partner.key_add", "ok"), ("admin.partner.key_revoke", "ok")]
        await admin.close()
