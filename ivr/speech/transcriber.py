"""Turn a recording into a Transcript without blocking the event loop.

Decoding runs in a thread pool (vosk releases the GIL), on a pooled recognizer fed in
fixed-size chunks. When speech is unavailable the audio is left to the caller and the
transcript comes back `pending`, so the intake flow never fails because of speech.
"""
from __future__ import annotations

import asyncio
import enum
import json
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from ivr.speech.audio import check_pcm, check_rate, duration_seconds, read_wav
from ivr.speech.model import LoadedModel, SpeechUnavailable
from ivr.speech.normalise import normalise_text
from ivr.speech.pool import Lease, RecognizerPool, grammar_key


class TranscriptStatus(enum.StrEnum):
    DONE = "done"
    EMPTY = "empty"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True)
class Transcript:
    text: str
    status: TranscriptStatus
    duration: float
    confidence: float | None = None
    words: tuple[Word, ...] = ()
    grammar: tuple[str, ...] | None = None
    reason: str | None = None
    decode_seconds: float = 0.0


class _Cancelled(Exception):
    pass


def _vosk_factory(model: LoadedModel, sample_rate: int) -> Callable[[str | None], Any]:
    import vosk

    def create(key: str | None) -> Any:
        if key is None:
            recognizer = vosk.KaldiRecognizer(model.vosk_model, sample_rate)
        else:
            recognizer = vosk.KaldiRecognizer(model.vosk_model, sample_rate, key)
        recognizer.SetWords(True)
        return recognizer

    return create


def _decode(recognizer: Any, pcm: bytes, chunk_bytes: int, cancel: threading.Event) -> list[dict[str, Any]]:
    results = []
    for offset in range(0, len(pcm), chunk_bytes):
        if cancel.is_set():
            raise _Cancelled()
        if recognizer.AcceptWaveform(pcm[offset:offset + chunk_bytes]):
            results.append(json.loads(recognizer.Result()))
    results.append(json.loads(recognizer.FinalResult()))
    return results


def _to_transcript(results: list[dict[str, Any]], offset: float, duration: float,
                   grammar: tuple[str, ...] | None, decode_seconds: float) -> Transcript:
    """`offset` undoes vosk's word times running on across Reset() of a reused recognizer."""
    words = tuple(
        Word(w["word"], max(0.0, w["start"] - offset), max(0.0, w["end"] - offset), float(w.get("conf", 1.0)))
        for result in results for w in result.get("result", ())
    )
    text = normalise_text(" ".join(r.get("text", "") for r in results))
    confidence = sum(w.confidence for w in words) / len(words) if words else None
    status = TranscriptStatus.DONE if text else TranscriptStatus.EMPTY
    return Transcript(text, status, duration, confidence, words, grammar, None, decode_seconds)


class Transcriber:
    def __init__(
        self,
        model: LoadedModel | SpeechUnavailable,
        *,
        pool_size: int = 2,
        sample_rate: int = 8000,
        chunk_bytes: int = 4000,
        executor: Executor | None = None,
        recognizer_factory: Callable[[str | None], Any] | None = None,
        max_grammar_pools: int = 8,
        recycle_after_seconds: float = 120.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if chunk_bytes <= 0 or chunk_bytes % 2:
            raise ValueError("chunk_bytes must be a positive even number (16-bit samples)")
        self._model = model
        self._sample_rate = sample_rate
        self._chunk_bytes = chunk_bytes
        self._own_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                                                        thread_name_prefix="vosk-decode")
        self._clock = clock
        self._in_flight = 0
        self._pool: RecognizerPool | None = None
        if model.available:
            factory = recognizer_factory or _vosk_factory(model, sample_rate)
            self._pool = RecognizerPool(factory, size=pool_size, executor=self._executor,
                                        max_grammar_pools=max_grammar_pools,
                                        recycle_after_seconds=recycle_after_seconds)

    @property
    def available(self) -> bool:
        return self._pool is not None

    @property
    def saturated(self) -> bool:
        """Every recognizer is decoding or promised: a new transcript would wait in line for one."""
        return self._pool is not None and self._in_flight >= self._pool.size

    async def transcribe(self, audio: str | os.PathLike[str] | bytes, sample_rate: int = 8000,
                         grammar: Sequence[str] | None = None) -> Transcript:
        """Transcribe a WAV path or raw 16-bit mono PCM; bad audio or grammar raises a SpeechError."""
        if self._pool is None:
            assert isinstance(self._model, SpeechUnavailable)
            return Transcript("", TranscriptStatus.PENDING, 0.0, reason=self._model.reason)
        key = grammar_key(grammar)
        phrases = tuple(json.loads(key)) if key is not None else None
        self._in_flight += 1
        try:
            pcm = await self._pcm(audio, sample_rate)
            duration = duration_seconds(pcm, self._sample_rate)
            try:
                lease = await self._pool.acquire(phrases)
            except Exception as exc:  # noqa: BLE001 - a failed recognizer creation is a failed transcript
                return self._failed(duration, phrases, exc)
            return await self._decode_on(lease, pcm, duration, phrases)
        finally:
            self._in_flight -= 1

    async def _pcm(self, audio: str | os.PathLike[str] | bytes, sample_rate: int) -> bytes:
        if isinstance(audio, (bytes, bytearray, memoryview)):
            pcm = bytes(audio)
            check_pcm(pcm, sample_rate, self._sample_rate)
            return pcm
        check_rate(sample_rate, self._sample_rate)
        return await asyncio.get_running_loop().run_in_executor(self._executor, read_wav, audio, self._sample_rate)

    async def _decode_on(self, lease: Lease, pcm: bytes, duration: float,
                         phrases: tuple[str, ...] | None) -> Transcript:
        assert self._pool is not None
        pool = self._pool
        cancel = threading.Event()
        offset = lease.audio_seconds
        started = self._clock()
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, _decode, lease.recognizer, pcm, self._chunk_bytes, cancel)
        try:
            results = await asyncio.shield(future)
        except asyncio.CancelledError:
            cancel.set()
            future.add_done_callback(lambda _f: pool.release(lease, broken=True))
            raise
        except Exception as exc:  # noqa: BLE001 - vosk errors become a failed transcript
            pool.release(lease, broken=True)
            return self._failed(duration, phrases, exc)
        lease.audio_seconds += duration
        pool.release(lease)
        return _to_transcript(results, offset, duration, phrases, self._clock() - started)

    @staticmethod
    def _failed(duration: float, phrases: tuple[str, ...] | None, exc: BaseException) -> Transcript:
        return Transcript("", TranscriptStatus.FAILED, duration, grammar=phrases,
                          reason=f"语音识别失败：{type(exc).__name__}: {exc}")

    def status(self) -> dict[str, Any]:
        """What the console shows: model, whether speech is on and why not, pools, work in flight."""
        model = self._model
        pool = self._pool.status() if self._pool is not None else None
        return {
            "enabled": self.available,
            "summary": "语音识别已启用" if self.available else model.reason,
            "model_path": model.model_path,
            "reason": model.reason,
            "error_id": getattr(model, "error_id", None),
            "load_seconds": getattr(model, "load_seconds", None),
            "sample_rate": self._sample_rate,
            "in_flight": self._in_flight,
            "pool": pool,
        }

    async def aclose(self) -> None:
        """Close the pool; shut down the executor if we created it (waits for running decodes)."""
        if self._pool is not None:
            self._pool.close()
        if self._own_executor:
            await asyncio.get_running_loop().run_in_executor(None, self._executor.shutdown, True)
