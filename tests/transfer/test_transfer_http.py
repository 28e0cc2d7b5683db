"""The console's transfer API without a switch: every refusal an agent or supervisor can meet."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from agent_console.accounts.service import AccountService
from hotline.ami import events as ev
from hotline.ami.protocol import AmiReader
from hotline.engine import ENGINE, build_app
from hotline.testing import test_config as hotline_config
from transfer.routes import setup_transfer
from transfer_support import AGENT_PASSWORDS as PASSWORDS
from transfer_support import FAST_HASHER, create_schema, login, seed_fast


pytestmark = pytest.mark.asyncio(loop_scope="module")


class SharedClient(TestClient):
    """A client with its own cookie jar on the server the whole module shares."""

    def __init__(self, server: TestServer) -> None:
        super().__init__(server)

    async def close(self) -> None:
        await self.session.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(tmp_path_factory):
    """One console app for the module (startup, schema and seed cost seconds on a busy machine)."""
    tmp_path = tmp_path_factory.mktemp("transfer-http")
    cfg = hotline_config(tmp_path, 5038, {})
    await create_schema(cfg.database_url)
    app = build_app(cfg, telephony=False)
    setup_transfer(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        await seed_fast(app)
        accounts = AccountService(app[ENGINE].sessions, hasher=FAST_HASHER)
        await accounts.add_user("nophone", PASSWORDS["nophone"], ("agent",), "无话机")
        yield app, server
    finally:
        await server.close()


@pytest_asyncio.fixture(loop_scope="module")
async def fresh(shared):
    """A signed-out browser on the shared app; the agent's current call is forgotten after each test."""
    app, server = shared
    client = SharedClient(server)
    yield app, client
    await client.close()
    app[ENGINE].services["transfers"].calls.forget_all()


@pytest_asyncio.fixture(loop_scope="module")
async def console(fresh):
    app, client = fresh
    yield app, client, await login(client, "agent01")


def on_a_call(app, interface: str = "PJSIP/8101") -> None:
    """What AgentConnect tells the engine when the queue connects a citizen to this phone."""
    raw = (b"Asterisk Call Manager/11.0.0\r\nEvent: AgentConnect\r\nPrivilege: agent,all\r\n"
           b"Channel: PJSIP/trunk-00000001\r\nCallerIDNum: 13800138000\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\n"
           b"DestChannel: PJSIP/8101-00000002\r\nQueue: hotline-general\r\nInterface: " + interface.encode() +
           b"\r\nMemberName: x\r\n\r\n")
    (msg,) = AmiReader().feed(raw)
    app[ENGINE].services["transfers"].handle(ev.to_event(msg))


async def _error(response) -> tuple[int, str]:
    return response.status, (await response.json())["error"]["id"]


async def test_given_no_session_when_posting_a_transfer_then_401(fresh):
    app, client = fresh
    response = await client.post("/transfer/emergency", json={"target": "119"}, headers={"Accept": "application/json"})
    assert await _error(response) == (401, "console.session.expired")


async def test_given_no_csrf_token_when_posting_then_refused(console):
    app, client, headers = console
    response = await client.post("/transfer/emergency", json={"target": "119"}, headers={"Accept": "application/json"})
    assert await _error(response) == (403, "console.csrf.refused")


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"target": 119}'])
async def test_given_a_malformed_body_when_posting_then_400(console, body):
    app, client, headers = console
    response = await client.post("/transfer/emergency", data=body,
                                 headers={**headers, "Content-Type": "application/json"})
    assert await _error(response) == (400, "transfer.request.bad_json")


@pytest.mark.parametrize(("body", "error"), [({"target": "999"}, "transfer.emergency.unknown_target"),
                                             ({"target": "119", "mode": "conference"}, "transfer.mode.invalid")])
async def test_given_a_wrong_target_or_mode_when_transferring_then_400_in_chinese(console, body, error):
    app, client, headers = console
    response = await client.post("/transfer/emergency", json=body, headers=headers)
    assert await _error(response) == (400, error)
    assert (await response.json())["error"]["message"] in ("只能转接110、119、120、122", "转接方式只能是一键转接或三方通话")


async def test_given_no_current_call_when_transferring_then_409(console):
    app, client, headers = console
    response = await client.post("/transfer/emergency", json={"target": "110"}, headers=headers)
    assert await _error(response) == (409, "transfer.no_call")


async def test_given_an_agent_without_a_phone_when_transferring_then_409(fresh):
    app, client = fresh
    headers = await login(client, "nophone")
    response = await client.post("/transfer/emergency", json={"target": "120"}, headers=headers)
    assert await _error(response) == (409, "transfer.no_phone")


async def test_given_an_unknown_ticket_when_transferring_then_404_and_nothing_is_dialed(console):
    app, client, headers = console
    on_a_call(app)
    response = await client.post("/transfer/emergency", json={"target": "119", "ticket": "20990101999999"},
                                 headers=headers)
    assert await _error(response) == (404, "transfer.ticket.unknown")
    assert [e for e in await app[ENGINE].services["transfers"].ledger.list() if e.ticket == "20990101999999"] == []


async def test_given_no_switch_connected_when_transferring_then_503(console):
    app, client, headers = console
    on_a_call(app)
    response = await client.post("/transfer/emergency", json={"target": "119"}, headers=headers)
    assert await _error(response) == (503, "transfer.ami.unavailable")


@pytest.mark.parametrize(("body", "expected"), [({"target": "PJSIP/9001 & rm"}, (400, "transfer.subcenter.bad_target")),
                                                ({}, (400, "transfer.subcenter.bad_target")),
                                                ({"line": "12315"}, (404, "transfer.subcenter.unknown_line")),
                                                ({"target": "PJSIP/9001", "mode": "threeway"},
                                                 (400, "transfer.mode.invalid"))])
async def test_given_a_bad_sub_center_request_when_transferring_then_refused(console, body, expected):
    app, client, headers = console
    on_a_call(app)
    response = await client.post("/transfer/subcenter", json=body, headers=headers)
    assert await _error(response) == expected


@pytest.mark.parametrize("path", ["/transfer/abc", "/transfer/999", "/transfer/1234567890123"])
async def test_given_an_unknown_transfer_when_reading_it_then_404(console, path):
    app, client, headers = console
    assert await _error(await client.get(path, headers=headers)) == (404, "transfer.not_found")


async def test_given_no_three_way_call_when_leaving_then_409(console):
    app, client, headers = console
    response = await client.post("/transfer/1/leave", headers=headers)
    assert await _error(response) == (409, "transfer.leave.not_in_conference")


async def _a_ledger_row(app, actor: str = "agent01"):
    return await app[ENGINE].services["transfers"].ledger.open(
        kind="emergency", ticket=None, citizen_number="13800138000", linkedid="1.1", citizen_channel="PJSIP/trunk-1",
        agent_channel="PJSIP/8101-2", target="119", dial="PJSIP/119@emergency-trunk", mode="blind", actor=actor,
        state="busy", result="busy", detail="BUSY", summary="着火", started_at=datetime.now(UTC))


async def test_given_an_agent_when_reading_the_ledger_then_403(console):
    app, client, headers = console
    assert await _error(await client.get("/transfer/ledger", headers=headers)) == (403, "console.access.forbidden")


async def test_given_another_agents_transfer_when_an_agent_reads_it_then_404_but_a_supervisor_sees_it(console, shared):
    app, client, headers = console
    row = await _a_ledger_row(app, actor="agent02")
    assert await _error(await client.get(f"/transfer/{row.id}", headers=headers)) == (404, "transfer.not_found")
    own = await _a_ledger_row(app, actor="agent01")
    assert (await client.get(f"/transfer/{own.id}", headers=headers)).status == 200
    supervisor = SharedClient(shared[1])
    try:
        boss = await login(supervisor, "banzhang")
        seen = await supervisor.get(f"/transfer/{row.id}", headers=boss)
        assert seen.status == 200 and (await seen.json())["transfer"]["actor"] == "agent02"
    finally:
        await supervisor.close()


async def test_given_a_supervisor_when_listing_the_ledger_then_rows_come_newest_first_and_kind_is_checked(fresh):
    app, client = fresh
    first, second = await _a_ledger_row(app), await _a_ledger_row(app)
    headers = await login(client, "banzhang")
    listed = await (await client.get("/transfer/ledger?kind=emergency", headers=headers)).json()
    assert [r["id"] for r in listed["ledger"]][:2] == [second.id, first.id]
    assert listed["ledger"][0]["result"] == "busy" and listed["ledger"][0]["summary"] == "着火"
    assert await _error(await client.get("/transfer/ledger?kind=x", headers=headers)) == (
        400, "transfer.ledger.bad_kind")


async def test_given_setup_transfer_called_twice_when_building_then_routes_are_added_once(tmp_path):
    from hotline.engine import build_app as build

    app = build(hotline_config(tmp_path, 5038, {}), telephony=False)
    setup_transfer(app)
    setup_transfer(app)
    paths = [r.canonical for r in app.router.resources() if r.canonical.startswith("/transfer")]
    assert sorted(paths) == sorted(set(paths))
    assert {"/transfer/emergency", "/transfer/subcenter", "/transfer/ledger"} <= set(paths)
