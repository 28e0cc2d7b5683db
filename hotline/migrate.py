"""Schema migrations with Alembic, driven from Python so `hotline db upgrade` needs no alembic.ini."""
from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from hotline.db import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or is locked; start-up stops with this message."""

    error_id = "db.unavailable"


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking: run from a thread or before the event loop starts (Alembic's env runs its own loop)."""
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


async def check_database(url: str, timeout: float = 10.0) -> str | None:
    """Connect once and return the schema revision; raise DatabaseUnavailable with a clear reason. On SQLite
    the write lock is taken and given back too: in WAL mode (hotline/db.py) reading works while another
    process holds the lock, and an engine that cannot write should say so at start, not on the first ticket."""
    engine = make_engine(url, busy_timeout=timeout)
    try:
        async with asyncio.timeout(timeout + 1):
            revision = await current_revision(engine)
            if engine.dialect.name == "sqlite":
                async with engine.connect() as conn:
                    await conn.exec_driver_sql("BEGIN IMMEDIATE")
                    await conn.exec_driver_sql("ROLLBACK")
            return revision
    except TimeoutError as exc:
        raise DatabaseUnavailable(f"database {safe_url(url)} did not answer within {timeout:.0f} s "
                                  "(locked or unreachable)") from exc
    except Exception as exc:  # noqa: BLE001 - driver errors vary; all mean "cannot use this database"
        raise DatabaseUnavailable(f"database {safe_url(url)} is unavailable: {type(exc).__name__}: {exc}") from exc
    finally:
        await engine.dispose()


async def require_head(url: str) -> None:
    """Refuse to run on a database whose schema is not the newest one."""
    current = await check_database(url)
    head = head_revision()
    if current != head:
        raise DatabaseUnavailable(f"database schema is at {current or 'nothing'}, expected {head}: "
                                  "run `hotline db upgrade` first")


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
