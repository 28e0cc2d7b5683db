"""One metadata for every capability's tables, and the async engine/session factory.

Each capability (tickets/, recordings/, queues/ ...) declares its models on `Base`
so Alembic sees one schema; nothing here knows about their tables.
"""
from __future__ import annotations

from sqlalchemy import MetaData, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str, *, echo: bool = False, busy_timeout: float = 30.0,
                query_timeout: float = 30.0) -> AsyncEngine:
    """SQLite gets a busy timeout so concurrent writers wait instead of failing at once, and WAL (below). On PostgreSQL
    every statement has `query_timeout` (asyncpg cancels it server-side) and waiting for a pooled
    connection is bounded too, so a stalled database fails a request instead of hanging it (issue 10.7)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": busy_timeout})
        if not _in_memory(url):
            event.listen(engine.sync_engine, "connect", _wal)
        return engine
    return create_async_engine(url, echo=echo, pool_size=20, max_overflow=30, pool_pre_ping=True,
                               pool_timeout=min(10.0, query_timeout),
                               connect_args={"timeout": busy_timeout, "command_timeout": query_timeout})


def _in_memory(url: str) -> bool:
    return url.rstrip("/").endswith(("sqlite", "sqlite+aiosqlite", ":memory:")) or "mode=memory" in url


def _wal(dbapi_connection, _record) -> None:
    """SQLite in write-ahead-log mode: readers (the console, a citizen's query) never block the intake's
    group commit nor wait for it, and a commit appends to one file with one fsync instead of journalling
    and rewriting pages with two or three. synchronous stays FULL: a committed ticket number survives a
    power cut, which a citizen who was told it relies on. The mode is kept in the database file."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
