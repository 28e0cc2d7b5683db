"""Shared fixtures: database URLs for SQLite and a throw-away PostgreSQL database.

PostgreSQL comes from HOTLINE_TEST_PG_URL (default: the local server, database `test`
used only as the admin entry point). Each test session creates its own database and
drops it afterwards, so parallel runs never see each other's rows. When
HOTLINE_REQUIRE_PG=1 (CI), an unreachable PostgreSQL fails instead of skipping.
"""
from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def _cascading_drop_all() -> None:
    """The session's PostgreSQL database is shared: a whole flow migrates every table into it, and
    a fixture that then drops only its own tables (tickets, calls...) would meet the foreign keys of
    the others. On PostgreSQL a fixture's drop_all therefore cascades; SQLite files are per test."""
    from sqlalchemy import text

    from hotline.db import Base

    metadata, original = Base.metadata, Base.metadata.drop_all

    def drop_all(bind, tables=None, checkfirst=True):
        if bind.dialect.name != "postgresql":
            return original(bind, tables=tables, checkfirst=checkfirst)
        for table in reversed(list(tables) if tables is not None else metadata.sorted_tables):
            bind.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
        return None

    metadata.drop_all = drop_all


_cascading_drop_all()
PG_ADMIN_URL = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_admin(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def pg_database_url():
    """An empty PostgreSQL database for this test session, as an SQLAlchemy asyncpg URL."""
    name = f"hotline_t_{uuid.uuid4().hex[:10]}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no PostgreSQL here"
        if os.environ.get("HOTLINE_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL required but unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}")
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    yield f"{base}/{name}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """Run a test once on an SQLite file and once on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}"
    return request.getfixturevalue("pg_database_url")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_database_url(request, tmp_path):
    """An empty database of its own for this test (schema/DDL tests): an SQLite file, or a new
    PostgreSQL database created and dropped around the test."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    request.getfixturevalue("pg_database_url")  # fails or skips when PostgreSQL is unreachable
    name = f"hotline_f_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _forget_finished_apps():
    """aiohttp caches each (handler, apps) middleware chain in a module-level LRU of 1024 entries,
    which keeps every finished test's whole engine alive (~60 MB each: 9 GB of RSS by the end of a
    run). One application per process in production; here each test's is dropped afterwards."""
    yield
    from aiohttp import web_app

    cache = getattr(web_app, "_cached_build_middleware", None)
    if cache is not None:
        cache.cache_clear()
