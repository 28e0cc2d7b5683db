"""Alembic environment: async engines for SQLite and PostgreSQL, one metadata for all capabilities."""
from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from hotline.db import make_engine
from hotline.schema import load_metadata

target_metadata = load_metadata()


def _render_item(type_: str, obj, autogen_context):
    """Our TypeDecorators (e.g. tickets' UtcDateTime) are written as their plain SQL type."""
    from sqlalchemy.types import TypeDecorator

    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


# indexes over SQL expressions the models cannot declare; their migration and create_all make them
OUTSIDE_MODELS = {"ix_ticket_text_bigrams"}  # tickets/search.py


def _include(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and name in OUTSIDE_MODELS)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_item=_render_item,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                      include_object=_include)
    with context.begin_transaction():
        context.run_migrations()


async def _online() -> None:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_online())
