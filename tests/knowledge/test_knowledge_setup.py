"""The engine wiring: demo entries seeded in demo mode only, once; the service registered and removed."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiohttp import web

from hotline.db import Base, make_engine, make_sessionmaker
from hotline.engine import ENGINE, Engine
from kb_support import NOW
from knowledge.models import KbEntry
from knowledge.web import knowledge_context


async def run_context(url: str, segmenter, mode: str, section=None) -> int:
    db = make_engine(url)
    try:
        async with db.begin() as conn:
            await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=[KbEntry.__table__]))
        app = web.Application()
        config = SimpleNamespace(engine=SimpleNamespace(mode=mode), knowledge=section)
        app[ENGINE] = engine = Engine(config=config, clock=lambda: NOW, db=db, sessions=make_sessionmaker(db),
                                      services={"segmenter": segmenter})
        context = knowledge_context(app)
        await anext(context)
        size = engine.services["knowledge"].size
        with pytest.raises(StopAsyncIteration):
            await anext(context)
        assert "knowledge" not in engine.services
        return size
    finally:
        await db.dispose()


async def test_given_demo_mode_when_the_engine_starts_then_the_demo_entries_are_loaded_once(tmp_path, segmenter):
    url = f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}"
    assert await run_context(url, segmenter, "demo") == 41
    assert await run_context(url, segmenter, "demo") == 41


async def test_given_production_mode_then_nothing_is_seeded_unless_configured(tmp_path, segmenter):
    assert await run_context(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", segmenter, "production") == 0
    assert await run_context(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", segmenter, "production",
                             SimpleNamespace(seed_demo=True, max_import_bytes=1 << 20)) == 41
