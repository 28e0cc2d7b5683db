"""The websocket hub: AMI-driven floor changes reach open pages in batches, not one message per event.

Any number of floor events inside one batch window become at most one message per page,
and only when what that page shows has changed. A periodic tick also runs without events,
so an expired session is closed (the page then returns to login) and durations move on.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import WSCloseCode, web

log = logging.getLogger(__name__)

CLOSE_SESSION_ENDED = 4401  # the page goes back to the login form


@dataclass(eq=False)
class Subscriber:
    ws: web.WebSocketResponse
    render: Callable[[], dict]
    session_id: str
    expires_at: datetime
    last: str = ""
    sent: int = field(default=0)


class LiveHub:
    def __init__(self, clock: Callable[[], datetime], *, batch_seconds: float = 0.25, tick_seconds: float = 5.0,
                 send_timeout: float = 2.0, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._clock = clock
        self.batch_seconds = batch_seconds
        self.tick_seconds = tick_seconds
        self.send_timeout = send_timeout
        self._sleep = sleep
        self._subscribers: set[Subscriber] = set()
        self._dirty = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.messages_sent = 0
        self.batches = 0

    def __len__(self) -> int:
        return len(self._subscribers)

    # --- wiring --------------------------------------------------------------------------------
    def changed(self, *_: object) -> None:
        """Floor listener: cheap, synchronous; the flusher does the work."""
        self._dirty.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="console-live-hub")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.close_pages()

    async def close_pages(self) -> None:
        """Engine shutdown: pages see 'going away' and reconnect to whichever engine comes back."""
        subscribers, self._subscribers = list(self._subscribers), set()
        for sub in subscribers:
            await sub.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    # --- subscribers -------------------------------------------------------------------------------
    async def add(self, sub: Subscriber) -> None:
        self._subscribers.add(sub)
        await self._push(sub)

    def remove(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    async def end_session(self, session_id: str) -> None:
        """Logout: that session's open pages go back to login at once."""
        for sub in [s for s in self._subscribers if s.session_id == session_id]:
            await self._end(sub)

    async def _end(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)
        await sub.ws.close(code=CLOSE_SESSION_ENDED, message="登录已过期".encode())

    # --- flushing ----------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self.tick_seconds):
                    await self._dirty.wait()
            except TimeoutError:
                pass
            self._dirty.clear()
            await self.flush()
            await self._sleep(self.batch_seconds)  # the batch window: events meanwhile share the next flush

    async def flush(self) -> None:
        self.batches += 1
        now = self._clock()
        for sub in list(self._subscribers):
            if sub.expires_at <= now:
                await self._end(sub)
            else:
                await self._push(sub)

    async def _push(self, sub: Subscriber) -> None:
        try:
            text = json.dumps(sub.render(), ensure_ascii=False)
        except Exception:  # noqa: BLE001 - one page's view must not stop the others
            log.exception("live view failed; closing that page's socket")
            self._subscribers.discard(sub)
            await sub.ws.close(code=WSCloseCode.INTERNAL_ERROR)
            return
        if text == sub.last or sub.ws.closed:
            return
        sub.last = text
        try:
            async with asyncio.timeout(self.send_timeout):  # a stalled page must not hold up the others
                await sub.ws.send_str(text)
        except (ConnectionError, TimeoutError):
            self._subscribers.discard(sub)
            if not sub.ws.closed:
                await sub.ws.close(code=WSCloseCode.TRY_AGAIN_LATER)
            return
        sub.sent += 1
        self.messages_sent += 1
