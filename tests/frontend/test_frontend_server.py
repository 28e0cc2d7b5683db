"""The `ivr` handler mounted on the real FastAGI server, with Asterisk played from trace bytes."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from ivr.fastagi import AgiServer, Limits, UnsafeArgument
from ivr.frontend import SettingsError, make_ivr_handler

from frontend_support import FakeLive, FakeTickets, FakeTranscriber, fake_asterisk, make_deps, trace_env


@pytest.fixture
async def serve():
    servers = []

    async def start(handler):
        server = AgiServer({"ivr": handler}, port=0, logger=logging.getLogger("test.frontend"),
                           limits=Limits(header_timeout=1.0, command_timeout=2.0, media_timeout=2.0,
                                         hangup_grace=0.2))
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()
        assert server.active_sessions == 0
        assert server.status().failed_handlers == 0
    stray = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert stray == [], stray


async def test_given_real_server_when_asterisk_calls_ivr_then_route_variables_on_the_wire(tmp_path, serve, caplog):
    deps = make_deps(tmp_path, live=FakeLive(free=1, ahead=0))
    server = await serve(make_ivr_handler(deps))
    replies = [b"200 result=1 (1795352725.1)\n", b"200 result=1\n", b"200 result=0 endpos=24000\n"]
    with caplog.at_level(logging.INFO, logger="ivr.frontend"):
        received = await fake_asterisk(server.port, trace_env(), replies)
    assert received[:3] == [b"GET FULL VARIABLE ${CHANNEL(linkedid)}\n",
                            b'SET VARIABLE CHANNEL(language) "zh"\n',  # the trace's channel says en
                            b'STREAM FILE hotline/welcome "0"\n']
    assert received[-1] == b'SET VARIABLE HOTLINE_ACTION "queue"\n'
    assert b'SET VARIABLE HOTLINE_QUEUE "hotline-general"\n' in received
    assert b'SET VARIABLE HOTLINE_QUEUE_POSITION "1"\n' in received
    assert deps.lines.asked == ["12345"]  # agi_arg_1 = ${HOTLINE_LINE}
    assert "action=queue" in caplog.text


async def test_given_real_server_when_caller_hangs_up_while_recording_then_draft_and_ticket_variable(
        tmp_path, serve):
    tickets = FakeTickets()
    deps = make_deps(tmp_path, live=FakeLive(free=0), tickets=tickets, transcriber=FakeTranscriber("井盖丢了"))
    server = await serve(make_ivr_handler(deps))
    replies = [b"200 result=1 (1795352725.1)\n", b"200 result=1\n", b"200 result=0 endpos=24000\n",
               b"200 result=0 endpos=16000\n", b"200 result=-1 (hangup) endpos=9600\nHANGUP\n"]
    received = await fake_asterisk(server.port, trace_env(), replies)
    assert received[4].startswith(b"RECORD FILE ")
    assert received[5:] == [b'SET VARIABLE HOTLINE_TICKET "20261122000001"\n']
    assert tickets.drafts[0]["transcript"] == "井盖丢了"
    assert tickets.drafts[0]["caller"] == "13800138000" and tickets.drafts[0]["call_id"] == "1795352725.1"


def test_given_recordings_dir_with_space_when_handler_made_then_refused_at_start(tmp_path):
    with pytest.raises(UnsafeArgument, match="recordings directory"):
        make_ivr_handler(make_deps(tmp_path / "my recordings"))


def test_given_relative_recordings_dir_when_handler_made_then_refused_at_start(tmp_path):
    deps = make_deps(tmp_path)
    import dataclasses
    with pytest.raises(SettingsError, match="absolute"):
        make_ivr_handler(dataclasses.replace(deps, recordings_dir=Path("data/recordings")))
