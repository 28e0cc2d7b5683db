"""Creating and checking console accounts; the CLI and the console call this."""
from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .models import ROLES, User
from .passwords import check_strength, make_hasher, verify


# Asterisk device names such as PJSIP/8001, SIP/8001, Local/8001@agents.
PHONE_INTERFACE = re.compile(r"[A-Za-z][A-Za-z0-9]{1,15}/[A-Za-z0-9@._:+-]{1,100}")


class AccountError(ValueError):
    error_id = "account.invalid"


class UserExists(AccountError):
    error_id = "account.exists"


class UnknownUser(AccountError):
    error_id = "account.unknown"


def check_phone_interface(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not PHONE_INTERFACE.fullmatch(value):
        raise AccountError(f"phone interface {value!r}: expected an Asterisk device such as PJSIP/8001")
    return value


class AccountService:
    def __init__(self, sessions: async_sessionmaker, hasher=None):
        self._sessions = sessions
        self._hasher = hasher or make_hasher()
        self._dummy: str | None = None

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._hasher.hash("no such user, no such password")
        return self._dummy

    @staticmethod
    def check_roles(roles: Iterable[str]) -> list[str]:
        roles = sorted(set(roles))
        unknown = [r for r in roles if r not in ROLES]
        if not roles or unknown:
            raise AccountError(f"roles must be a non-empty subset of {', '.join(ROLES)}; got {roles}")
        return roles

    async def add_user(self, username: str, password: str, roles: Iterable[str], display_name: str = "",
                       phone_interface: str | None = None) -> User:
        roles = self.check_roles(roles)
        if not username.isascii() or not username.replace("_", "").replace("-", "").isalnum() or len(username) > 64:
            raise AccountError(f"username {username!r}: expected letters, digits, '-' or '_' (at most 64)")
        check_strength(password)
        phone_interface = check_phone_interface(phone_interface)
        async with self._sessions() as session, session.begin():
            if await session.scalar(select(User.id).where(User.username == username)) is not None:
                raise UserExists(f"user {username!r} already exists")
            user = User(username=username, display_name=display_name or username,
                        password_hash=self._hasher.hash(password), roles=",".join(roles),
                        phone_interface=phone_interface)
            session.add(user)
        return user

    async def authenticate(self, username: str, password: str) -> User | None:
        async with self._sessions() as session, session.begin():
            user = await session.scalar(select(User).where(User.username == username, User.active.is_(True)))
            # argon2 costs tens of milliseconds of CPU: off the event loop. An unknown name is checked
            # against a dummy hash so that the answer's timing does not tell which usernames exist.
            stored = user.password_hash if user is not None else self._dummy_hash()
            if not await asyncio.to_thread(verify, self._hasher, stored, password) or user is None:
                return None
            if self._hasher.check_needs_rehash(user.password_hash):
                user.password_hash = self._hasher.hash(password)
            return user

    async def get(self, user_id: int) -> User | None:
        async with self._sessions() as session:
            return await session.get(User, user_id)

    async def list_users(self) -> list[User]:
        async with self._sessions() as session:
            return list(await session.scalars(select(User).order_by(User.username)))

    async def set_phone_interface(self, username: str, phone_interface: str | None) -> User:
        """Bind (or unbind, with None) the phone the console logs this agent into queues with."""
        phone_interface = check_phone_interface(phone_interface)
        async with self._sessions() as session, session.begin():
            user = await self._existing(session, username)
            user.phone_interface = phone_interface
        return user

    async def get_by_name(self, username: str) -> User | None:
        async with self._sessions() as session:
            return await session.scalar(select(User).where(User.username == username))

    async def set_roles(self, username: str, roles: Iterable[str]) -> User:
        roles = self.check_roles(roles)
        async with self._sessions() as session, session.begin():
            user = await self._existing(session, username)
            user.roles = ",".join(roles)
        return user

    async def set_display_name(self, username: str, display_name: str) -> User:
        display_name = display_name.strip()
        if not display_name or len(display_name) > 64:
            raise AccountError("display name: 1-64 characters")
        async with self._sessions() as session, session.begin():
            user = await self._existing(session, username)
            user.display_name = display_name
        return user

    async def set_active(self, username: str, active: bool) -> User:
        """Disable or enable an account; the caller ends a disabled user's sessions (SessionStore.destroy_user)."""
        async with self._sessions() as session, session.begin():
            user = await self._existing(session, username)
            user.active = bool(active)
        return user

    async def set_password(self, username: str, password: str) -> User:
        check_strength(password)
        digest = await asyncio.to_thread(self._hasher.hash, password)
        async with self._sessions() as session, session.begin():
            user = await self._existing(session, username)
            user.password_hash = digest
        return user

    @staticmethod
    async def _existing(session, username: str) -> User:
        user = await session.scalar(select(User).where(User.username == username))
        if user is None:
            raise UnknownUser(f"user {username!r} does not exist")
        return user
