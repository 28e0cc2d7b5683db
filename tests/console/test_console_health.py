"""Issue 11.5 / 11.7: /healthz tells a probe only ok/degraded/down; staff see every check, including
FastAGI peers refused by the allowlist; an AMI link down is never "ok"."""
from __future__ import annotations

import asyncio

import pytest

from asterisk_standin.standin import Standin
from console_support import MovableClock, assert_no_stray_tasks, login, make_config, running_console
from hotline.demo import prepare_asterisk_dir
from hotline.engine import ENGINE

JSON = {"Accept": "application/json"}
AGI_BLOCK = b"agi_network: yes\nagi_network_script: ivr\nagi_uniqueid: 1.1\nagi_callerid: 13800138000\n\n"


@pytest.fixture
async def switched(tmp_path):
    """Console + AMI on the stand-in + FastAGI that allows only 127.0.0.2 (so loopback .1 is a stranger)."""
    config = make_config(tmp_path)
    directory = await prepare_asterisk_dir(config, [], tmp_path / "asterisk", 4573)
    standin = Standin(directory, ami_port=0, auth_fail_delay=0.05, spool_dir=tmp_path / "spool")
    port = await standin.start()
    config = config.model_copy(update={
        "ami": config.ami.model_copy(update={"servers": [config.ami.servers[0].model_copy(update={"port": port})],
                                             "reconnect_max_delay": 30.0}),
        "agi": config.agi.model_copy(update={"allowed_peers": ["127.0.0.2"]})})
    try:
        async with running_console(config, MovableClock(), telephony=True) as (app, client):
            await next(iter(app[ENGINE].ami.values())).wait_ready(timeout=5)
            yield app, client, standin
    finally:
        await standin.stop()
    assert_no_stray_tasks()


async def _stranger_calls(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(AGI_BLOCK)
        await writer.drain()
        async with asyncio.timeout(3):
            return await reader.read()
    except ConnectionError:
        return b""
    finally:
        writer.close()


async def test_given_anyone_when_asking_healthz_then_only_the_status_word(switched):
    app, client, _ = switched
    response = await client.get("/healthz")
    assert response.status == 200 and await response.json() == {"status": "ok"}
    await login(client, "boss")
    assert await (await client.get("/healthz")).json() == {"status": "ok"}  # details live elsewhere


@pytest.mark.parametrize("username, status", [(None, 401), ("agent01", 403)])
async def test_given_no_staff_session_when_asking_the_details_then_refused(switched, username, status):
    _, client, _ = switched
    if username:
        await login(client, username)
    response = await client.get("/admin/health", headers=JSON)
    assert response.status == status and "checks" not in await response.text()


async def test_given_a_peer_outside_the_allowlist_when_it_calls_then_unanswered_and_counted_for_staff(switched):
    app, client, _ = switched
    fastagi = app[ENGINE].services["fastagi"]
    assert await _stranger_calls(fastagi.port) == b""
    await login(client, "boss")
    details = await (await client.get("/admin/health", headers=JSON)).json()
    assert details["status"] == "ok"
    assert details["checks"]["fastagi"]["refused_peers"] == 1 and details["checks"]["fastagi"]["accepted"] == 0
    assert details["checks"]["ami"] == {"status": "ok", "links": {"standin": True}}
    assert details["checks"]["database"]["status"] == "ok"


async def test_given_the_ami_link_down_when_probed_then_not_ok_and_staff_see_which(switched):
    app, client, standin = switched
    ami = next(iter(app[ENGINE].ami.values()))
    gone = asyncio.Event()
    ami.subscribe(lambda e: gone.set() if e.name == "AmiClientDisconnected" else None, typed=True, inline=True,
                  name="test-gone")
    await standin.stop()
    async with asyncio.timeout(5):
        await gone.wait()
    probe = await client.get("/healthz")
    assert (probe.status, await probe.json()) == (503, {"status": "down"})
    await login(client, "boss")
    details = await (await client.get("/admin/health", headers=JSON)).json()
    assert details["checks"]["ami"] == {"status": "down", "links": {"standin": False}}
