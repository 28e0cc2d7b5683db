"""Writing and reading the audit log.

Actions are short dotted names (``view.caller_number``, ``view.recording``,
``view.confidential_ticket``, ``access.forbidden``, ``login``...). Whoever shows a full
caller number, a confidential ticket or a recording calls :meth:`AuditLog.record` first.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .models import RESULTS, AuditEntry

# Actions every caller of the log should spell the same way.
VIEW_CALLER_NUMBER = "view.caller_number"
VIEW_CONFIDENTIAL_TICKET = "view.confidential_ticket"
VIEW_RECORDING = "view.recording"
SEARCH_CALLER_NUMBER = "search.caller_number"  # a lookup by a citizen's number says who was looked for
ACCESS_FORBIDDEN = "access.forbidden"
CSRF_REFUSED = "access.csrf_refused"


class AuditError(ValueError):
    error_id = "audit.invalid"


@dataclass(frozen=True)
class Actor:
    """Who acts: the logged-in user (or an anonymous visitor) and the address they came from."""

    user_id: int | None
    username: str
    ip: str


def printable(text: str) -> str:
    """Control characters and line separators as escapes: a target comes from the request (a path
    value, a search) and must neither break the audit view's lines nor be refused by PostgreSQL,
    which cannot store NUL in text (issue 11.7)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


class AuditLog:
    def __init__(self, sessions: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    async def record(self, actor: Actor, action: str, target: str = "", result: str = "ok") -> AuditEntry:
        entry = AuditEntry(**self.row(actor, action, target, result))
        async with self._sessions() as session, session.begin():
            session.add(entry)
        return entry

    def row(self, actor: Actor, action: str, target: str = "", result: str = "ok") -> dict:
        """One checked audit row, for a caller that writes it in its own transaction (the web intake's batch)."""
        if result not in RESULTS:
            raise AuditError(f"audit result {result!r}: expected one of {', '.join(RESULTS)}")
        if not action or len(action) > 64:
            raise AuditError(f"audit action {action!r}: expected 1-64 characters")
        return {"at": self._clock(), "user_id": actor.user_id, "username": actor.username[:64], "action": action,
                "target": printable(target)[:256], "ip": actor.ip[:64], "result": result}

    async def recent(self, limit: int = 100, *, action: str | None = None,
                     username: str | None = None) -> list[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        if username is not None:
            query = query.where(AuditEntry.username == username)
        async with self._sessions() as session:
            return list(await session.scalars(query))
