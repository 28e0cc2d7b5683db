"""A stalled PostgreSQL fails a statement after `[database] query_timeout` instead of hanging it (issue 10.7)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from hotline.config import load_config
from hotline.db import make_engine


@pytest.mark.postgres
async def test_given_a_statement_that_stalls_then_it_fails_after_the_query_timeout(pg_database_url):
    engine = make_engine(pg_database_url, query_timeout=0.5)
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT pg_sleep(5)"))
        assert time.monotonic() - started < 3.0
        async with engine.connect() as conn:  # the pool still serves the next request
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()


def test_given_a_zero_query_timeout_then_the_config_names_the_key():
    with pytest.raises(Exception) as caught:
        load_config(None, {}, {"database": {"query_timeout": 0}})
    assert "query_timeout" in str(caught.value)
