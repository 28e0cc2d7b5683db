"""Reading and writing the linkage ledger; plain dataclasses out, so callers never hold a DB session."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .errors import TransferError
from .models import LedgerRow


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    kind: str
    ticket: str | None
    citizen_number: str | None
    linkedid: str
    citizen_channel: str
    agent_channel: str
    target: str
    dial: str
    mode: str
    actor: str
    state: str
    result: str | None
    detail: str
    summary: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None

    def as_json(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("started_at", "answered_at", "ended_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def _entry(row: LedgerRow) -> LedgerEntry:
    return LedgerEntry(**{f.name: getattr(row, f.name) for f in fields(LedgerEntry)})


class Ledger:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def open(self, **values) -> LedgerEntry:
        async with self._sessions() as session, session.begin():
            row = LedgerRow(**values)
            session.add(row)
            await session.flush()
            return _entry(row)

    async def update(self, entry_id: int, **values) -> LedgerEntry:
        async with self._sessions() as session, session.begin():
            row = await session.get(LedgerRow, entry_id)
            if row is None:
                raise TransferError("transfer.not_found", "没有这条转接记录", 404)
            for key, value in values.items():
                setattr(row, key, value)
            return _entry(row)

    async def get(self, entry_id: int) -> LedgerEntry:
        async with self._sessions() as session:
            row = await session.get(LedgerRow, entry_id)
        if row is None:
            raise TransferError("transfer.not_found", "没有这条转接记录", 404)
        return _entry(row)

    async def list(self, *, kind: str | None = None, since: datetime | None = None, limit: int = 200) -> list[LedgerEntry]:
        query = select(LedgerRow).order_by(LedgerRow.started_at.desc(), LedgerRow.id.desc()).limit(limit)
        if kind:
            query = query.where(LedgerRow.kind == kind)
        if since:
            query = query.where(LedgerRow.started_at >= since)
        async with self._sessions() as session:
            return [_entry(r) for r in (await session.scalars(query)).all()]
