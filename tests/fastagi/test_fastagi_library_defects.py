"""Why we do not use panoramisk.fast_agi or pyst2's fastagi: the defects, reproduced.

If one of these starts failing, the library was fixed: revisit docs/dependencies.md "FastAGI".
"""
from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
import textwrap

import pytest

PARTIAL_HEADER_SCRIPT = textwrap.dedent("""
    import asyncio, sys

    async def main(which):
        if which == "panoramisk":
            from panoramisk.fast_agi import Application
            app = Application()
            async def ivr(request):
                pass
            app.add_route("ivr", ivr)
            server = await asyncio.start_server(app.handler, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
        else:
            from ivr.fastagi import AgiServer
            async def ivr(session):
                pass
            agi = AgiServer({"ivr": ivr}, port=0)
            await agi.start()
            port = agi.port
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"agi_network: yes\\nagi_network_script: iv")
        await writer.drain()
        writer.close()
        print("partial header sent", flush=True)
        await asyncio.sleep(0.3)
        print("loop alive", flush=True)

    asyncio.run(main(sys.argv[1]))
""")


def loop_survives_partial_header(which: str, freeze_s: float = 1.5) -> bool:
    """Start the scenario in a subprocess; False if its loop is still frozen `freeze_s` after the send."""
    proc = subprocess.Popen([sys.executable, "-c", PARTIAL_HEADER_SCRIPT, which], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline()  # blocks until the script has sent its partial header
        assert ready.strip() == "partial header sent", ready
        try:
            proc.wait(timeout=freeze_s + 0.3)
        except subprocess.TimeoutExpired:
            return False
        return proc.stdout.read().strip() == "loop alive"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_given_panoramisk_fastagi_when_peer_sends_partial_header_and_closes_then_event_loop_freezes():
    assert loop_survives_partial_header("panoramisk") is False


def test_given_our_server_when_peer_sends_partial_header_and_closes_then_event_loop_stays_alive():
    assert loop_survives_partial_header("ours", freeze_s=10) is True


async def test_given_panoramisk_fastagi_when_header_is_200kb_then_it_is_accepted_whole():
    from panoramisk.fast_agi import Application

    app = Application()
    seen = []

    async def ivr(request):
        seen.append(len(request.headers["agi_calleridname"]))

    app.add_route("ivr", ivr)
    server = await asyncio.start_server(app.handler, "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    writer.write(b"agi_network_script: ivr\nagi_calleridname: " + b"x" * 200_000 + b"\n\n")
    await writer.drain()
    async with asyncio.timeout(10):
        assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    assert seen == [200_000]


async def test_given_panoramisk_fastagi_when_plain_function_route_added_then_python_311_lacks_asyncio_coroutine():
    from panoramisk.fast_agi import Application

    app = Application()
    with pytest.raises(AttributeError, match="coroutine"):
        app.add_route("ivr", lambda request: None)


def test_given_pyst2_when_fastagi_imported_on_python3_then_socketserver_is_missing():
    with pytest.raises(ModuleNotFoundError, match="SocketServer"):
        importlib.import_module("asterisk.fastagi")
