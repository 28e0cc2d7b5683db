"""Password hashing out of the engine process, with bounded concurrency.

argon2 costs tens of milliseconds of CPU and `memory_cost` KiB of RAM per call. Unbounded, a
login flood takes every core and hundreds of MB, and the IVR's FastAGI replies wait behind it.
Here at most `workers` hashes run at once, in worker processes (issue 11.3) started with
`spawn`, niced to 19 and put in Linux's SCHED_IDLE class by their initializer: the kernel
always serves the engine's event loop, and with it the IVR, before a hash (an idle-class task is
preempted the moment a normal one wakes; bench/login_flood --kind hash measured no gain over
nice 19 beyond the host's noise, but it can only yield more), and argon2's memory is the workers' (bounded by `workers`),
never the engine's heap. A caller beyond the bound waits up to `wait_seconds` for a turn and is
then refused with `HashingBusy` (the login page answers 429 "轮候登录人数过多" in Chinese).
`processes=False` keeps hashing in threads (tests that count calls, platforms without spawn).
"""
from __future__ import annotations

import asyncio
import logging
import os
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")
log = logging.getLogger(__name__)

# OWASP Password Storage Cheat Sheet, argon2id: m = 19 MiB, t = 2, p = 1 (its first listed choice).
OWASP_MEMORY_KIB = 19 * 1024
OWASP_TIME_COST = 2
OWASP_PARALLELISM = 1


class HashingBusy(Exception):
    error_id = "console.login.busy"


def owasp_hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=OWASP_TIME_COST, memory_cost=OWASP_MEMORY_KIB, parallelism=OWASP_PARALLELISM)


WORKER_NICE = 19


def _verify(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _lower_priority(nice: int) -> None:
    """Thread initializer: this hashing thread yields the CPU to the event loop's thread."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError) as exc:  # not Linux, or not permitted: hashing still works
        log.debug("argon2 thread keeps its priority: %s", exc)


def _worker_start(nice: int, idle_class: bool = True) -> None:
    """Process initializer: the whole hashing process yields the CPU to everything else."""
    try:
        os.nice(nice)
    except OSError as exc:  # not permitted: hashing still works, at normal priority
        log.debug("argon2 worker keeps its priority: %s", exc)
    if idle_class and hasattr(os, "SCHED_IDLE"):  # Linux; elsewhere nice alone
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError as exc:
            log.debug("argon2 worker stays in the normal scheduling class: %s", exc)


def _worker_pid() -> int:
    return os.getpid()


class HashPool:
    def __init__(self, hasher: PasswordHasher | None = None, *, workers: int = 1, wait_seconds: float = 2.0,
                 nice: int = WORKER_NICE, processes: bool = True, idle_class: bool = True) -> None:
        if workers < 1:
            raise ValueError("HashPool needs at least one worker")
        self.hasher = hasher or owasp_hasher()
        self.workers = workers
        self.wait_seconds = wait_seconds
        self.processes = processes
        self._nice, self._idle_class = nice, idle_class
        self._executor = self._new_executor()
        self._slots: asyncio.Semaphore | None = None  # made on first use, inside the running loop
        self.running = 0
        self.refused = 0

    def _new_executor(self) -> Executor:
        if self.processes:
            # spawn, not fork: the engine has threads and an event loop a forked child must not inherit
            return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_worker_start, initargs=(self._nice, self._idle_class))
        return ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="argon2",
                                  initializer=_lower_priority, initargs=(self._nice,))

    async def _submit(self, fn: Callable[..., T], *args) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except BrokenProcessPool:  # a worker died (OOM killer, signal): start a fresh pool once
            log.warning("argon2 worker pool broken; starting a new one")
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new_executor()
            return await loop.run_in_executor(self._executor, fn, *args)

    async def worker_pids(self) -> set[int]:
        """The hashing processes' ids (starts them; tests and the benchmark look at them)."""
        if not self.processes:
            return {os.getpid()}
        return {await self._submit(_worker_pid) for _ in range(self.workers)}

    async def _run(self, fn: Callable[..., T], *args) -> T:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self._slots.acquire()
        except TimeoutError:
            self.refused += 1
            raise HashingBusy(f"{self.workers} password checks running; waited {self.wait_seconds} s") from None
        self.running += 1
        try:
            return await self._submit(fn, *args)
        finally:
            self.running -= 1
            self._slots.release()

    async def verify(self, stored_hash: str, password: str) -> bool:
        return await self._run(_verify, self.hasher, stored_hash, password)

    async def hash(self, password: str) -> str:
        return await self._run(self.hasher.hash, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        return self.hasher.check_needs_rehash(stored_hash)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
