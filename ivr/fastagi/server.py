"""The FastAGI listener: reads the environment under limits, routes by script path, owns session tasks.

Asterisk connects once per `AGI(agi://host:4573/<route>?<params>,<args>)`. A peer outside
the allowlist is closed on accept, before its agi_* block is read; every bad peer
(oversized, half-open, silent) is dropped with one log line and never blocks the loop; a
failing handler only ends its own call.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from .deadlines import Deadlines
from .environment import parse_environment
from .errors import (
    ChannelHungUp,
    FastAgiError,
    HeaderError,
    HeaderTimeout,
    HeaderTooLarge,
    IncompleteHeader,
    LineTooLong,
    RouteError,
)
from .limits import Limits
from .peers import PeerAllowlist
from .refusals import RefusalLog
from .session import AgiSession

Handler = Callable[[AgiSession], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ServerStatus:
    active_sessions: int
    accepted: int
    dropped: int
    failed_handlers: int
    refused_peers: int = 0  # connections from outside the allowlist, closed unanswered


class _HeaderWatch:
    """Deadline for the environment read; expiring closes the socket so the read ends at once."""

    __slots__ = ("deadline", "expired", "_writer")

    def __init__(self, writer: asyncio.StreamWriter, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._writer = writer

    def expire(self) -> None:
        self.expired = True
        self._writer.close()


async def read_environment(reader: asyncio.StreamReader, limits: Limits) -> bytes:
    """The raw agi_* block up to its empty line (one read; the reader's limit caps its size)."""
    try:
        block = await reader.readuntil(b"\n\n")
    except asyncio.IncompleteReadError as exc:
        raise IncompleteHeader(f"peer closed after {len(exc.partial)} header bytes") from None
    except asyncio.LimitOverrunError:
        head = await reader.read(limits.max_header_bytes)  # still buffered: tell which limit it broke
        if any(len(line) > limits.max_line_bytes for line in head.split(b"\n")):
            raise LineTooLong(f"environment line over {limits.max_line_bytes} bytes") from None
        raise HeaderTooLarge(f"environment over {limits.max_header_bytes} bytes") from None
    if len(block) > limits.max_line_bytes and any(len(line) > limits.max_line_bytes for line in block.split(b"\n")):
        raise LineTooLong(f"environment line over {limits.max_line_bytes} bytes")
    return block


class AgiServer:
    def __init__(self, routes: Mapping[str, Handler] | None = None, *, host: str = "127.0.0.1",
                 port: int = 4573, limits: Limits | None = None, logger: logging.Logger | None = None,
                 backlog: int = 1024, allowed_peers: PeerAllowlist | None = None,
                 sock: socket.socket | None = None) -> None:
        """`backlog` is sized for a burst of calls (e.g. after a trunk comes back), not the 100 default;
        `allowed_peers` defaults to loopback (Asterisk on the same host); `sock` is a listening socket
        bound by someone else (the engine process hands its one to each IVR worker it starts)."""
        self.host = host
        self._sock = sock
        self.allowed_peers = allowed_peers or PeerAllowlist.of()
        self._backlog = backlog
        self.limits = limits or Limits()
        self._port = port
        self._log = logger or logging.getLogger("ivr.fastagi")
        self._routes: dict[str, Handler] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._server: asyncio.Server | None = None
        self._deadlines = Deadlines(self.limits.sweep_interval)
        self._sweeper: asyncio.Task[None] | None = None
        self._accepted = self._dropped = self._failed = self._refused = 0
        self._refusals = RefusalLog(self._log, lambda: str(self.allowed_peers))
        for path, handler in (routes or {}).items():
            self.add_route(path, handler)

    def add_route(self, path: str, handler: Handler) -> None:
        """`path` is agi_network_script without query string; handlers must be `async def h(session)`."""
        if not inspect.iscoroutinefunction(handler) and not inspect.iscoroutinefunction(
                getattr(handler, "__call__", None)):  # noqa: B004 - async callable objects are fine
            raise RouteError(f"handler for {path!r} must be an async function, got {handler!r}")
        path = path.strip("/")
        if path in self._routes:
            raise RouteError(f"route {path!r} is already registered")
        self._routes[path] = handler

    @property
    def port(self) -> int:
        """The bound port (useful with port=0)."""
        if self._server is None or not self._server.sockets:
            return self._port
        return self._server.sockets[0].getsockname()[1]

    @property
    def active_sessions(self) -> int:
        return len(self._tasks)

    def status(self) -> ServerStatus:
        return ServerStatus(len(self._tasks), self._accepted, self._dropped, self._failed, self._refused)

    async def start(self) -> None:
        if self._sock is not None:
            self._server = await asyncio.start_server(self._serve, sock=self._sock, backlog=self._backlog,
                                                      limit=self.limits.max_header_bytes)
        else:
            self._server = await asyncio.start_server(self._serve, self.host, self._port, backlog=self._backlog,
                                                      limit=self.limits.max_header_bytes)
        self._sweeper = asyncio.create_task(self._deadlines.run(), name="fastagi-deadlines")
        self._log.info("fastagi listening on %s:%s", self.host, self.port)

    async def close(self) -> None:
        """Stop listening, cancel every session task and wait for them: nothing is left running."""
        self._closing = True
        self._refusals.flush()
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        if self._sweeper is not None:
            tasks.append(self._sweeper)
            self._sweeper = None
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.sleep(0)  # let the closed transports run connection_lost
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> AgiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if not self.allowed_peers.allows(peer):
            self._refused += 1
            self._refusals.refused(peer)  # one line per peer per interval, with a count
            writer.transport.abort()  # nothing read, nothing answered
            return
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._accepted += 1
        try:
            await self._call(reader, writer)
        except asyncio.CancelledError:
            # close() cancels live sessions. Python 3.11's start_server callback calls
            # task.exception() on the finished task, which raises (and logs a traceback) for a
            # cancelled one, so a session ended by our own shutdown finishes normally instead.
            if not self._closing:
                raise
        finally:
            self._tasks.discard(task)
            transport = writer.transport
            if transport.get_write_buffer_size():
                transport.abort()  # a peer that stopped reading must not keep the socket open
            else:
                transport.close()

    async def _call(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        deadlines = self._deadlines
        watch = _HeaderWatch(writer, deadlines.clock() + self.limits.header_timeout)
        deadlines.watch(watch)
        try:
            block = await read_environment(reader, self.limits)
            env = parse_environment(block)
        except (HeaderError, OSError) as exc:
            error = exc if isinstance(exc, HeaderError) else IncompleteHeader(str(exc))
            if watch.expired:
                error = HeaderTimeout(f"no complete environment within {self.limits.header_timeout} s")
            return self._drop(peer, error)
        finally:
            deadlines.unwatch(watch)
        session = AgiSession(env, reader, writer, self.limits, self._log, deadlines)
        deadlines.watch(session)
        try:
            await self._run_handler(session)
        finally:
            deadlines.unwatch(session)

    async def _run_handler(self, session: AgiSession) -> None:
        env = session.env
        handler = self._routes.get(env.route)
        if handler is None:
            return await self._no_route(session)
        try:
            await handler(session)
        except ChannelHungUp:
            self._log.info("fastagi %s %s: caller hung up", env.route, env.uniqueid)
        except FastAgiError as exc:
            self._failed += 1
            self._log.warning("fastagi %s %s: %s %s", env.route, env.uniqueid, exc.error_id, exc)
        except Exception:
            self._failed += 1
            self._log.exception("fastagi %s %s: handler failed", env.route, env.uniqueid)

    def _drop(self, peer: object, error: HeaderError) -> None:
        self._dropped += 1
        self._log.warning("fastagi dropped %s: %s %s", peer, error.error_id, error)

    async def _no_route(self, session: AgiSession) -> None:
        """Say why in the Asterisk log, then `FAILURE` (res_agi's run_agi sets AGISTATUS=FAILURE on it)."""
        self._dropped += 1
        route = session.env.route
        self._log.warning("fastagi no route for %r (%s)", route, session.env.uniqueid)
        try:
            await session.verbose(f"hotline FastAGI: no route for {route}", 1)
            await session.fail()
        except (FastAgiError, OSError) as exc:
            self._log.info("fastagi no-route notice not delivered: %s", exc)
