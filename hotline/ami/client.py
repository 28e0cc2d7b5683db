"""AmiClient: one AMI connection per Asterisk server, kept alive.

connect -> banner -> Login -> on_connected hooks (resync) -> ready. When the connection drops,
pending actions fail at once (AmiConnectionLost), subscribers get ``AmiClientDisconnected``,
and the client reconnects with capped exponential backoff and jitter; after the hooks ran
again subscribers get ``AmiClientReady`` with ``Reconnect: Yes``.
"""
from __future__ import annotations

import asyncio
import logging
import random as _random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from hotline.ami.actions import Action
from hotline.ami.errors import (
    AmiAuthError, AmiClosed, AmiConnectionLost, AmiError, AmiNotConnected, AmiProtocolError, AmiTimeout,
)
from hotline.ami.events import to_event
from hotline.ami.fanout import EventFanout, Subscription
from hotline.ami.message import Message, Source
from hotline.ami.protocol import DEFAULT_MAX_MESSAGE
from hotline.ami.response import AmiResponse
from hotline.ami.session import AmiSession, not_ami

OnConnected = Callable[[AmiSession], Awaitable[None]]


@dataclass(frozen=True)
class AmiServer:
    """Connection settings of one Asterisk server (passed in; nothing is read from the environment)."""

    name: str
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "hotline"
    secret: str = field(default="", repr=False)
    events: str = "on"
    connect_timeout: float = 5.0
    login_timeout: float = 5.0
    action_timeout: float = 10.0
    hook_timeout: float = 30.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    ping_interval: float | None = 20.0
    max_message_size: int = DEFAULT_MAX_MESSAGE


def backoff_delay(attempt: int, initial: float, cap: float, rnd: float) -> float:
    """Exponential, capped, with jitter in [50 %, 100 %] so many clients do not reconnect in step."""
    return min(cap, initial * (2 ** min(attempt, 30))) * (0.5 + rnd / 2)


class AmiClient:
    def __init__(self, server: AmiServer, *, fanout: EventFanout | None = None,
                 open_connection: Callable = asyncio.open_connection,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 random: Callable[[], float] = _random.random,
                 logger: logging.Logger | None = None, id_prefix: str | None = None) -> None:
        self.server = server
        self._log = logger or logging.getLogger(__name__)
        self._own_fanout = fanout is None
        self.fanout = fanout or EventFanout(convert=to_event, logger=self._log)
        self._open = open_connection
        self._sleep = sleep
        self._random = random
        self._id_prefix = id_prefix or f"{server.name}-{secrets.token_hex(3)}"
        self._hooks: list[OnConnected] = []
        self.hook_errors: list[BaseException] = []
        self._session: AmiSession | None = None
        self._ready = asyncio.Event()
        self._state_changed = asyncio.Event()
        self._generation = 0
        self._supervisor: asyncio.Task | None = None
        self._session_tasks: list[asyncio.Task] = []
        self._tasks: set[asyncio.Task] = set()
        self._fatal: AmiError | None = None
        self._closed = False
        self.connect_attempts = 0
        self.backoff_delays: list[float] = []

    @property
    def name(self) -> str:
        return self.server.name

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self._session is not None

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def subscriber_errors(self):
        return self.fanout.subscriber_errors

    @property
    def protocol_error_count(self) -> int:
        return self._session.parser.error_count if self._session else 0

    def subscribe(self, handler: Callable, **options) -> Subscription:
        """See EventFanout.subscribe (events=, typed=, maxsize=, inline=, name=)."""
        return self.fanout.subscribe(handler, **options)

    def on_connected(self, hook: OnConnected) -> OnConnected:
        """Run ``await hook(session)`` after every (re)connect, before the client is ready."""
        self._hooks.append(hook)
        return hook

    async def start(self, wait: bool = True, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Start connecting; with ``wait`` return once ready (AmiAuthError if the login is refused)."""
        if self._closed:
            raise AmiClosed(f"{self.name}: client closed")
        if self._supervisor is None:
            self._supervisor = asyncio.get_running_loop().create_task(
                self._supervise(), name=f"ami-client-{self.name}")
        if wait:
            await self.wait_ready(timeout)

    async def wait_ready(self, timeout: float | None = None) -> AmiSession:  # noqa: ASYNC109
        try:
            async with asyncio.timeout(timeout):
                return await self._wait_session()
        except TimeoutError:
            raise AmiNotConnected(f"{self.name}: not connected within {timeout} s") from None

    async def _wait_session(self) -> AmiSession:
        while True:
            if self._closed or self._fatal is not None:
                raise self._fatal or AmiClosed(f"{self.name}: client closed")
            session = self._session
            if self._ready.is_set() and session is not None:
                return session
            self._state_changed.clear()
            await self._state_changed.wait()

    async def send(self, action: Action | str, fields=None, *, timeout: float | None = None,  # noqa: ASYNC109
                   **kwargs) -> AmiResponse:
        """Send one action and return its complete answer.

        Waits (within ``timeout``) for the client to be ready. Raises AmiActionError for
        ``Response: Error``, AmiTimeout / AmiNotConnected on timeout, AmiConnectionLost if the
        connection drops before the answer is complete, AmiClosed after close().
        """
        act = action if isinstance(action, Action) else Action.of(action, fields, **kwargs)
        limit = timeout if timeout is not None else (act.spec.timeout or self.server.action_timeout)
        session = None
        try:
            async with asyncio.timeout(limit):
                session = await self._wait_session()
                return await session.send(act)
        except TimeoutError:
            if session is None:
                raise AmiNotConnected(f"{self.name}: not ready within {limit} s for {act.name}") from None
            raise AmiTimeout(f"{self.name}: no complete answer to {act.name} within {limit} s") from None

    async def _supervise(self) -> None:
        attempt = 0
        while not self._closed:
            self.connect_attempts += 1
            try:
                session = await self._connect()
            except AmiAuthError as exc:
                self._log.error("ami.auth.failed server=%s user=%s: %s", self.name, self.server.username,
                                exc.message)
                self._fatal = exc
                self._state_changed.set()
                return
            except (OSError, TimeoutError, AmiError) as exc:
                self._log.warning("ami.connect.failed server=%s attempt=%d: %s", self.name, attempt + 1, exc)
                await self._backoff(attempt)
                attempt += 1
                continue
            except Exception as exc:  # noqa: BLE001 - a bug must not silently stop reconnecting
                self._log.error("ami.connect.error server=%s attempt=%d", self.name, attempt + 1, exc_info=exc)
                await self._backoff(attempt)
                attempt += 1
                continue
            attempt = 0
            await session.closed.wait()
            await self._lost(session)
            await self._backoff(0)
            attempt = 1

    async def _backoff(self, attempt: int) -> None:
        delay = backoff_delay(attempt, self.server.backoff_initial, self.server.backoff_max, self._random())
        self.backoff_delays.append(delay)
        await self._sleep(delay)

    async def _connect(self) -> AmiSession:
        cfg = self.server
        async with asyncio.timeout(cfg.connect_timeout):
            reader, writer = await self._open(cfg.host, cfg.port)
        generation = self._generation + 1
        session = AmiSession(reader, writer, Source(cfg.name, generation), self.fanout.publish,
                             self._id_prefix, cfg.max_message_size, self._log)
        tasks = [self._spawn(session.run(), f"ami-read-{cfg.name}")]
        try:
            async with asyncio.timeout(cfg.login_timeout):
                await session.greeted.wait()
                if session.parser.banner is None:
                    if session.closed.is_set():
                        raise AmiConnectionLost(f"{cfg.name}: closed before the banner")
                    raise not_ami(b"")
                await session.send(Action.of("Login", Username=cfg.username, Secret=cfg.secret,
                                             Events=cfg.events))
            self._generation = generation
            for hook in self._hooks:
                try:
                    async with asyncio.timeout(cfg.hook_timeout):
                        await hook(session)
                except Exception as exc:
                    self.hook_errors.append(exc)
                    self._log.error("ami.hook.failed server=%s hook=%r", cfg.name, hook, exc_info=exc)
                    raise AmiProtocolError(f"on_connected hook failed: {exc!r}") from exc
        except BaseException:
            await session.wait_closed()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        if cfg.ping_interval:
            tasks.append(self._spawn(self._keepalive(session), f"ami-ping-{cfg.name}"))
        self._session_tasks = tasks
        self._session = session
        self._ready.set()
        self._state_changed.set()
        self._log.info("ami.ready server=%s generation=%d version=%s", cfg.name, generation,
                       session.parser.version)
        self._control(session.source, "AmiClientReady", Reconnect="Yes" if generation > 1 else "No")
        return session

    def _spawn(self, coro, name: str) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _lost(self, session: AmiSession) -> None:
        self._ready.clear()
        self._session = None
        tasks, self._session_tasks = self._session_tasks, []
        for task in tasks[1:]:
            task.cancel()
        await session.wait_closed()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._state_changed.set()
        if not self._closed:
            self._log.warning("ami.connection.lost server=%s generation=%d", self.name, session.generation)
            self._control(session.source, "AmiClientDisconnected")

    def _control(self, source: Source, name: str, **extra: str) -> None:
        items = [("Event", name), ("Server", source.server), ("Generation", str(source.generation))]
        items.extend(extra.items())
        self.fanout.publish([Message.from_items(items, source)])

    async def _keepalive(self, session: AmiSession) -> None:
        """Ping periodically so a half-open TCP connection is noticed and replaced."""
        while True:
            await self._sleep(self.server.ping_interval)
            try:
                async with asyncio.timeout(self.server.action_timeout):
                    await session.send("Ping")
            except (TimeoutError, AmiError) as exc:
                self._log.warning("ami.keepalive.failed server=%s: %r", self.name, exc)
                session.abort()
                return

    async def close(self, logoff: bool = True) -> None:
        """Log off (best effort), stop every task of this client; idempotent."""
        if self._closed:
            return
        session = self._session if self.ready else None
        self._closed = True
        if logoff and session is not None:
            try:
                async with asyncio.timeout(1.0):
                    await session.send("Logoff")
            except (TimeoutError, AmiError):
                pass
        self._state_changed.set()
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
        if self._session is not None:
            await self._lost(self._session)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._own_fanout:
            await self.fanout.close()
