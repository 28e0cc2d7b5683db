"""The IVR served from its own process, as `hotline run` serves it (issue 11.3: a console flood never
slows a call): the engine starts the worker, the stand-in's calls reach the worker's FastAGI, and what
the IVR hands to the engine (the emergency ledger, admins' saves) still arrives. The worker is killed
with SIGKILL during traffic and the engine restarts it."""
from __future__ import annotations

import asyncio
import os
import re
import signal
import wave
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web

from agent_console.context import CONSOLE
from asterisk_standin.people import Citizen, speak
from hotline.testing import running_hotline

PATIENT = 200.0  # simulated seconds (time_scale 0.05)
WAIT = 30.0  # generous: a loaded 2-core host runs the engine, the worker and the stand-in at once


async def until(predicate, timeout: float = WAIT):
    async with asyncio.timeout(timeout):
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(0.05)


def citizen(number: str, dialed: str = "12345", **kw) -> Citizen:
    return Citizen(number, "市民", dialed=dialed, context="from-trunk", **kw)


def silence(tmp_path: Path, seconds: float = 1.0) -> Path:
    path = tmp_path / "speech.wav"
    if not path.exists():
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\x00\x00" * int(8000 * seconds))
    return path


def served_by_worker(hotline) -> int:
    """The worker's pid, after checking the engine process itself runs no FastAGI session."""
    worker = hotline.engine.services["ivr_worker"]
    assert worker.status().ready and worker.pid != os.getpid()
    assert "ivr" not in hotline.engine.agi_routes  # the engine process has no IVR of its own
    return worker.pid


async def test_given_the_ivr_worker_when_a_citizen_calls_then_the_worker_files_the_draft_and_the_pop_shows_it(tmp_path):
    async with running_hotline(tmp_path, ivr_worker=True) as hotline:
        served_by_worker(hotline)
        out = hotline.call(citizen("13800138101", script=[speak(silence(tmp_path), 0.0)], patience=60.0))
        await until(lambda: out.queue == "hotline-general")  # intake done: no agent was free
        (draft,) = await until(lambda: hotline.engine.services["tickets"].search(caller="13800138101"))
        assert draft.call_id == out.linkedid and draft.line_dialed == "12345" and draft.audio_ref
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        pops = hotline.app[CONSOLE].pops
        pop = await until(lambda: (v := pops.view("PJSIP/8001")) and not v["loading"] and v["ticket"] and v)
        assert pop["ticket"]["number"] == draft.number and pop["linkedid"] == out.linkedid
        await hotline.finished(out, timeout=WAIT)
        assert out.answered_by == "PJSIP/8001"
        # /admin/health in the engine shows the worker's FastAGI counts (relayed every 2 s)
        health = await until(lambda: (c := hotline.engine.services["ivr_worker"].check()).detail.get("accepted") and c)
        assert health.status == "ok" and health.detail["accepted"] == 1 and health.detail["refused_peers"] == 0


@asynccontextmanager
async def admin_console(hotline):
    site = web.TCPSite(hotline.runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the ephemeral port
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        form = await (await http.get("/login")).text()
        token = re.search(r'name="login_token" value="([^"]+)"', form).group(1)
        signed = await http.post("/login", data={"username": "admin", "password": "demo-admin-123", "login_token": token},
                                 allow_redirects=False)
        assert signed.status == 302, await signed.text()
        page = await (await http.get("/admin/lines")).text()
        csrf = re.search(r'<meta name="csrf-token" content="([^"]*)"', page).group(1)
        yield http, {"Accept": "application/json", "X-CSRF-Token": csrf}


async def test_given_the_ivr_worker_when_an_admin_changes_a_line_then_the_next_call_follows_the_change(tmp_path):
    async with running_hotline(tmp_path, ivr_worker=True) as hotline, admin_console(hotline) as (http, headers):
        hotline.add_agent("PJSIP/8101", "专席01", queue="line-12315", talk_time=0.5)
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=0.5)
        first = await hotline.finished(hotline.call(citizen("13800138102", "12315")), timeout=WAIT)
        assert (first.queue, first.answered_by) == ("line-12315", "PJSIP/8101")  # 双号并行: its dedicated seats
        saved = await http.post("/admin/lines", headers=headers, json={
            "number": "12315", "name": "市场监管投诉举报热线", "mode": "整体并入"})
        assert saved.status == 200, await saved.text()
        # the worker read the lines for the first call moments ago (cached for 5 s): only the engine's
        # message makes it read them again now
        second = await hotline.finished(hotline.call(citizen("13800138103", "12315")), timeout=WAIT)
        assert (second.queue, second.answered_by) == ("hotline-general", "PJSIP/8001")


def after_hours_menus(tmp_path: Path) -> Path:
    from ivr.frontend.menus import DEFAULT_MENUS

    text = DEFAULT_MENUS.read_text(encoding="utf-8").replace(
        '# after_hours = { menu = "after-hours", hours = "22:00-08:00" }',
        'after_hours = { menu = "after-hours", hours = "00:00-24:00" }')
    path = tmp_path / "menus.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_given_the_ivr_worker_when_a_caller_chooses_119_then_the_engine_ledger_follows_the_dial(tmp_path):
    async with running_hotline(tmp_path, ivr_worker=True,
                               config={"ivr": {"menus_file": str(after_hours_menus(tmp_path))}}) as hotline:
        def press_2(event: str, headers) -> None:
            fields = dict(headers)
            if event == "AGIExecStart" and "WAIT FOR DIGIT" in fields.get("Command", ""):
                chan = hotline.pbx.find_channel(fields["Channel"])
                asyncio.get_running_loop().call_later(0.01, hotline.pbx.dtmf_received, chan, "2")
        hotline.pbx.add_listener(press_2)
        fire = hotline.add_agent("PJSIP/119@emergency-trunk", "119指挥中心", talk_time=1.0)
        out = await hotline.finished(hotline.call(citizen("13800138104")), timeout=WAIT)
        assert fire.calls == 1
        transfers = hotline.engine.services["transfers"]

        async def answered_row():
            await transfers.drain()
            rows = [e for e in await transfers.ledger.list() if e.actor == "ivr"]
            return rows if rows and all(e.result for e in rows) else None
        (row,) = await until(answered_row)
        assert (row.kind, row.target, row.linkedid, row.citizen_number, row.result) == (
            "emergency", "119", out.linkedid, "13800138104", "answered")


async def test_given_traffic_when_the_worker_is_killed_then_it_is_restarted_and_nothing_captured_is_lost(tmp_path):
    async with running_hotline(tmp_path, ivr_worker=True) as hotline:
        worker = hotline.engine.services["ivr_worker"]
        first_pid = served_by_worker(hotline)
        told: dict[str, str] = {}  # linkedid -> the ticket number the IVR handed the dialplan

        def on_event(event: str, headers) -> None:
            fields = dict(headers)
            if event == "VarSet" and fields.get("Variable") == "HOTLINE_TICKET" and fields.get("Value"):
                told[fields.get("Linkedid", fields.get("Uniqueid", ""))] = fields["Value"]
        hotline.pbx.add_listener(on_event)
        speech = silence(tmp_path)
        # 200 simulated s (10 s here) of patience: a worker just started may still be connecting its AMI
        # on a loaded host, and a caller who hangs up first leaves no draft to count
        calls = [hotline.call(citizen(f"1380013820{i}", script=[speak(speech, 0.0)], patience=PATIENT))
                 for i in range(6)]
        await until(lambda: told)  # traffic: at least one draft filed, others in their sessions
        os.kill(first_pid, signal.SIGKILL)
        await until(lambda: worker.status().ready and worker.pid != first_pid)
        assert worker.deaths == 1 and worker.starts == 2
        for out in calls:
            await hotline.finished(out, timeout=WAIT)
        after = await hotline.finished(hotline.call(citizen("13800138299", script=[speak(speech, 0.0)],
                                                            patience=PATIENT)), timeout=WAIT)
        assert after.linkedid in told  # the restarted worker answered and filed the next call's draft
        tickets = hotline.engine.services["tickets"]
        for linkedid, number in told.items():  # every number a caller's call was given is in the store
            ticket = await tickets.get(number)
            assert ticket.call_id == linkedid


async def test_given_a_worker_that_cannot_start_then_calls_are_turned_away_at_once_for_the_engine_down_path(
        tmp_path, monkeypatch):
    """A call must never sit silent in the FastAGI backlog: closed at once, Asterisk's AGI() fails and
    the shipped dialplan queues the caller for an agent (its engine-down path, tests/flows trace 17)."""

    from hotline.config import load_config
    from hotline.ivr_worker.supervisor import IvrWorkerSupervisor

    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\nexit 3\n")  # an interpreter that dies at once, as a broken install would
    broken.chmod(0o755)
    config = load_config(None, {"HOTLINE_AGI_PORT": "0", "HOTLINE_ENGINE_DATA_DIR": str(tmp_path)})
    supervisor = IvrWorkerSupervisor(config, {}, python=str(broken))
    supervisor.start()
    try:
        for _ in range(3):
            reader, writer = await asyncio.open_connection("127.0.0.1", supervisor.port)
            writer.write(b"agi_network: yes\nagi_request: agi://127.0.0.1/ivr\n\n")
            async with asyncio.timeout(5):
                assert await reader.read() == b""  # closed without a word: AGISTATUS=FAILURE
            writer.close()
        assert supervisor.refused == 3 and not supervisor.status().ready
        assert supervisor.check().status == "down" and supervisor.check().detail["refused"] == 3
        await until(lambda: supervisor.deaths >= 2)  # and it keeps trying to start one
    finally:
        await supervisor.close(timeout=2)
