"""The IVR's ticket drafts never wait on a stalled database, and are never lost to one.

A draft that the ticket store has not filed within `timeout` (database stalled, down, or refusing
connections) is written to a spool on disk (hotline/spool.py) and the caller goes on to the queue at
once; `flush` files the spooled drafts when the database answers again. A draft the store refuses
as invalid is not an outage: that error reaches the flow as before (it retries a minimal draft).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from hotline.spool import JsonSpool
from tickets.errors import InvalidField

log = logging.getLogger(__name__)


class DraftDeferred(Exception):
    """The draft is on disk and will be filed later: no ticket number for this call yet."""


class SpooledDrafts:
    def __init__(self, tickets, spool: JsonSpool, timeout: float = 1.0) -> None:
        """`timeout`: how long a call waits for the database before its draft goes to the spool; with
        the line lookup's 0.3 s it keeps a stalled database under the IVR's 2 s budget (issue 10.7)."""
        self._tickets = tickets
        self._spool = spool
        self.timeout = timeout
        self.filed_later = 0
        self._background: dict[asyncio.Future, str | None] = {}  # attempt -> its spool file once it timed out

    def __len__(self) -> int:
        return len(self._spool)

    async def create_draft(self, **fields: Any):
        # the database work is never cancelled half-way (a cancelled SQLite write can keep its lock):
        # past the timeout it goes on in the background, and `flush` sees whether it got through
        attempt = asyncio.ensure_future(self._tickets.create_draft(**fields))
        self._background[attempt] = None
        attempt.add_done_callback(self._settled)
        try:
            return await asyncio.wait_for(asyncio.shield(attempt), self.timeout)
        except InvalidField:
            raise
        except Exception as exc:  # noqa: BLE001 - any outage: keep what the citizen said
            key = self._spool.write(fields)
            if attempt in self._background:
                self._background[attempt] = key
            log.warning("ivr.draft_spooled file=%s call_id=%s: %r", key, fields.get("call_id"), exc)
            raise DraftDeferred(f"{type(exc).__name__}: {exc}") from exc

    def _settled(self, attempt: asyncio.Future) -> None:
        key = self._background.pop(attempt, None)
        if attempt.cancelled() or attempt.exception() is not None:
            return
        if key is not None:  # the slow database got there after all: nothing left to file
            self._spool.remove(key)
            self.filed_later += 1

    async def aclose(self) -> None:
        """Let drafts still being written finish (shutdown), briefly."""
        if self._background:
            await asyncio.wait(list(self._background), timeout=self.timeout)

    async def flush(self) -> int:
        """File what waits, oldest first; stops at the first outage (the next run goes on)."""
        filed = 0
        for key, fields in self._spool.load():
            try:
                if not await self._already_filed(fields):
                    await self._tickets.create_draft(**fields)
            except InvalidField as exc:
                self._spool.reject(key, repr(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - still down: try again later
                log.info("ivr.draft_spool_waiting count=%d: %r", len(self._spool), exc)
                break
            self._spool.remove(key)
            filed += 1
        self.filed_later += filed
        return filed

    async def _already_filed(self, fields: dict) -> bool:
        """A draft that timed out may still have been committed: never file the same one twice. Another
        ticket of the call (the callback list's minimal draft) does not count: it lacks what was said."""
        call_id = fields.get("call_id")
        if not call_id:
            return False
        found = await self._tickets.search(call_id=call_id, limit=20)
        return any(t.audio_ref == fields.get("audio_ref") and t.transcript == fields.get("transcript")
                   for t in found)

    async def run(self, interval: float = 5.0) -> None:
        while True:
            if len(self._spool):
                try:
                    await self.flush()
                except Exception:  # noqa: BLE001 - the loop must outlive any one failure
                    log.exception("ivr.draft_spool_flush_failed")
            await asyncio.sleep(interval)
