"""Small audio helpers shared by the speech tests (no tools needed)."""
from __future__ import annotations

import asyncio
import wave
from pathlib import Path

# Picked because the Korean test model decodes them the same way every time (vosk is not
# bit-for-bit deterministic on every phrase: a low-confidence word can flip between runs).
PHRASE_A = "서울 시청 물이 안 나와요"
PHRASE_B = "안녕하세요 민원 접수 부탁합니다"
GRAMMAR = ["서울", "물이", "안녕하세요", "네", "아니요"]

def write_wav(path: Path, *, rate: int = 8000, channels: int = 1, width: int = 2, frames: int = 800) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(b"\x00" * frames * channels * width)
    return path


def pcm_of(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


def stray_tasks() -> set[asyncio.Task]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}
