"""Supervisors review recordings made through the stand-in: search, playback with seeking
(HTTP Range), downloads for allowed roles only, every access audited, agents refused."""
from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
import pytest_asyncio

from agent_console.audit.service import ACCESS_FORBIDDEN, SEARCH_CALLER_NUMBER, VIEW_RECORDING
from agent_console.context import CONSOLE
from recordings.context import RECORDINGS
from recordings.models import State
from recordings.recorder import Active
from tests.recordings.console_fixture import (
    AGENT, AGENT_PASSWORD, SUPERVISOR, SUPERVISOR_PASSWORD, catalogued_copy, chromium, csrf_of, login,
    record_one_call, serving_console,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
JSON = {"Accept": "application/json"}


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


def _write(path: str, data: bytes) -> None:
    Path(path).write_bytes(data)


def _unlink(path: str) -> None:
    Path(path).unlink()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def recorded(tmp_path_factory):
    return await record_one_call(tmp_path_factory.mktemp("recorded"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(recorded):
    """One console for the module, with one signed-in client per role (argon2 log-ins are slow)."""
    config, row = recorded
    async with serving_console(config) as (app, client):
        clients = {}
        for username, password in ((SUPERVISOR, SUPERVISOR_PASSWORD), (AGENT, AGENT_PASSWORD)):
            clients[username] = TestClient(client.server)
            await login(clients[username], username, password)
        try:
            yield app, clients, row
        finally:
            for c in clients.values():
                await c._session.close()


@pytest_asyncio.fixture(loop_scope="module")
async def supervisor(served):
    app, clients, row = served
    app[RECORDINGS].listens.reset()
    return app, clients[SUPERVISOR], row


@pytest_asyncio.fixture(loop_scope="module")
async def agent(served):
    app, clients, row = served
    return app, clients[AGENT], row


async def _audit(app, action: str, username: str | None = None):
    return await app[CONSOLE].audit.recent(action=action, username=username)


async def test_given_a_supervisor_when_searching_by_agent_and_number_then_the_call_is_listed_masked(supervisor):
    app, client, row = supervisor
    page = await client.get("/recordings", params={"agent": "8001", "number": "13800138000", "queue": "hotline-general"})
    text = await page.text()
    assert page.status == 200 and f'data-recording="{row.id}"' in text and 'data-state="complete"' in text
    assert "138****8000" in text and "13800138000" not in text.replace('value="13800138000"', "")
    other = await client.get("/recordings", params={"agent": "8999"})
    assert f'data-recording="{row.id}"' not in await other.text()
    by_date = await client.get("/recordings", params={"date_from": "2000-01-01", "date_to": "2000-01-02"})
    assert f'data-recording="{row.id}"' not in await by_date.text()


async def test_given_a_supervisor_when_searching_by_a_full_caller_number_then_the_search_is_audited(supervisor):
    app, client, row = supervisor
    before = len(await _audit(app, SEARCH_CALLER_NUMBER, SUPERVISOR))
    page = await client.get("/recordings", params={"number": "13800138000"})
    assert page.status == 200 and f'data-recording="{row.id}"' in await page.text()
    (newest, *older) = await _audit(app, SEARCH_CALLER_NUMBER, SUPERVISOR)
    assert len(older) == before and newest.target == "recordings number=138****8000 found=1"
    await client.get("/recordings", params={"agent": "8001"})  # no number asked: nothing to audit
    assert len(await _audit(app, SEARCH_CALLER_NUMBER, SUPERVISOR)) == before + 1


@pytest.mark.parametrize("query, message", [
    ({"date_from": "22/11/2026"}, "日期格式应为"),
    ({"date_from": "2026-11-22", "date_to": "2026-11-01"}, "结束日期早于开始日期"),
    ({"state": "nonsense"}, "没有这种录音状态"),
    ({"agent": "x" * 65}, "查询条件过长"),
    ({"number": "138\x00"}, "非法字符"),
])
async def test_given_bad_search_input_then_400_with_the_reason_in_chinese(supervisor, query, message):
    app, client, row = supervisor
    page = await client.get("/recordings", params=query)
    assert page.status == 400 and message in await page.text()


async def test_given_a_range_request_then_206_with_exactly_those_bytes(supervisor):
    app, client, row = supervisor
    before = len(await _audit(app, VIEW_RECORDING, SUPERVISOR))
    data = _read(row.file_path)
    part = await client.get(f"/recordings/{row.id}/audio", headers={"Range": "bytes=1000-1999"})
    assert part.status == 206
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    assert part.headers["Accept-Ranges"] == "bytes" and part.headers["Content-Type"] == "audio/wav"
    assert await part.read() == data[1000:2000]
    tail = await client.get(f"/recordings/{row.id}/audio", headers={"Range": "bytes=-44"})
    assert tail.status == 206 and await tail.read() == data[-44:]
    whole = await client.get(f"/recordings/{row.id}/audio")
    assert whole.status == 200 and await whole.read() == data
    beyond = await client.get(f"/recordings/{row.id}/audio", headers={"Range": f"bytes={len(data) + 10}-"})
    assert beyond.status == 416
    (newest, *older) = await _audit(app, VIEW_RECORDING, SUPERVISOR)
    assert newest.target == f"recording {row.id} {row.linkedid} listen"
    assert len(older) == before  # four requests, one entry per listening window


async def test_given_an_agent_then_recordings_are_refused_and_the_attempt_audited(agent):
    app, client, row = agent
    page = await client.get("/recordings")
    assert page.status == 403 and "没有权限" in await page.text()
    audio = await client.get(f"/recordings/{row.id}/audio", headers=JSON)
    assert audio.status == 403 and (await audio.json())["error"]["id"] == "console.access.forbidden"
    denied = await _audit(app, ACCESS_FORBIDDEN, AGENT)
    assert {e.target for e in denied} >= {"GET /recordings", f"GET /recordings/{row.id}/audio"}
    assert await _audit(app, VIEW_RECORDING, AGENT) == []


async def test_given_a_supervisor_when_downloading_then_an_attachment_and_each_download_audited(supervisor):
    app, client, row = supervisor
    for _ in range(2):
        got = await client.get(f"/recordings/{row.id}/download")
        assert got.status == 200 and got.headers["Content-Disposition"].startswith("attachment;")
        assert await got.read() == _read(row.file_path)
    newest = (await _audit(app, VIEW_RECORDING, SUPERVISOR))[:2]
    assert [e.target for e in newest] == [f"recording {row.id} {row.linkedid} download"] * 2


async def test_given_download_not_allowed_for_any_role_then_refused_audited_and_no_link(recorded):
    config, row = recorded
    async with serving_console(config, download_roles=()) as (app, client):
        await login(client, SUPERVISOR, SUPERVISOR_PASSWORD)
        got = await client.get(f"/recordings/{row.id}/download", headers=JSON)
        assert got.status == 403 and (await got.json())["error"]["id"] == "recording.download.forbidden"
        (newest, *_) = await _audit(app, VIEW_RECORDING, SUPERVISOR)
        assert (newest.target, newest.result) == (f"recording {row.id} download", "denied")
        assert "下载录音" not in await (await client.get(f"/recordings/{row.id}")).text()


async def test_given_a_missing_file_then_it_is_flagged_in_the_list_and_never_served(supervisor):
    app, client, row = supervisor
    copy = await catalogued_copy(app, row.file_path, "gone.wav")
    _unlink(copy.file_path)
    text = await (await client.get("/recordings")).text()
    assert f'data-recording="{copy.id}" data-state="missing"' in text and "文件缺失" in text
    got = await client.get(f"/recordings/{copy.id}/audio", headers=JSON)
    assert got.status == 409 and (await got.json())["error"]["id"] == "recording.unavailable"
    (newest, *_) = await _audit(app, VIEW_RECORDING, SUPERVISOR)
    assert (newest.target, newest.result) == (f"recording {copy.id} gone listen missing", "failed")


async def test_given_a_file_changed_after_recording_then_it_is_flagged_damaged(supervisor):
    app, client, row = supervisor
    copy = await catalogued_copy(app, row.file_path, "tampered.wav")
    data = bytearray(_read(copy.file_path))
    data[-100:] = bytes(100)  # same size, same header: only the checksum tells
    data[-1] = 1
    _write(copy.file_path, bytes(data))
    truncated = await catalogued_copy(app, row.file_path, "truncated.wav")
    _write(truncated.file_path, _read(row.file_path)[:5000])
    got = await client.get(f"/recordings/{copy.id}/audio", headers=JSON)
    assert got.status == 409
    assert (await app[RECORDINGS].catalogue.get(copy.id)).problem.startswith("校验和已改变")
    text = await (await client.get("/recordings", params={"state": "damaged"})).text()
    assert f'data-recording="{copy.id}"' in text and f'data-recording="{truncated.id}"' in text
    assert f'data-recording="{row.id}"' not in text


async def test_given_an_unknown_recording_then_404(supervisor):
    app, client, row = supervisor
    assert (await client.get("/recordings/999999")).status == 404
    assert (await client.get("/recordings/999999/audio", headers=JSON)).status == 404
    assert (await client.get("/recordings/abc/audio")).status == 404


async def test_given_the_agents_pause_button_then_asterisk_is_asked_to_mute_both_directions(agent):
    app, client, row = agent
    cap = app[RECORDINGS]
    token = await csrf_of(client, "/")
    headers = {**JSON, "X-CSRF-Token": token}
    none = await client.post("/recordings/current/pause", headers=headers)
    assert none.status == 409 and (await none.json())["error"]["message"] == "当前没有正在录音的通话"
    sent = []

    async def send(action, fields):
        sent.append((action, fields))

    cap.recorder._senders = {"standin": send}
    cap.recorder.active[("standin", "PJSIP/trunk-00000009")] = Active(row.id, "standin", "PJSIP/trunk-00000009",
                                                                      "1.1", "PJSIP/8101")
    try:
        assert (await client.post("/recordings/current/pause", headers=JSON)).status == 403  # no CSRF token
        assert sent == []
        ok = await client.post("/recordings/current/pause", headers=headers)
        assert ok.status == 200 and (await ok.json())["paused"] is True
        assert sent == [("MixMonitorMute", {"Channel": "PJSIP/trunk-00000009", "Direction": "both", "State": "1"})]
        await client.post("/recordings/current/resume", headers=headers)
        assert sent[-1][1]["State"] == "0"
        state = await (await client.get("/recordings/current", headers=JSON)).json()
        assert state["recording"] is True
    finally:
        cap.recorder.active.clear()
    actions = [e.action for e in await app[CONSOLE].audit.recent(username=AGENT)]
    assert {"recording.pause", "recording.resume"} <= set(actions)


@pytest.mark.browser
async def test_given_a_supervisor_in_chromium_then_the_recording_plays_and_seeks(supervisor):
    app, client, row = supervisor
    base = str(client.make_url("")).rstrip("/")
    before = len(await _audit(app, VIEW_RECORDING, SUPERVISOR))
    async with chromium() as browser:
        context = await browser.new_context(locale="zh-CN")
        context.set_default_timeout(8000)
        page = await context.new_page()
        ranges: list[str] = []
        page.on("request", lambda r: ranges.append(r.headers.get("range", "")) if "/audio" in r.url else None)
        await page.goto(base + "/recordings")
        await page.get_by_label("用户名").fill(SUPERVISOR)
        await page.get_by_label("密码").fill(SUPERVISOR_PASSWORD)
        await page.get_by_role("button", name="登录").click()
        await page.locator(f'tr[data-recording="{row.id}"] a').click()
        player = page.get_by_test_id("player")
        await player.wait_for()
        # polled from here: the page's CSP (script-src 'self') refuses wait_for_function's eval'd predicate
        async with asyncio.timeout(20):
            while await player.evaluate("a => a.readyState") < 1:
                await asyncio.sleep(0.1)
        duration = await player.evaluate("a => a.duration")
        assert duration == pytest.approx(row.duration_seconds, abs=0.05)
        target = round(duration * 0.75, 2)
        await player.evaluate("(a, t) => new Promise(ok => { a.addEventListener('seeked', ok, {once: true});"
                              " a.currentTime = t; })", target)
        assert await player.evaluate("a => a.error") is None
        assert await player.evaluate("a => a.currentTime") == pytest.approx(target, abs=0.05)
        assert "暂停录音的时段" in await page.content()
        await context.close()
    assert ranges and ranges[0].startswith("bytes=")  # Chromium asks for ranges: seeking goes through 206
    (newest, *older) = await _audit(app, VIEW_RECORDING, SUPERVISOR)
    assert newest.target.endswith("listen") and len(older) == before


async def test_given_the_app_starts_then_the_retention_pass_runs_from_its_cleanup_context(recorded):
    config, row = recorded
    async with serving_console(config, schedule=True, retention_start_delay=timedelta(0)) as (app, client):
        cap = app[RECORDINGS]
        async with asyncio.timeout(10):
            await cap.schedule.ran.wait()
        assert await cap.retention.last_run() is not None
        assert (await cap.catalogue.get(row.id)).state is State.COMPLETE  # a fresh recording is kept
    assert not cap.schedule.scheduler.running
