"""Bad peers, failing handlers, routing and shutdown."""
from __future__ import annotations

import asyncio
import time

import pytest
from fastagi_support import env_block, fake_asterisk

from ivr.fastagi import AgiServer, ChannelHungUp, Limits, MalformedReply, RouteError
from ivr.fastagi.errors import CommandTimeout, ConnectionLost


async def open_peer(port: int):
    return await asyncio.open_connection("127.0.0.1", port)


async def closed_by_server(reader: asyncio.StreamReader, limit_s: float = 3.0) -> bool:
    """True once the server has closed its side (EOF or reset)."""
    try:
        async with asyncio.timeout(limit_s):
            while await reader.read(65536):
                pass
    except ConnectionError:
        pass
    return True


async def close_peer(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass


def simple_route(server: AgiServer, done: list) -> None:
    async def ivr(session):
        done.append(await session.get_variable("CALLERID(num)"))
    server.add_route("ivr", ivr)


async def test_given_100kb_header_of_many_lines_when_sent_then_dropped_and_logged(agi_server, caplog):
    reader, writer = await open_peer(agi_server.port)
    writer.write(b"agi_network: yes\n" + b"".join(b"agi_x%d: %s\n" % (i, b"a" * 1000) for i in range(100)))
    try:
        await writer.drain()
    except ConnectionError:
        pass
    assert await closed_by_server(reader)
    await close_peer(writer)
    assert agi_server.status().dropped == 1
    assert "fastagi.header_too_large" in caplog.text


async def test_given_one_overlong_header_line_when_sent_then_dropped_before_reading_it_all(agi_server, caplog):
    reader, writer = await open_peer(agi_server.port)
    writer.write(b"agi_network: yes\nagi_calleridname: " + b"x" * 100_000)
    try:
        await writer.drain()
    except ConnectionError:
        pass
    assert await closed_by_server(reader)
    await close_peer(writer)
    assert "fastagi.line_too_long" in caplog.text


async def test_given_complete_header_with_one_9kb_line_when_sent_then_dropped_as_line_too_long(agi_server, caplog):
    done: list = []
    simple_route(agi_server, done)
    sent = await fake_asterisk(agi_server.port, env_block(calleridname="x" * 9000))
    assert sent == [] and done == []
    assert "fastagi.line_too_long" in caplog.text


async def test_given_half_open_and_silent_peers_when_a_real_call_arrives_then_it_completes_and_loop_idles(
        agi_server, caplog):
    done: list = []
    simple_route(agi_server, done)
    half_reader, half = await open_peer(agi_server.port)
    half.write(b"agi_network: yes\nagi_network_script: iv")
    await half.drain()
    half.write_eof()
    silent_reader, silent = await open_peer(agi_server.port)
    sent = await fake_asterisk(agi_server.port, env_block(), [b"200 result=1 (13800138000)\n"])
    assert sent == [b"GET VARIABLE CALLERID(num)\n"] and done == ["13800138000"]
    assert await closed_by_server(half_reader)
    assert await closed_by_server(silent_reader)  # header_timeout is 1 s in these tests
    await close_peer(half)
    await close_peer(silent)
    assert "fastagi.incomplete_header" in caplog.text and "fastagi.header_timeout" in caplog.text
    assert agi_server.status().dropped == 2
    before = time.process_time()
    await asyncio.sleep(0.5)  # a measurement window, not synchronisation
    assert time.process_time() - before < 0.1


async def test_given_peer_closing_mid_header_when_many_times_then_server_keeps_serving(agi_server):
    done: list = []
    simple_route(agi_server, done)
    for _ in range(20):
        reader, writer = await open_peer(agi_server.port)
        writer.write(b"agi_network: yes\nagi_netw")
        await close_peer(writer)
    await fake_asterisk(agi_server.port, env_block(), [b"200 result=0\n"])
    assert done == [None]


@pytest.mark.parametrize("garbage", [b"garbage\n", b"200 result=1 (unterminated\n", b"\xff\xfe\n"])
async def test_given_malformed_reply_when_command_runs_then_typed_error_and_connection_closed(agi_server, garbage):
    seen = {}

    async def ivr(session):
        try:
            await session.answer()
        except MalformedReply as exc:
            seen["error"] = exc.error_id
        with pytest.raises(ConnectionLost):
            await session.noop()
        seen["usable"] = session.usable

    agi_server.add_route("ivr", ivr)
    sent = await fake_asterisk(agi_server.port, env_block(), [garbage])
    assert sent == [b"ANSWER\n"]
    assert seen == {"error": "fastagi.malformed_reply", "usable": False}


async def test_given_asterisk_never_answers_when_command_timeout_passes_then_typed_timeout():
    seen = {}

    async def ivr(session):
        try:
            await session.verbose("hello")
        except CommandTimeout as exc:
            seen["error"] = exc.error_id

    server = AgiServer({"ivr": ivr}, port=0, limits=Limits(command_timeout=0.2, sweep_interval=0.05))
    async with server:
        sent = await fake_asterisk(server.port, env_block(), [])
    assert sent == [b'VERBOSE "hello" 1\n'] and seen == {"error": "fastagi.command_timeout"}


async def test_given_session_without_server_when_no_reply_then_its_own_timeout_applies():
    """AgiSession used alone (no sweep) falls back to asyncio.timeout per command."""
    from ivr.fastagi import AgiSession, parse_environment

    async def serve(reader, writer):
        session = AgiSession(parse_environment(await reader.readuntil(b"\n\n")), reader, writer,
                             Limits(command_timeout=0.1))
        try:
            await session.noop()
        except CommandTimeout as exc:
            seen.append(exc.error_id)

    seen: list = []
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    await fake_asterisk(server.sockets[0].getsockname()[1], env_block(), [])
    server.close()
    await server.wait_closed()
    assert seen == ["fastagi.command_timeout"]


async def test_given_asterisk_closes_mid_command_when_waiting_then_connection_lost(agi_server):
    seen = {}
    finished = asyncio.Event()

    async def ivr(session):
        try:
            await session.stream_file("ivr-welcome")
        except ConnectionLost as exc:
            seen["error"] = exc.error_id
        finished.set()

    agi_server.add_route("ivr", ivr)
    reader, writer = await open_peer(agi_server.port)
    writer.write(env_block())
    assert await reader.readline() == b'STREAM FILE ivr-welcome ""\n'
    await close_peer(writer)
    async with asyncio.timeout(3):
        await finished.wait()
    assert seen == {"error": "fastagi.connection_lost"}


async def test_given_hostile_caller_name_when_stored_in_variable_then_exactly_one_safe_line_is_sent(agi_server):
    async def ivr(session):
        await session.set_variable("CALLER_NAME", session.env.calleridname + '"\nHANGUP\n\\')

    agi_server.add_route("ivr", ivr)
    env = env_block(calleridname='张伟" EXEC Dial')
    sent = await fake_asterisk(agi_server.port, env, [b"200 result=1\n"])
    assert sent == ['SET VARIABLE CALLER_NAME "张伟\\" EXEC Dial\\" HANGUP \\\\"\n'.encode()]


async def test_given_handler_raising_when_other_calls_run_concurrently_then_they_complete(agi_server, caplog):
    done: list = []

    async def broken(session):
        raise RuntimeError("bug in a menu")

    simple_route(agi_server, done)
    agi_server.add_route("broken", broken)
    calls = [fake_asterisk(agi_server.port, env_block("broken"))] + [
        fake_asterisk(agi_server.port, env_block(), [b"200 result=1 (%d)\n" % i]) for i in range(5)]
    results = await asyncio.gather(*calls)
    assert results[0] == [] and sorted(done) == ["0", "1", "2", "3", "4"]
    assert agi_server.status().failed_handlers == 1
    assert "bug in a menu" in caplog.text


async def test_given_handler_ending_with_hangup_when_it_escapes_then_not_counted_as_failure(agi_server):
    async def ivr(session):
        await session.stream_file("beep")

    agi_server.add_route("ivr", ivr)
    await fake_asterisk(agi_server.port, env_block(), [b"511 Command Not Permitted on a dead channel\n"])
    assert agi_server.status().failed_handlers == 0


async def test_given_unknown_route_when_called_then_verbose_then_failure_then_closed(agi_server, caplog):
    sent = await fake_asterisk(agi_server.port, env_block("nosuch?x=1"), [b"200 result=1\n"])
    assert sent == [b'VERBOSE "hotline FastAGI: no route for nosuch" 1\n', b"FAILURE\n"]
    assert "no route for 'nosuch'" in caplog.text


def test_given_plain_function_or_duplicate_when_registered_then_rejected_with_clear_error():
    server = AgiServer(port=0)

    def plain(session):
        return None

    async def handler(session):
        return None

    with pytest.raises(RouteError, match="must be an async function"):
        server.add_route("ivr", plain)
    with pytest.raises(RouteError, match="must be an async function"):
        server.add_route("ivr", lambda session: None)
    server.add_route("/ivr", handler)
    with pytest.raises(RouteError, match="already registered"):
        server.add_route("ivr", handler)


async def test_given_calls_in_progress_when_server_closes_then_sessions_cancelled_and_no_task_left(limits):
    started = asyncio.Event()
    waiting: list = []

    async def ivr(session):
        waiting.append(session)
        if len(waiting) == 3:
            started.set()
        await session.wait_for_digit(-1)

    server = AgiServer({"ivr": ivr}, port=0, limits=Limits(media_timeout=60))
    await server.start()
    peers = [await open_peer(server.port) for _ in range(3)]
    for _, writer in peers:
        writer.write(env_block())
    async with asyncio.timeout(3):
        await started.wait()
    assert server.status().active_sessions == 3
    await server.close()
    assert server.active_sessions == 0
    for reader, writer in peers:
        assert await closed_by_server(reader)
        await close_peer(writer)
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_given_flow_ending_in_hangup_when_dead_then_handler_may_still_log(agi_server):
    async def ivr(session):
        try:
            await session.wait_for_digit(5000)
        except ChannelHungUp:
            await session.verbose("caller left")

    agi_server.add_route("ivr", ivr)
    sent = await fake_asterisk(agi_server.port, env_block(), [b"200 result=-1\nHANGUP\n", b"200 result=1\n"])
    assert sent == [b"WAIT FOR DIGIT 5000\n", b'VERBOSE "caller left" 1\n']
