"""The login limiter shared by every engine process on one database (issue 11.3).

Two stages. `reserve()` is the per-process `LoginLimiter`, holding only the attempts in flight
(never failures): synchronous, so parallel guesses arriving at one process see each other's
reservations at once (and get 429 before costing a database round trip or a gate slot). `confirm()`, run once the login gate has admitted the
request (so a flood costs at most `login_concurrency` database round trips at a time), writes
the attempt to `login_attempt` and counts the failures and attempts in flight that every
process recorded: a user locked out through one engine is locked out through all, and an admin's
unlock reaches all.

Atomic across processes: the attempt is inserted (committed) first, then counted against the
rows inserted before it (lower id). On SQLite writes are serialized; on PostgreSQL the insert
holds a transaction advisory lock per address, so ids are in commit order per address. Two
racing attempts therefore never both see the other missing. An attempt left `flight` by a
process that died stops counting after `STALE_SECONDS`.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from .models import LoginAttempt
from .ratelimit import LoginLimiter, LoginLimits, LoginThrottled, Lockout, Reservation

FLIGHT, FAILED = "flight", "failed"
STALE_SECONDS = 120.0  # an attempt in flight longer than this was lost with its process
PRUNE_EVERY = 200      # confirmations between sweeps of rows nobody counts any more


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class SharedReservation:
    """One attempt: reserved in this process, then confirmed in the database; settle it exactly once."""

    def __init__(self, limiter: SharedLoginLimiter, local: Reservation) -> None:
        self._limiter, self._local = limiter, local
        self.username, self.ip = local.username.lower(), local.ip
        self.row_id: int | None = None

    async def confirm(self) -> None:
        """Raises LoginThrottled (the attempt is then settled as not made)."""
        try:
            self.row_id = await self._limiter._confirm(self.username, self.ip)
        except BaseException:
            self._local.cancelled()
            raise

    async def failed(self) -> None:
        self._local.cancelled()  # failures are counted in the database only, so an unlock reaches every process
        if self.row_id is not None:
            row, self.row_id = self.row_id, None
            await self._limiter._write(update(LoginAttempt).where(LoginAttempt.id == row)
                                       .values(state=FAILED, at=self._limiter.now()))

    async def succeeded(self) -> None:
        self._local.succeeded()
        if self.row_id is not None:
            row, self.row_id = self.row_id, None
            await self._limiter._write(delete(LoginAttempt).where(
                LoginAttempt.username == self.username, LoginAttempt.address == self.ip,
                (LoginAttempt.state == FAILED) | (LoginAttempt.id == row)))

    async def cancelled(self) -> None:
        """The password was never checked (server busy): the attempt does not count."""
        self._local.cancelled()
        if self.row_id is not None:
            row, self.row_id = self.row_id, None
            await self._limiter._write(delete(LoginAttempt).where(LoginAttempt.id == row))


class SharedLoginLimiter:
    def __init__(self, sessions: Callable[[], async_sessionmaker], clock: Callable[[], datetime],
                 limits: LoginLimits | None = None) -> None:
        limits = limits or LoginLimits()
        self._sessions, self._clock, self.limits = sessions, clock, limits
        self.local = LoginLimiter(clock, limits)
        self._confirmed = 0

    def now(self) -> datetime:
        return _aware(self._clock())

    def reserve(self, username: str, ip: str) -> SharedReservation:
        """This process's check (synchronous); raises LoginThrottled. Then `await confirm()`."""
        return SharedReservation(self, self.local.reserve(username, ip))

    async def _write(self, statement) -> None:
        async with self._sessions()() as session, session.begin():
            await session.execute(statement)

    async def _confirm(self, username: str, ip: str) -> int:
        limits, now = self.limits, self.now()
        async with self._sessions()() as session, session.begin():
            if session.bind.dialect.name == "postgresql":
                await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                                      {"key": f"hotline.login:{ip}"})
            row = LoginAttempt(username=username, address=ip, state=FLIGHT, at=now)
            session.add(row)
            await session.flush()
            mine = row.id
        fresh = now - timedelta(seconds=STALE_SECONDS)
        async with self._sessions()() as session:
            pair = (await session.execute(
                select(LoginAttempt.state, func.count(), func.max(LoginAttempt.at))
                .where(LoginAttempt.username == username, LoginAttempt.address == ip,
                       (LoginAttempt.state == FAILED) | ((LoginAttempt.id < mine) & (LoginAttempt.at > fresh)))
                .group_by(LoginAttempt.state))).all()
            ip_failed = (await session.execute(
                select(func.count(), func.min(LoginAttempt.at))
                .where(LoginAttempt.address == ip, LoginAttempt.state == FAILED,
                       LoginAttempt.at > now - timedelta(seconds=limits.window_seconds)))).one()
            ip_flight = (await session.execute(
                select(func.count()).where(LoginAttempt.address == ip, LoginAttempt.state == FLIGHT,
                                           LoginAttempt.id < mine, LoginAttempt.at > fresh))).scalar_one()
        by_state = {state: (count, _aware(last)) for state, count, last in pair}
        failures, last_failure = by_state.get(FAILED, (0, None))
        in_flight = by_state.get(FLIGHT, (0, None))[0]
        retry = self._retry(now, failures, last_failure, in_flight, ip_failed[0], ip_failed[1], ip_flight)
        if retry is None and failures and not in_flight and \
                (now - last_failure).total_seconds() >= limits.forget_after_seconds:
            await self._write(delete(LoginAttempt).where(LoginAttempt.username == username,
                                                         LoginAttempt.address == ip, LoginAttempt.state == FAILED))
        if retry is not None:
            await self._write(delete(LoginAttempt).where(LoginAttempt.id == mine))
            raise LoginThrottled(retry)
        self._confirmed += 1
        if self._confirmed % PRUNE_EVERY == 0:
            await self.prune()
        return mine

    def _retry(self, now: datetime, failures: int, last_failure: datetime | None, in_flight: int,
               ip_failures: int, ip_oldest: datetime | None, ip_flight: int) -> float | None:
        """The same rules as LoginLimiter.reserve, over every process's rows: seconds to wait, or None."""
        limits = self.limits
        if ip_failures + ip_flight >= limits.per_ip:
            if ip_oldest is None:
                return 1.0
            return max(1.0, (_aware(ip_oldest) - now).total_seconds() + limits.window_seconds)
        if last_failure is not None and (now - last_failure).total_seconds() >= limits.forget_after_seconds:
            failures = 0
        if failures + in_flight < limits.per_user_address:
            return None
        if in_flight:
            return max(1.0, limits.delay(failures + in_flight))
        wait = (last_failure - now).total_seconds() + limits.delay(failures)
        return max(1.0, wait) if wait > 0 else None

    async def lockouts(self) -> list[Lockout]:
        """Pairs that must wait now, from every process's failures, longest wait first."""
        now = self.now()
        async with self._sessions()() as session:
            rows = (await session.execute(
                select(LoginAttempt.username, LoginAttempt.address, func.count(), func.max(LoginAttempt.at))
                .where(LoginAttempt.state == FAILED)
                .group_by(LoginAttempt.username, LoginAttempt.address)
                .having(func.count() >= self.limits.per_user_address))).all()
        found = []
        for username, address, failures, last in rows:
            wait = (_aware(last) - now).total_seconds() + self.limits.delay(failures)
            if wait > 0:
                found.append(Lockout(username, address, failures, wait))
        return sorted(found, key=lambda lock: -lock.retry_after)

    async def unlock(self, username: str) -> int:
        """An admin unlocks a user in every process: its failures from every address are forgotten."""
        name = username.lower()
        self.local.unlock(name)
        async with self._sessions()() as session, session.begin():
            addresses = (await session.execute(
                select(func.count(func.distinct(LoginAttempt.address)))
                .where(LoginAttempt.username == name, LoginAttempt.state == FAILED))).scalar_one()
            await session.execute(delete(LoginAttempt).where(LoginAttempt.username == name,
                                                             LoginAttempt.state == FAILED))
        return addresses

    async def prune(self) -> None:
        """Drop rows no rule counts any more (lost attempts, failures past every window)."""
        now, limits = self.now(), self.limits
        keep = max(limits.forget_after_seconds, limits.window_seconds)
        await self._write(delete(LoginAttempt).where(
            ((LoginAttempt.state == FLIGHT) & (LoginAttempt.at < now - timedelta(seconds=STALE_SECONDS)))
            | (LoginAttempt.at < now - timedelta(seconds=keep))))

    async def reset(self) -> None:
        """Forget every failure everywhere (tests)."""
        self.local.reset()
        await self._write(delete(LoginAttempt))
