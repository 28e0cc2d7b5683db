"""jieba word segmentation, initialised once off the event loop, with rule keywords as user words.

jieba builds its prefix dictionary (~1 s) on first use; doing that inside a call handler would
stall every call, so `start()` does it in an executor. We own a `jieba.Tokenizer` instance rather
than jieba's module-level default so two engines in one process do not share user words.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from concurrent.futures import Executor
from typing import Any

from ivr.classify.errors import NotReadyError


class Segmenter:
    def __init__(self, *, cache_dir: str | None = None, quiet: bool = True) -> None:
        self._cache_dir = cache_dir
        self._quiet = quiet
        self._tokenizer: Any = None
        self._lock = asyncio.Lock()
        self._added: set[str] = set()

    @property
    def ready(self) -> bool:
        return self._tokenizer is not None

    async def start(self, executor: Executor | None = None, words: Iterable[str] = ()) -> None:
        """Build the prefix dictionary once (idempotent, safe to call concurrently)."""
        async with self._lock:
            if self._tokenizer is None:
                loop = asyncio.get_running_loop()
                self._tokenizer = await loop.run_in_executor(executor, self._build)
        self.add_words(words)

    def _build(self) -> Any:
        import jieba

        if self._quiet:
            logging.getLogger("jieba").setLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.tmp_dir = self._cache_dir
        tokenizer.initialize()
        return tokenizer

    def add_words(self, words: Iterable[str]) -> None:
        """Make multi-character keywords come out as single words."""
        tokenizer = self._require()
        for word in words:
            if len(word) > 1 and not tokenizer.FREQ.get(word):
                tokenizer.add_word(word)
                self._added.add(word)

    def remove_words(self, words: Iterable[str]) -> None:
        """Forget words we added; words of jieba's own dictionary are left alone."""
        tokenizer = self._require()
        for word in words:
            if word in self._added:
                tokenizer.del_word(word)
                self._added.discard(word)

    def tokens(self, text: str) -> list[str]:
        """Search-mode segmentation: words plus the dictionary words inside longer ones."""
        return [t for t in self._require().cut_for_search(text) if t.strip()]

    def _require(self) -> Any:
        if self._tokenizer is None:
            raise NotReadyError("分词器尚未初始化：请先调用 start()")
        return self._tokenizer
