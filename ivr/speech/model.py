"""Load the vosk model once, off the event loop, or explain in Chinese why speech is off.

Speech is optional: with no model (or a broken one) the engine still takes calls, keeps
the audio and marks transcripts pending, so loading never raises.
"""
from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any

NOT_CONFIGURED = "语音识别未启用：未配置模型"


@dataclass(frozen=True)
class LoadedModel:
    model_path: str
    vosk_model: Any = field(repr=False)
    load_seconds: float
    available: bool = field(default=True, init=False)
    reason: str | None = field(default=None, init=False)


@dataclass(frozen=True)
class SpeechUnavailable:
    """Speech is disabled; `reason` is shown to operators as is."""

    reason: str
    error_id: str
    model_path: str | None = None
    available: bool = field(default=False, init=False)


def _vosk_model_factory(log_level: int) -> Callable[[str], Any]:
    import vosk

    vosk.SetLogLevel(log_level)
    return vosk.Model


class _ModelMissing(Exception):
    pass


def _load(model_factory: Callable[[str], Any], path: str) -> Any:
    if not Path(path).is_dir():
        raise _ModelMissing(path)
    return model_factory(path)


async def load_speech_model(
    model_path: str | os.PathLike[str] | None,
    executor: Executor | None = None,
    *,
    model_factory: Callable[[str], Any] | None = None,
    log_level: int = -1,
    clock: Callable[[], float] = time.perf_counter,
) -> LoadedModel | SpeechUnavailable:
    """Return the loaded model, or a SpeechUnavailable carrying the reason; never raises."""
    if model_path is None or str(model_path).strip() == "":
        return SpeechUnavailable(NOT_CONFIGURED, "speech.model_not_configured")
    path = str(model_path)
    if model_factory is None:
        try:
            model_factory = _vosk_model_factory(log_level)
        except ImportError as exc:
            return SpeechUnavailable(f"语音识别未启用：未安装 vosk（{exc}）", "speech.vosk_missing", path)
    loop = asyncio.get_running_loop()
    started = clock()
    try:
        vosk_model = await loop.run_in_executor(executor, _load, model_factory, path)
    except _ModelMissing:
        return SpeechUnavailable(f"语音识别未启用：模型目录不存在（{path}）", "speech.model_missing", path)
    except Exception as exc:  # noqa: BLE001 - any failure means "speech off", never a crash
        return SpeechUnavailable(f"语音识别未启用：模型加载失败（{path}：{exc}）", "speech.model_load_failed", path)
    return LoadedModel(path, vosk_model, clock() - started)
