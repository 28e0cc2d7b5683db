"""Fixtures of the AMI tests (helpers live in ami_replay.py, a name unique across tests/)."""
from __future__ import annotations

import pytest
from ami_replay import ReplayAmi


@pytest.fixture
async def ami_server():
    server = await ReplayAmi().start()
    yield server
    await server.close()
