from __future__ import annotations

import asyncio
import logging

import pytest

from ivr.fastagi import AgiServer, Limits


@pytest.fixture
def limits() -> Limits:
    return Limits(header_timeout=1.0, command_timeout=2.0, media_timeout=2.0, hangup_grace=0.2, sweep_interval=0.05)


@pytest.fixture
async def agi_server(limits):
    """A started server on a free port; on teardown it is closed and no task may be left over."""
    server = AgiServer(port=0, limits=limits, logger=logging.getLogger("test.fastagi"))
    await server.start()
    yield server
    await server.close()
    stray = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert stray == [], stray
    assert server.active_sessions == 0
