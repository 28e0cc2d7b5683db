"""Bounded pools of reusable vosk recognizers, one pool per grammar.

Creating a KaldiRecognizer costs up to a second of CPU on a large model, so a recognizer
is reused after Reset(). Free-form and each grammar get their own pool (a grammar is fixed
when the recognizer is created). A recognizer whose use raised is discarded, never reused.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from collections.abc import AsyncIterator, Callable
from typing import Any

from ivr.speech.errors import GrammarError, PoolClosedError

RecognizerFactory = Callable[[str | None], Any]


def grammar_key(grammar: Sequence[str] | None) -> str | None:
    """Canonical vosk grammar JSON (sorted, de-duplicated, UTF-8 kept), or None for free-form.

    ensure_ascii=False matters: vosk does not decode \\uXXXX escapes and would drop every
    Chinese or Korean word as out of vocabulary.
    """
    if grammar is None:
        return None
    if isinstance(grammar, (str, bytes)) or not isinstance(grammar, Sequence):
        raise GrammarError(f"grammar must be a list of phrases, got {type(grammar).__name__}")
    phrases = set()
    for phrase in grammar:
        if not isinstance(phrase, str) or not phrase.strip():
            raise GrammarError(f"grammar phrases must be non-empty strings, got {phrase!r}")
        phrases.add(" ".join(phrase.split()))
    if not phrases:
        raise GrammarError("grammar must not be empty")
    return json.dumps(sorted(phrases), ensure_ascii=False)


@dataclass(eq=False)
class Lease:
    """A recognizer lent to one transcription; `audio_seconds` counts audio fed since creation."""

    key: str | None
    recognizer: Any
    audio_seconds: float = 0.0
    uses: int = 0
    lent: bool = True


@dataclass(eq=False)
class _Slot:
    key: str | None
    idle: list[Lease] = field(default_factory=list)
    busy: int = 0
    last_used: int = 0


class RecognizerPool:
    def __init__(
        self,
        factory: RecognizerFactory,
        *,
        size: int = 2,
        executor: Executor | None = None,
        max_grammar_pools: int = 8,
        recycle_after_seconds: float = 120.0,
    ) -> None:
        if size < 1 or max_grammar_pools < 1:
            raise ValueError("pool size and max_grammar_pools must be at least 1")
        self._factory = factory
        self._size = size
        self._executor = executor
        self._max_grammar_pools = max_grammar_pools
        self._recycle_after = recycle_after_seconds
        self._slots: dict[str | None, _Slot] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._tick = 0
        self._closed = False
        self.created = 0
        self.discarded = 0

    @property
    def size(self) -> int:
        return self._size

    async def acquire(self, grammar: Sequence[str] | None = None) -> Lease:
        """Lend an idle recognizer, create one while under the bound, else wait for a release."""
        key = grammar_key(grammar)
        while True:
            if self._closed:
                raise PoolClosedError("recognizer pool is closed")
            slot = self._slot_for(key)
            if slot is not None:
                self._tick += 1
                slot.last_used = self._tick
                if slot.idle:
                    slot.busy += 1
                    lease = slot.idle.pop()
                    lease.uses += 1
                    lease.lent = True
                    return lease
                if slot.busy < self._size:
                    slot.busy += 1
                    return await self._create(slot)
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def release(self, lease: Lease, *, broken: bool = False) -> None:
        """Return a recognizer after Reset(); discard it if it broke, is worn out, or Reset fails."""
        slot = self._slots.get(lease.key)
        if slot is None or slot.busy == 0 or not lease.lent:
            raise ValueError("lease does not belong to this pool or was already released")
        lease.lent = False
        slot.busy -= 1
        keep = not broken and not self._closed and lease.audio_seconds < self._recycle_after
        if keep:
            try:
                lease.recognizer.Reset()
            except Exception:  # noqa: BLE001 - a recognizer that fails Reset is simply dropped
                keep = False
        if keep:
            slot.idle.append(lease)
        else:
            self.discarded += 1
        self._wake()

    @asynccontextmanager
    async def lease(self, grammar: Sequence[str] | None = None) -> AsyncIterator[Lease]:
        lease = await self.acquire(grammar)
        try:
            yield lease
        except BaseException:
            self.release(lease, broken=True)
            raise
        self.release(lease)

    def status(self) -> dict[str, Any]:
        return {
            "size": self._size,
            "waiting": sum(1 for w in self._waiters if not w.done()),
            "created": self.created,
            "discarded": self.discarded,
            "pools": [
                {
                    "mode": "free-form" if slot.key is None else "grammar",
                    "grammar": None if slot.key is None else json.loads(slot.key),
                    "idle": len(slot.idle),
                    "busy": slot.busy,
                }
                for slot in self._slots.values()
            ],
        }

    def close(self) -> None:
        """Drop idle recognizers and fail waiters; leases still out are discarded on release."""
        self._closed = True
        for slot in self._slots.values():
            self.discarded += len(slot.idle)
            slot.idle.clear()
        self._wake()

    def _slot_for(self, key: str | None) -> _Slot | None:
        slot = self._slots.get(key)
        if slot is not None:
            return slot
        if key is not None:
            grammar_slots = [s for s in self._slots.values() if s.key is not None]
            if len(grammar_slots) >= self._max_grammar_pools:
                evictable = [s for s in grammar_slots if s.busy == 0]
                if not evictable:
                    return None
                victim = min(evictable, key=lambda s: s.last_used)
                self.discarded += len(victim.idle)
                del self._slots[victim.key]
        slot = self._slots[key] = _Slot(key)
        return slot

    async def _create(self, slot: _Slot) -> Lease:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._factory, slot.key)
        try:
            recognizer = await asyncio.shield(future)
        except asyncio.CancelledError:
            future.add_done_callback(lambda f: self._adopt(slot, f))
            raise
        except BaseException:
            slot.busy -= 1
            self._wake()
            raise
        self.created += 1
        return Lease(slot.key, recognizer, uses=1)

    def _adopt(self, slot: _Slot, future: asyncio.Future[Any]) -> None:
        """A creation whose requester was cancelled still yields a usable recognizer."""
        slot.busy -= 1
        if not future.cancelled() and future.exception() is None and not self._closed:
            self.created += 1
            slot.idle.append(Lease(slot.key, future.result(), lent=False))
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
