"""Admission to the login pages: at most `limit` login requests are worked on at once.

A wave of 200 logins arriving together would otherwise put 200 password checks and their
database work (limiter rows, session, audit) on the event loop back to back, and every FastAGI
reply that arrives meanwhile waits behind them. Beyond the limit a request waits in a small
queue (costing nothing) up to `wait_seconds`; beyond `max_waiting` waiters it is refused at once
with 429 "轮候登录人数过多", before any database round trip or hash, so refusals do not pile up
and all time out together. The argon2 pool (accounts/hashing.py) bounds the CPU; this bounds
the loop time.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class LoginBusy(Exception):
    error_id = "console.login.busy"


class LoginGate:
    def __init__(self, limit: int = 4, wait_seconds: float = 2.0, max_waiting: int = 8) -> None:
        if limit < 1 or max_waiting < 0:
            raise ValueError("LoginGate needs a limit of at least 1 and a queue of at least 0")
        self.limit, self.wait_seconds, self.max_waiting = limit, wait_seconds, max_waiting
        self._slots: asyncio.Semaphore | None = None  # made on first use, inside the running loop
        self._waiting = 0
        self.refused = 0
        self.audited_at, self.audited_count = float("-inf"), 0  # the login view's aggregated audit rows

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        if self._slots.locked() and self._waiting >= self.max_waiting:
            self.refused += 1
            raise LoginBusy(f"{self.limit} logins in progress and {self._waiting} waiting")
        self._waiting += 1
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self._slots.acquire()
        except TimeoutError:
            self.refused += 1
            raise LoginBusy(f"{self.limit} logins in progress; waited {self.wait_seconds} s") from None
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()
