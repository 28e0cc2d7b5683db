"""督办 fixtures: ticket and supervision tables on SQLite or PostgreSQL, a hand-driven clock."""
from __future__ import annotations

import pytest
from supervision_support import TABLES, Clock, fresh_tables

from hotline.db import Base


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def db(database_url):
    engine = await fresh_tables(database_url)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TABLES))
    await engine.dispose()
