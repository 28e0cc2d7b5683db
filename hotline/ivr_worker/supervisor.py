"""The engine side of the IVR worker: bind FastAGI once, start the worker, restart it when it dies.

The engine binds the FastAGI socket itself and hands it to every worker it starts, so the port stays
the same across restarts and a call that arrives while a worker starts waits in the listen backlog
instead of being refused. The worker's messages (the emergency ledger) are served here; admins'
saves (`hotline.changes`) are passed on. A worker that keeps dying is restarted after a growing
pause (0.2 s doubling up to `[agi] worker_restart_max_delay`), reset once one has run for a minute.

Calls come first on a busy host: once the first worker runs, the engine's event-loop thread (the
console's HTTP, AMI ingestion; threads it starts later inherit it) drops `[agi] engine_nice`
steps of CPU priority. Workers are started from a thread that kept the normal priority, because
a process cannot raise its priority back and a child inherits its parent thread's.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web

from hotline.config import Config
from hotline.health import Check
from hotline.ivr_worker.link import Link

log = logging.getLogger("hotline.ivr_worker")
STEADY_SECONDS = 60.0  # a worker up this long resets the restart back-off


def listening_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


@dataclass
class WorkerStatus:
    running: bool
    ready: bool
    pid: int | None
    port: int
    starts: int
    deaths: int


class IvrWorkerSupervisor:
    """Starts and watches one IVR worker process; `services` is the engine's (transfers, for the ledger)."""

    def __init__(self, config: Config, services: dict, *, routes: str | None = None,
                 python: str = sys.executable) -> None:
        self._config = config
        self._services = services
        self._routes = routes
        self._python = python
        self._listen = listening_socket(config.agi.host, config.agi.port)
        self._proc: subprocess.Popen | None = None
        self._exited = asyncio.Event()
        # started now, at the engine's normal priority: every worker is forked from this thread
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ivr-worker-spawn")
        self._spawner.submit(lambda: None).result()
        self._link: Link | None = None
        self._ready = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self.starts = self.deaths = 0
        self.refused = 0   # calls turned away while no worker accepted: the dialplan's engine-down path
        self._refusing = False
        self.last_status: dict = {}  # the worker's latest `status` message: FastAGI's counts
        self.pid: int | None = None

    @property
    def port(self) -> int:
        return self._listen.getsockname()[1]

    def status(self) -> WorkerStatus:
        running = self._proc is not None and self._proc.returncode is None
        return WorkerStatus(running, self._ready.is_set(), self.pid, self.port, self.starts, self.deaths)

    def check(self) -> Check:
        s = self.status()
        return Check("ok" if s.ready else "down", {"port": s.port, "worker_pid": s.pid, "starts": s.starts,
                                                   "deaths": s.deaths, "refused": self.refused,
                                                   "process": "ivr-worker",
                                                   **self.last_status.get("fastagi", {})})

    def start(self) -> None:
        self._lower_engine_priority()
        self._refuse_calls(True)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="ivr-worker-supervisor")

    def _refuse_calls(self, on: bool) -> None:
        """While no worker accepts (starting, restarting, or failing to start at all) a call is closed
        at once rather than left silent in the backlog: Asterisk's AGI() fails and the shipped dialplan
        takes its engine-down path (the caller queued for an agent, never dropped)."""
        if on == self._refusing:
            return
        loop = asyncio.get_running_loop()
        if on:
            loop.add_reader(self._listen.fileno(), self._refuse_one)
        else:
            loop.remove_reader(self._listen.fileno())
        self._refusing = on

    def _refuse_one(self) -> None:
        try:
            conn, _ = self._listen.accept()
        except (BlockingIOError, InterruptedError):
            return  # the worker took it
        conn.close()
        self.refused += 1
        if self.refused == 1 or self.refused % 100 == 0:
            log.warning("ivr_worker.not_ready: %d FastAGI calls sent to the dialplan's engine-down path", self.refused)

    def _lower_engine_priority(self) -> None:
        steps = self._config.agi.engine_nice
        if steps:
            tid = threading.get_native_id()  # on Linux a nice value is per thread: this one, the loop's
            try:
                os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + steps)
            except OSError as exc:
                log.warning("ivr_worker: engine priority unchanged (%s)", exc)

    async def wait_ready(self, timeout: float = 60.0) -> int:
        """The pid of a worker that accepts calls."""
        async with asyncio.timeout(timeout):
            await self._ready.wait()
        return self.pid

    def changed(self, what: str) -> None:
        """hotline.changes listener: the worker re-reads what an admin saved."""
        if self._link is not None:
            self._link.send("changed", what=what)

    async def _run(self) -> None:
        delay = 0.1  # doubled before the first pause: 0.2 s
        while not self._stopping:
            started = time.monotonic()
            try:
                await self._one_worker()
            except Exception:  # noqa: BLE001 - e.g. the spawn failed: retried after the pause
                log.exception("ivr_worker.start_failed")
            if self._stopping:
                return
            self.deaths += 1
            steady = time.monotonic() - started > STEADY_SECONDS
            delay = 0.2 if steady else min(delay * 2, self._config.agi.worker_restart_max_delay)
            log.error("ivr_worker.died pid=%s code=%s: restarting in %.1f s (calls meanwhile take the engine-down path)",
                      self.pid, self._proc.returncode if self._proc else None, delay)
            await asyncio.sleep(delay)

    async def _one_worker(self) -> None:
        ours, theirs = socket.socketpair()
        loop = asyncio.get_running_loop()
        try:
            self._proc = await loop.run_in_executor(self._spawner, lambda: subprocess.Popen(
                [self._python, "-m", "hotline.ivr_worker", "--link-fd", str(theirs.fileno()),
                 "--listen-fd", str(self._listen.fileno())], pass_fds=(theirs.fileno(), self._listen.fileno()),
                stdin=subprocess.DEVNULL))
        finally:
            theirs.close()
        self._exited.clear()
        pidfd = os.pidfd_open(self._proc.pid)  # readable once the worker has exited (Linux 5.3)
        loop.add_reader(pidfd, self._exited.set)
        self.starts += 1
        self.pid = self._proc.pid
        link = self._link = await Link.over(ours)
        link.send("config", config=self._config.model_dump(mode="json"), routes=self._routes)
        log.info("ivr_worker.started pid=%d (FastAGI %s:%d)", self.pid, self._config.agi.host, self.port)
        reader = asyncio.create_task(self._read(link), name="ivr-worker-link")
        try:
            await self._exited.wait()
        finally:
            loop.remove_reader(pidfd)
            os.close(pidfd)
            self._proc.wait()  # reaps it: it has exited
            self._ready.clear()
            if not self._stopping:
                self._refuse_calls(True)
            self._link = None
            link.close()
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def _read(self, link: Link) -> None:
        async for message in link.messages():
            if message.kind == "ready":
                log.info("ivr_worker.ready pid=%s", message.data.get("pid"))
                self._ready.set()
                self._refuse_calls(False)
            elif message.kind == "status":
                self.last_status = message.data
            elif message.kind == "follow_ivr":
                self._spawn(self._follow(message.data))

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _follow(self, data: dict) -> None:
        transfers = self._services.get("transfers")
        if transfers is None:
            return
        try:
            await transfers.follow_ivr(channel=str(data.get("channel") or ""), linkedid=data.get("linkedid"),
                                       caller=data.get("caller"), target=str(data.get("target") or ""),
                                       ticket=data.get("ticket"), trigger=str(data.get("trigger") or ""))
        except Exception:  # noqa: BLE001 - the linkage is on the ticket's history regardless
            log.exception("ivr_worker.follow_failed channel=%s", data.get("channel"))

    async def close(self, timeout: float = 10.0) -> None:
        """SIGTERM (the worker ends its calls' sessions and closes its resources), SIGKILL after `timeout`."""
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(self._exited.wait(), timeout)
            except TimeoutError:
                log.warning("ivr_worker.kill pid=%d: not stopped after %.0f s", proc.pid, timeout)
                proc.kill()
                await asyncio.wait_for(self._exited.wait(), timeout)
            except ProcessLookupError:
                pass
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._refuse_calls(False)
        self._listen.close()
        self._spawner.shutdown(wait=False)


def ivr_worker_context(routes: str | None = None) -> Callable:
    """Cleanup context for build_app(separate_ivr=True): the supervisor in place of the in-process FastAGI."""
    async def context(app: web.Application) -> AsyncIterator[None]:
        from hotline.engine import ENGINE, _check_prompts

        engine = app[ENGINE]
        supervisor = IvrWorkerSupervisor(engine.config, engine.services, routes=routes)
        engine.services.update(ivr_worker=supervisor, fastagi=supervisor)
        engine.health.register("fastagi", supervisor.check)
        from hotline.spool import JsonSpool

        drafts = JsonSpool(engine.config.engine.data_dir / "drafts")  # the worker's spool, read from disk
        engine.health.register("drafts", lambda: Check("degraded" if len(drafts) else "ok", {"waiting": len(drafts)}))
        _check_prompts(engine)
        changes = engine.services.get("changes")
        unlisten = changes.listen(supervisor.changed) if changes is not None else None
        try:
            supervisor.start()
        except BaseException:
            await supervisor.close()
            raise
        log.info("FastAGI on %s:%d served by the IVR worker process", engine.config.agi.host, supervisor.port)
        yield
        if unlisten is not None:
            unlisten()
        await supervisor.close()
    return context
