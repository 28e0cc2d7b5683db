"""Building entries and knowledge bases for tests: a fixed clock, a fresh kb_entries table."""
from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count

from hotline.db import Base, make_engine, make_sessionmaker
from knowledge.models import KbEntry
from knowledge.service import KnowledgeBase
from knowledge.store import Entry

NOW = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
TODAY = date(2025, 6, 1)
_ids = count(1)


def entry(question: str, answer: str = "请咨询相关部门。", *, keywords=(), department: str = "",
          valid_from: date | None = None, valid_to: date | None = None, active: bool = True) -> Entry:
    n = next(_ids)
    return Entry(n, f"t-{n}", question, answer, department, valid_from, valid_to, tuple(keywords), NOW, active)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def fresh_kb(url: str, segmenter, clock=None, **options) -> tuple[KnowledgeBase, object]:
    """A started KnowledgeBase on an emptied kb_entries table; returns (kb, engine to dispose)."""
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=[KbEntry.__table__]))
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=[KbEntry.__table__]))
    kb = KnowledgeBase(make_sessionmaker(engine), clock or Clock(), segmenter=segmenter, **options)
    await kb.start()
    return kb, engine
