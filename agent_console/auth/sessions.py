"""Server-side sessions: revocable at logout (and for every device of a user), with an absolute
lifetime (`max_age`) and an idle timeout (`idle_timeout`: no request for that long ends it).

Chosen over signed/encrypted cookies (aiohttp-session) because logout and disabling an
account must end a session at once, which a self-contained cookie cannot do.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from agent_console.accounts.models import User

from .models import ConsoleSession

TOKEN_BYTES = 32
TOUCH_EVERY = 30.0  # seconds: how stale last_seen_at may get before a request writes it again


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LiveSession:
    """A valid session with its user, as a request sees it."""

    user: User
    csrf_token: str
    expires_at: datetime            # the absolute end; the idle deadline moves with each request
    password_expired: bool = False  # the policy's maximum age has passed: only /account/password is open

    @property
    def roles(self) -> frozenset[str]:
        return self.user.role_set


class SessionStore:
    def __init__(self, sessions: async_sessionmaker, clock: Callable[[], datetime], *, key: str,
                 max_age: int, idle_timeout: int | None = None,
                 password_expired: Callable[[User], bool] = lambda user: False) -> None:
        self._sessions = sessions
        self._clock = clock
        self._key = key.encode("utf-8")
        self.max_age = max_age
        self.idle_timeout = idle_timeout if idle_timeout is not None else max_age
        self._password_expired = password_expired

    def session_id(self, token: str) -> str:
        """The stored key of a cookie token (used to find a session's open pages)."""
        return self._id(token)

    def _id(self, token: str) -> str:
        return hmac.new(self._key, token.encode("ascii", "replace"), hashlib.sha256).hexdigest()

    async def create(self, user: User, ip: str = "") -> tuple[str, LiveSession]:
        """-> (cookie token, session). The token is shown once and never stored."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._clock()
        row = ConsoleSession(id=self._id(token), user_id=user.id, csrf_token=secrets.token_urlsafe(TOKEN_BYTES),
                             created_at=now, expires_at=now + timedelta(seconds=self.max_age), ip=ip[:64],
                             last_seen_at=now)
        async with self._sessions() as session, session.begin():
            session.add(row)
        return token, LiveSession(user, row.csrf_token, row.expires_at, self._password_expired(user))

    def _deadline(self, row: ConsoleSession) -> datetime:
        seen = _aware(row.last_seen_at or row.created_at)
        return min(_aware(row.expires_at), seen + timedelta(seconds=self.idle_timeout))

    async def load(self, token: str | None) -> LiveSession | None:
        """The session behind a cookie token, or None when unknown, expired or its user is disabled."""
        if not token or len(token) > 128:
            return None
        sid = self._id(token)
        async with self._sessions() as session, session.begin():
            found = (await session.execute(
                select(ConsoleSession, User).join(User, User.id == ConsoleSession.user_id)
                .where(ConsoleSession.id == sid))).first()
            if found is None:
                return None
            row, user = found
            now = self._clock()
            if self._deadline(row) <= now or not user.active:
                await session.delete(row)
                return None
            if (now - _aware(row.last_seen_at or row.created_at)).total_seconds() >= TOUCH_EVERY:
                row.last_seen_at = now
            return LiveSession(user, row.csrf_token, _aware(row.expires_at), self._password_expired(user))

    async def alive(self, session_ids: set[str]) -> set[str]:
        """Which of these sessions still stand (open pages re-check on the hub's tick: idle, expired,
        ended by another engine process, user disabled)."""
        if not session_ids:
            return set()
        now = self._clock()
        async with self._sessions() as session:
            rows = (await session.execute(
                select(ConsoleSession, User.active).join(User, User.id == ConsoleSession.user_id)
                .where(ConsoleSession.id.in_(sorted(session_ids))))).all()
        return {row.id for row, active in rows if active and self._deadline(row) > now}

    async def destroy(self, token: str | None) -> None:
        if not token:
            return
        async with self._sessions() as session, session.begin():
            await session.execute(delete(ConsoleSession).where(ConsoleSession.id == self._id(token)))

    async def destroy_user(self, user_id: int, keep: str | None = None) -> int:
        """End every session of a user (account disabled, password changed), except the `keep` session id."""
        query = delete(ConsoleSession).where(ConsoleSession.user_id == user_id)
        if keep is not None:
            query = query.where(ConsoleSession.id != keep)
        async with self._sessions() as session, session.begin():
            result = await session.execute(query)
            return result.rowcount or 0

    async def purge_expired(self) -> int:
        now = self._clock()
        idle_before = now - timedelta(seconds=self.idle_timeout)
        async with self._sessions() as session, session.begin():
            result = await session.execute(delete(ConsoleSession).where(
                (ConsoleSession.expires_at <= now) | (ConsoleSession.last_seen_at <= idle_before)))
            return result.rowcount or 0
