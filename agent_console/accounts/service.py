"""Creating and checking console accounts; the CLI and the console call this."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .models import ROLES, User
from .passwords import check_strength, make_hasher, verify


class AccountError(ValueError):
    error_id = "account.invalid"


class AccountService:
    def __init__(self, sessions: async_sessionmaker, hasher=None):
        self._sessions = sessions
        self._hasher = hasher or make_hasher()

    async def add_user(self, username: str, password: str, roles: Iterable[str], display_name: str = "") -> User:
        roles = sorted(set(roles))
        unknown = [r for r in roles if r not in ROLES]
        if not roles or unknown:
            raise AccountError(f"roles must be a non-empty subset of {', '.join(ROLES)}; got {roles}")
        if not username.isascii() or not username.replace("_", "").replace("-", "").isalnum() or len(username) > 64:
            raise AccountError(f"username {username!r}: expected letters, digits, '-' or '_' (at most 64)")
        check_strength(password)
        async with self._sessions() as session, session.begin():
            if await session.scalar(select(User.id).where(User.username == username)) is not None:
                raise AccountError(f"user {username!r} already exists")
            user = User(username=username, display_name=display_name or username,
                        password_hash=self._hasher.hash(password), roles=",".join(roles))
            session.add(user)
        return user

    async def authenticate(self, username: str, password: str) -> User | None:
        async with self._sessions() as session, session.begin():
            user = await session.scalar(select(User).where(User.username == username, User.active.is_(True)))
            if user is None or not verify(self._hasher, user.password_hash, password):
                return None
            if self._hasher.check_needs_rehash(user.password_hash):
                user.password_hash = self._hasher.hash(password)
            return user
