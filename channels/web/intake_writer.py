"""Group commit for the web intake: many submissions stored in one transaction.

A submission is checked and rate-limited in memory by the view and the desk, then queued here. One
writer task takes what is queued (up to `max_items`: the rows are prepared on the event loop the IVR
shares, so a bounded batch is a bounded pause; after waiting `linger` seconds for more when the queue
is short) and stores the whole batch in ONE transaction through `IntakeStore`: the ticket numbers
(one counter upsert), the drafts with channel web, the query codes' hashes, the attachment rows and the
`citizen.submit` audit rows. Only after that commit is each waiter answered with its number and query
code, so a citizen is never shown a number that is not stored. While one batch commits the next one
fills: the cost of a commit (an fsync on SQLite, a round trip on PostgreSQL) is shared by the batch.

A batch that fails (a database error, or no commit within `timeout`) stores nothing — it is one
transaction, and the files it placed are removed — and every waiter, with everything queued behind
it, gets `IntakeUnavailable` (the page answers 503 系统繁忙, the SMS code given back). For `cooldown`
seconds after a failure new submissions are refused at once instead of queueing for a database that
is down; a full queue (`max_queued`) is refused at once as well (Busy).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent_console.audit.models import AuditEntry
from agent_console.audit.service import Actor
from channels.models import Attachment, QueryCode
from channels.ratelimit import Busy

from .codes import hash_code, new_query_code, new_salt

log = logging.getLogger(__name__)
ACTOR = "citizen-web"


class IntakeUnavailable(Exception):
    """The submission was not stored (its batch failed, or the store failed just now); nothing of it is kept."""

    error_id = "citizen.store_unavailable"


@dataclass
class Queued:
    """One checked submission waiting for its batch."""

    fields: dict[str, Any]      # tickets.service.draft_fields(...)
    details: Any                # tickets.intake.TicketDetails
    files: list = field(default_factory=list)   # channels.web.attachments.Spooled
    ip: str = ""
    future: asyncio.Future | None = None


class IntakeStore:
    """The SQL of one batch (the writer's adapter; a test replaces it to inject a failure)."""

    def __init__(self, tickets, db, attachments, audit) -> None:
        """`db`: the engine's AsyncEngine; `audit`: an AuditLog (for its checked rows)."""
        self._tickets, self._db, self._attachments, self._audit = tickets, db, attachments, audit

    async def write(self, items: list[Queued], now: datetime) -> list[tuple[str, str]]:
        """(number, query code) per item, committed; or an exception and nothing stored."""
        placed: list[str] = []
        try:  # a Core connection, not an ORM session: nothing here needs the identity map (less per statement)
            async with self._db.begin() as conn:
                return await self.insert(conn, items, now, placed)
        except BaseException:
            self._attachments.remove(placed)
            raise

    async def insert(self, conn, items: list[Queued], now: datetime, placed: list[str]) -> list[tuple[str, str]]:
        numbers = await self._tickets.insert_drafts(conn, [(i.fields, i.details) for i in items],
                                                    actor=ACTOR, now=now)
        codes, rows, files, audit = [], [], [], []
        for number, item in zip(numbers, items, strict=True):
            code, salt = new_query_code(), new_salt()
            codes.append(code)
            rows.append({"ticket_number": number, "salt": salt, "code_hash": hash_code(code, salt), "created_at": now})
            if item.files:
                placed.append(number)
                files.extend(self._attachments.place(number, item.files))
            audit.append(self._audit.row(Actor(None, "citizen", item.ip), "citizen.submit", number, "ok"))
        await conn.execute(QueryCode.__table__.insert(), rows)
        if files:
            await conn.execute(Attachment.__table__.insert(), files)
        await conn.execute(AuditEntry.__table__.insert(), audit)
        return list(zip(numbers, codes, strict=True))


class IntakeWriter:
    def __init__(self, store: IntakeStore, clock: Callable[[], datetime], *, max_items: int = 64,
                 linger: float = 0.002, timeout: float = 5.0, max_queued: int = 2000, cooldown: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store, self._clock, self.monotonic = store, clock, monotonic
        self.max_items, self.linger, self.timeout, self.max_queued, self.cooldown = (
            max_items, linger, timeout, max_queued, cooldown)
        self._queue: list[Queued] = []
        self._batch: list[Queued] = []  # the one being committed
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._closing = False
        self._down_until = 0.0
        self.batches = self.stored = self.failed_batches = self.refused = 0
        self.recent: deque[tuple[int, float]] = deque(maxlen=10_000)  # (batch size, seconds to commit)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="citizen-intake-writer")

    async def stop(self) -> None:
        """Store what is queued, then end (the engine's cleanup: no waiter is left unanswered)."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def submit(self, item: Queued) -> tuple[str, str]:
        """(ticket number, query code) once stored; IntakeUnavailable or Busy (nothing stored) otherwise."""
        if self._task is None or self._closing:
            raise IntakeUnavailable("the intake writer is not running")
        if self.monotonic() < self._down_until:
            self.refused += 1
            raise IntakeUnavailable("the store failed a moment ago")
        if len(self._queue) >= self.max_queued:
            self.refused += 1
            raise Busy(f"{len(self._queue)} submissions queued")
        item.future = asyncio.get_running_loop().create_future()
        self._queue.append(item)
        self._wake.set()
        return await item.future

    async def _run(self) -> None:
        try:
            while True:
                if not self._queue:
                    if self._closing:
                        return
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                if len(self._queue) < self.max_items and self.linger > 0 and not self._closing:
                    await asyncio.sleep(self.linger)  # a few ms for more to join; a busy queue goes at once
                self._batch, self._queue = self._queue[:self.max_items], self._queue[self.max_items:]
                await self._commit(self._batch)
                self._batch = []
        finally:  # cancelled (or a bug): nobody waits forever. A batch cut off mid-commit may have been stored;
            # its citizens are told it was not (never the reverse: nobody is shown a number that is not stored)
            self._closing = True
            for item in self._batch + self._queue:
                if not item.future.done():
                    item.future.set_exception(IntakeUnavailable("the intake writer stopped"))
            self._batch, self._queue = [], []

    async def _commit(self, batch: list[Queued]) -> None:
        began = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout):
                results = await self.store.write(batch, self._clock())
        except Exception as exc:  # noqa: BLE001 - any failure of the batch: every waiter is told, nothing kept
            queued, self._queue = self._queue, []
            self.failed_batches += 1
            self._down_until = self.monotonic() + self.cooldown
            log.error("citizen.intake: a batch of %d submissions was not stored (%s: %s); %d queued behind it "
                      "refused too, new ones refused for %.1f s", len(batch), type(exc).__name__, exc,
                      len(queued), self.cooldown)
            for item in batch + queued:
                if not item.future.done():
                    item.future.set_exception(IntakeUnavailable(f"batch not stored: {type(exc).__name__}"))
            return
        self.batches += 1
        self.stored += len(batch)
        self.recent.append((len(batch), time.perf_counter() - began))
        for item, result in zip(batch, results, strict=True):
            if not item.future.done():
                item.future.set_result(result)
