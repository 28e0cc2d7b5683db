"""The knowledge base as the engine holds it: import → store → rebuilt index, search and suggestions.

The index is rebuilt off the event loop (segmenting 12,305 entries takes seconds) and swapped in
whole, so searches during an import see the old index, never a half-built one. The day used for
validity comes from the injected clock in the hotline's time zone (China: UTC+8, no DST).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import date, datetime, timedelta, timezone, tzinfo

from sqlalchemy.ext.asyncio import async_sessionmaker

from ivr.classify.segmenter import Segmenter
from knowledge.errors import NotReadyError
from knowledge.index import Hit, SearchIndex
from knowledge.parse import MAX_BYTES, parse_file
from knowledge.store import Entry, ImportReport, KnowledgeStore

CHINA = timezone(timedelta(hours=8), "CST")


class KnowledgeBase:
    def __init__(self, sessions: async_sessionmaker, clock: Callable[[], datetime], *,
                 segmenter: Segmenter | None = None, tz: tzinfo = CHINA, max_bytes: int = MAX_BYTES,
                 executor: Executor | None = None) -> None:
        self.store = KnowledgeStore(sessions, clock)
        self._clock = clock
        self._segmenter = segmenter or Segmenter()
        self._tz = tz
        self._max_bytes = max_bytes
        self._executor = executor
        self._index: SearchIndex | None = None
        self._reload_lock = asyncio.Lock()

    @property
    def ready(self) -> bool:
        return self._index is not None

    @property
    def segmenter(self) -> Segmenter:
        return self._segmenter

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @property
    def size(self) -> int:
        return len(self._index) if self._index is not None else 0

    def today(self) -> date:
        return self._clock().astimezone(self._tz).date()

    async def start(self) -> None:
        await self._segmenter.start(self._executor)
        await self.reload()

    async def reload(self) -> SearchIndex:
        """Rebuild from the database; keywords become jieba user words so they segment whole."""
        async with self._reload_lock:
            entries = await self.store.all_entries()
            self._segmenter.add_words({k for e in entries for k in e.keywords})
            loop = asyncio.get_running_loop()
            index = await loop.run_in_executor(self._executor, SearchIndex, entries, self._segmenter.tokens)
            self._index = index
            return index

    async def import_data(self, data: bytes, fmt: str) -> ImportReport:
        """All or nothing: a file with any bad row raises ImportInvalidError and changes nothing."""
        drafts = parse_file(data, fmt, max_bytes=self._max_bytes)
        report = await self.store.upsert(drafts)
        await self.reload()
        return report

    def search(self, query: str, *, limit: int = 10) -> list[Hit]:
        return self._require().search(query, self.today(), limit=limit)

    def suggest(self, transcript_text: str, limit: int = 5) -> list[Hit]:
        """For the screen pop: entries matching what the caller has said so far."""
        return self._require().suggest(transcript_text, self.today(), limit=limit)

    async def get(self, entry_id: int) -> Entry | None:
        """An entry by id, or None when unknown or not valid today (expired entries stay hidden)."""
        entry = await self.store.get(entry_id)
        return entry if entry is not None and entry.visible_on(self.today()) else None

    def _require(self) -> SearchIndex:
        if self._index is None:
            raise NotReadyError("知识库索引尚未建立：请先调用 start()")
        return self._index
