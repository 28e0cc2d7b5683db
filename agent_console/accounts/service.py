"""Creating and checking console accounts; the CLI and the console call this."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from argon2 import PasswordHasher
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .hashing import HashPool
from .models import DEPARTMENT_ROLES, ROLES, PasswordHistory, User
from .policy import PasswordPolicy, WeakPassword


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


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored as UTC."""
    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=UTC)


class AccountService:
    """Accounts and their passwords. Every hash runs through one bounded `HashPool`, and the
    `policy` (swapped by the admin page) applies to every password set."""

    def __init__(self, sessions: async_sessionmaker, hasher: PasswordHasher | None = None, *,
                 pool: HashPool | None = None, policy: PasswordPolicy | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._sessions = sessions
        self.pool = pool or HashPool(hasher, processes=False)  # the engine passes its process pool
        self.policy = policy or PasswordPolicy()
        self._clock = clock
        self._dummy: str | None = None

    async def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await self.pool.hash("no such user, no such password")
        return self._dummy

    @staticmethod
    def check_roles(roles: Iterable[str]) -> list[str]:
        roles = sorted(set(roles))
        unknown = [r for r in roles if r not in ROLES]
        if not roles or unknown:
            raise AccountError(f"roles must be a non-empty subset of {', '.join(ROLES)}; got {roles}")
        return roles

    @staticmethod
    def check_department(roles: Iterable[str], department_code: str | None) -> str | None:
        """Department roles need a department; center roles cannot carry one (a person is either)."""
        code = (department_code or "").strip() or None
        dept_roles = DEPARTMENT_ROLES & set(roles)
        if dept_roles and code is None:
            raise AccountError("承办人和单位负责人必须属于一个承办单位 (department roles need a department)")
        if code is not None and not dept_roles:
            raise AccountError("只有承办人和单位负责人可以属于承办单位 (a department needs a department role)")
        return code

    async def add_user(self, username: str, password: str, roles: Iterable[str], display_name: str = "",
                       phone_interface: str | None = None, department_code: str | None = None) -> User:
        roles = self.check_roles(roles)
        department_code = self.check_department(roles, department_code)
        if not username.isascii() or not username.replace("_", "").replace("-", "").isalnum() or len(username) > 64:
            raise AccountError(f"username {username!r}: expected letters, digits, '-' or '_' (at most 64)")
        self.policy.check(password)
        phone_interface = check_phone_interface(phone_interface)
        digest = await self.pool.hash(password)
        async with self._sessions() as session, session.begin():
            if await session.scalar(select(User.id).where(User.username == username)) is not None:
                raise UserExists(f"user {username!r} already exists")
            user = User(username=username, display_name=display_name or username,
                        password_hash=digest, roles=",".join(roles),
                        phone_interface=phone_interface, password_changed_at=self._clock(),
                        department_code=department_code)
            session.add(user)
        return user

    async def authenticate(self, username: str, password: str) -> User | None:
        """The active user with this password, or None. Raises HashingBusy when the pool is full."""
        async with self._sessions() as session:
            user = await session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        # An unknown name is checked against a dummy hash so that the answer's timing does not
        # tell which usernames exist. The check runs in the bounded pool, outside any transaction.
        stored = user.password_hash if user is not None else await self._dummy_hash()
        if not await self.pool.verify(stored, password) or user is None:
            return None
        if self.pool.needs_rehash(user.password_hash):  # older parameters: upgraded on this login
            digest = await self.pool.hash(password)
            async with self._sessions() as session, session.begin():
                row = await session.get(User, user.id)
                if row is not None and row.password_hash == user.password_hash:
                    row.password_hash = digest
        return user

    def password_expired(self, user: User) -> bool:
        changed = _aware(user.password_changed_at) or _aware(user.created_at)
        return self.policy.expired(changed, self._clock())

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

    async def set_roles(self, username: str, roles: Iterable[str], department_code: str | None = None) -> User:
        """New roles; a department user's department is kept unless `department_code` gives another."""
        roles = self.check_roles(roles)
        async with self._sessions() as session, session.begin():
            user = await self._existing(session, username)
            keep = department_code if department_code is not None else user.department_code
            user.department_code = self.check_department(roles, keep if DEPARTMENT_ROLES & set(roles) else None)
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
        """Policy first (length, classes, not one of the last N), then the new hash; the old one is kept
        in the history. The caller ends the user's sessions and pages (agent_console/auth/revocation.py)."""
        self.policy.check(password)
        async with self._sessions() as session:
            user = await self._existing(session, username)
            earlier = [user.password_hash]
            if self.policy.history > 1:
                earlier += list(await session.scalars(
                    select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
                    .order_by(PasswordHistory.id.desc()).limit(self.policy.history - 1)))
        if self.policy.history:
            for old in earlier[:self.policy.history]:
                if await self.pool.verify(old, password):
                    raise WeakPassword(f"不能使用最近 {self.policy.history} 次用过的密码")
        digest = await self.pool.hash(password)
        async with self._sessions() as session, session.begin():
            user = await self._existing(session, username)
            now = self._clock()
            session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, replaced_at=now))
            user.password_hash, user.password_changed_at = digest, now
            await session.flush()
            keep = list(await session.scalars(select(PasswordHistory.id).where(PasswordHistory.user_id == user.id)
                                              .order_by(PasswordHistory.id.desc()).limit(24)))
            await session.execute(delete(PasswordHistory).where(PasswordHistory.user_id == user.id,
                                                                PasswordHistory.id.not_in(keep)))
        return user

    @staticmethod
    async def _existing(session, username: str) -> User:
        user = await session.scalar(select(User).where(User.username == username))
        if user is None:
            raise UnknownUser(f"user {username!r} does not exist")
        return user
