"""The websocket hub: AMI-driven floor changes reach open pages in batches, not one message per event.

Any number of floor events inside one batch window become at most one message per page,
and only when what that page shows has changed. A periodic tick also runs without events,
so an expired session is closed (the page then returns to login); on that tick `validate`
(the session store) says which sessions still stand, so a session that went idle or was ended
by another engine process closes too. Revocation in this process (`end_user`) closes a user's
pages at once, with a Chinese reason the page shows.

Views carry `since` timestamps, never counters that move every second, so a view's bytes only
change when the floor does. Pages that share a view (every wallboard) name it with the same
`view_key`: it is rendered and serialised once per flush and they all get those bytes. A page
with a `delta` function gets its full view first and then only what changed since the view it
shows (a wallboard's few changed agent rows instead of ~125 KB); views must not be mutated
after rendering. The flush yields to the loop every `yield_every` pages so AMI ingest never
waits behind a whole floor, and the batch window counts from the flush's start.

`push_now(topic)` sends the pages of one topic (an agent's phone) their view at once, outside the
window: the completed screen pop of a ringing call must not wait up to a window behind the ringing
state it follows (one extra message per call, issue 14's 300 ms target). A page's sends are serialised.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import WSCloseCode, web

log = logging.getLogger(__name__)

CLOSE_SESSION_ENDED = 4401  # the page shows the close reason and goes back to the login form
SESSION_ENDED = "登录已过期，请重新登录"


@dataclass(eq=False)
class Subscriber:
    ws: web.WebSocketResponse
    render: Callable[[], dict]
    session_id: str
    expires_at: datetime
    last: str = ""
    sent: int = field(default=0)
    view_key: Hashable | None = None  # pages with the same key show the same view: one render per flush
    delta: Callable[[object, object], object | None] | None = None  # (shown, current) -> message, None: no change
    shown: object | None = None  # the view this page shows (after its first message) when `delta` is set
    user_id: int | None = None   # whose page: revocation closes every page of a user
    topic: Hashable | None = None  # what `push_now` names (an agent page: its phone interface)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)  # one send at a time per page


class LiveHub:
    def __init__(self, clock: Callable[[], datetime], *, batch_seconds: float = 0.25, tick_seconds: float = 5.0,
                 send_timeout: float = 2.0, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 yield_every: int = 25, monotonic: Callable[[], float] | None = None,
                 validate: Callable[[set[str]], Awaitable[set[str]]] | None = None) -> None:
        self._clock = clock
        self._validate = validate
        self.batch_seconds = batch_seconds
        self.tick_seconds = tick_seconds
        self.send_timeout = send_timeout
        self._sleep = sleep
        self.yield_every = max(1, yield_every)
        self._monotonic = monotonic
        self._subscribers: set[Subscriber] = set()
        self._dirty = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._urgent: set[asyncio.Task] = set()
        self.messages_sent = 0
        self.pushed_now = 0
        self.batches = 0
        self.serialisations = 0

    def __len__(self) -> int:
        return len(self._subscribers)

    # --- wiring --------------------------------------------------------------------------------
    def changed(self, *_: object) -> None:
        """Floor listener: cheap, synchronous; the flusher does the work."""
        self._dirty.set()

    def push_now(self, topic: Hashable | None) -> None:
        """The pages of `topic` get their view now (a screen pop just completed), the others at the next flush."""
        subs = [s for s in self._subscribers if topic is not None and s.topic == topic]
        if not subs:
            return
        self.pushed_now += 1
        task = asyncio.get_running_loop().create_task(self._push_all(subs), name=f"live-push-now {topic}")
        self._urgent.add(task)
        task.add_done_callback(self._urgent.discard)

    async def _push_all(self, subs: list[Subscriber]) -> None:
        for sub in subs:
            if sub in self._subscribers:
                await self._push(sub)

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
        for task in list(self._urgent):
            task.cancel()
        await asyncio.gather(*self._urgent, return_exceptions=True)
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

    async def end_user(self, user_id: int, reason: str = SESSION_ENDED) -> int:
        """Revocation (account disabled, role removed, password changed): every page of that user closes now."""
        ended = [s for s in self._subscribers if s.user_id == user_id]
        for sub in ended:
            await self._end(sub, reason)
        return len(ended)

    async def _end(self, sub: Subscriber, reason: str = SESSION_ENDED) -> None:
        self._subscribers.discard(sub)
        await sub.ws.close(code=CLOSE_SESSION_ENDED, message=reason.encode()[:123])

    async def revalidate(self) -> int:
        """Close the pages whose session no longer stands (idle, ended elsewhere, user disabled)."""
        if self._validate is None or not self._subscribers:
            return 0
        asked = {s.session_id for s in self._subscribers}
        alive = await self._validate(asked)
        # only pages whose session was asked about: one opened while the check ran was just authenticated
        gone = [s for s in self._subscribers if s.session_id in asked and s.session_id not in alive]
        for sub in gone:
            await self._end(sub)
        return len(gone)

    # --- flushing ----------------------------------------------------------------------------------
    async def _run(self) -> None:
        monotonic = self._monotonic or asyncio.get_running_loop().time
        checked = monotonic()
        while True:
            try:
                async with asyncio.timeout(self.tick_seconds):
                    await self._dirty.wait()
            except TimeoutError:
                pass
            self._dirty.clear()
            if monotonic() - checked >= self.tick_seconds:
                checked = monotonic()
                try:
                    await self.revalidate()
                except Exception:  # noqa: BLE001 - a database hiccup must not stop the pushes
                    log.exception("live pages: session check failed; trying again next tick")
            started = monotonic()
            await self.flush()
            # the batch window counts from the flush's start: a slow flush must not stretch the cadence
            await self._sleep(max(0.0, self.batch_seconds - (monotonic() - started)))

    async def flush(self) -> None:
        self.batches += 1
        now = self._clock()
        shared: dict = {}
        for n, sub in enumerate(list(self._subscribers), 1):
            if sub not in self._subscribers:  # went away while the flush yielded
                continue
            if sub.expires_at <= now:
                await self._end(sub)
            else:
                await self._push(sub, shared)
            if n % self.yield_every == 0:
                await asyncio.sleep(0)

    def _message(self, sub: Subscriber, shared: dict) -> tuple[object, str | None]:
        """(view, JSON to send or None when the page shows it already); raises when the view cannot render.

        Within one flush, pages with the same view key share the render, and those that showed the
        same previous view share the serialised message (the full view, or its delta).
        """
        key = sub.view_key
        if key is None:
            view = sub.render()
        else:
            if ("view", key) not in shared:
                try:
                    shared["view", key] = (sub.render(), None)
                except Exception as exc:  # noqa: BLE001 - re-raised for every page on that view
                    shared["view", key] = (None, exc)
            view, failed = shared["view", key]
            if failed is not None:
                raise failed
        base = sub.shown if sub.delta is not None else None
        text_key = ("text", key, id(base))  # the entry holds `base`, so its id is not reused in this flush
        if key is not None and text_key in shared:
            return view, shared[text_key][1]
        payload = view if base is None else sub.delta(base, view)
        text = None if payload is None else json.dumps(payload, ensure_ascii=False)
        self.serialisations += payload is not None
        if key is not None:
            shared[text_key] = (base, text)
        return view, text

    async def _push(self, sub: Subscriber, shared: dict | None = None) -> None:
        async with sub.lock:  # a flush and a push_now never interleave on one page (order of `last`/`shown`)
            await self._push_locked(sub, shared)

    async def _push_locked(self, sub: Subscriber, shared: dict | None) -> None:
        try:
            view, text = self._message(sub, shared if shared is not None else {})
        except Exception:  # noqa: BLE001 - one page's view must not stop the others
            log.exception("live view failed; closing that page's socket")
            self._subscribers.discard(sub)
            await sub.ws.close(code=WSCloseCode.INTERNAL_ERROR)
            return
        if text is None or sub.ws.closed or (sub.delta is None and text == sub.last):
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
        sub.shown = view
        sub.sent += 1
        self.messages_sent += 1
