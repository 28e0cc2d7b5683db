from __future__ import annotations

import asyncio

import pytest

from asterisk_standin.standin import Standin

from .amiclient import LAB, AmiTestClient
from .agi_server import AgiPort

SCALE = 0.02


@pytest.fixture
def agi_port():
    return AgiPort()


@pytest.fixture
async def standin(request, tmp_path, agi_port):
    """The stand-in on the lab configs; a test module may set TIME_SCALE (default 0.02)."""
    s = Standin(LAB, time_scale=getattr(request.module, "TIME_SCALE", SCALE), auth_fail_delay=0.05, spool_dir=tmp_path,
                agi_map={("127.0.0.1", 4573): ("127.0.0.1", agi_port.port)}, unknown_prompt_seconds=None)
    await s.start()
    yield s
    await s.stop()
    stray = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()
             and "AmiTestClient" not in repr(t.get_coro())]
    assert not stray, f"stand-in left tasks running: {stray}"


@pytest.fixture
async def ami(standin):
    client = await AmiTestClient.connect(standin.ami.port)
    await client.login()
    yield client
    await client.close()


@pytest.fixture
async def connect(standin):
    """Open extra AMI clients; all are closed at teardown even when the test fails."""
    clients: list[AmiTestClient] = []

    async def make() -> AmiTestClient:
        client = await AmiTestClient.connect(standin.ami.port)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
