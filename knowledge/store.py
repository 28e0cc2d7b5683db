"""Storing entries: upsert an import by stable key, and read every entry back for the index."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from knowledge.models import KbEntry
from knowledge.parse import EntryDraft

CHUNK = 500
FIELDS = ("question", "answer", "department", "valid_from", "valid_to", "keywords", "active")


@dataclass(frozen=True)
class Entry:
    """An entry as the index and the pages see it (detached from the database session)."""

    id: int
    key: str
    question: str
    answer: str
    department: str
    valid_from: date | None
    valid_to: date | None
    keywords: tuple[str, ...]
    updated_at: datetime
    active: bool

    def visible_on(self, day: date) -> bool:
        """Active, and `day` within [valid_from, valid_to] (both inclusive, either may be open)."""
        return self.active and (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to)

    def as_dict(self) -> dict:
        return {"id": self.id, "key": self.key, "question": self.question, "answer": self.answer,
                "department": self.department,
                "valid_from": self.valid_from.isoformat() if self.valid_from else None,
                "valid_to": self.valid_to.isoformat() if self.valid_to else None,
                "keywords": list(self.keywords), "updated_at": self.updated_at.isoformat(), "active": self.active}


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


class KnowledgeStore:
    def __init__(self, sessions: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    async def upsert(self, drafts: Sequence[EntryDraft]) -> ImportReport:
        """One transaction: new keys are inserted, known keys updated only when something changed."""
        created = updated = unchanged = 0
        now = self._clock()
        async with self._sessions() as session, session.begin():
            for start in range(0, len(drafts), CHUNK):
                chunk = drafts[start:start + CHUNK]
                rows = await session.scalars(select(KbEntry).where(KbEntry.key.in_([d.key for d in chunk])))
                known = {row.key: row for row in rows}
                for draft in chunk:
                    values = _values(draft)
                    row = known.get(draft.key)
                    if row is None:
                        session.add(KbEntry(key=draft.key, updated_at=now, **values))
                        created += 1
                    elif any(getattr(row, name) != value for name, value in values.items()):
                        for name, value in values.items():
                            setattr(row, name, value)
                        row.updated_at = now
                        updated += 1
                    else:
                        unchanged += 1
                await session.flush()
        return ImportReport(created, updated, unchanged)

    async def all_entries(self) -> list[Entry]:
        async with self._sessions() as session:
            rows = await session.scalars(select(KbEntry).order_by(KbEntry.id))
            return [_entry(row) for row in rows]

    async def of_department(self, department: str, limit: int = 500) -> list[Entry]:
        """A department's own domain (共建共享): the entries naming it as 责任部门."""
        async with self._sessions() as session:
            rows = await session.scalars(select(KbEntry).where(KbEntry.department == department)
                                         .order_by(KbEntry.id).limit(limit))
            return [_entry(row) for row in rows]

    async def get(self, entry_id: int) -> Entry | None:
        async with self._sessions() as session:
            row = await session.get(KbEntry, entry_id)
            return _entry(row) if row is not None else None


def _values(draft: EntryDraft) -> dict:
    return {"question": draft.question, "answer": draft.answer, "department": draft.department,
            "valid_from": draft.valid_from, "valid_to": draft.valid_to, "keywords": "、".join(draft.keywords),
            "active": draft.active}


def _entry(row: KbEntry) -> Entry:
    return Entry(row.id, row.key, row.question, row.answer, row.department, row.valid_from, row.valid_to,
                 tuple(k for k in row.keywords.split("、") if k), row.updated_at, row.active)
