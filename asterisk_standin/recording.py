"""Writing recordings as real 8 kHz 16-bit mono WAV files (RECORD FILE, MixMonitor)."""
from __future__ import annotations

import array
import wave
from pathlib import Path

RATE = 8000


def read_speech(path: Path) -> array.array:
    """Samples of a WAV converted to 8 kHz 16-bit mono (naive decimation, channel 0)."""
    with wave.open(str(path), "rb") as w:
        width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError("only 16-bit WAV speech files are supported")
    samples = array.array("h")
    samples.frombytes(raw)
    if channels > 1:
        samples = samples[::channels]
    if rate != RATE:
        step = rate / RATE
        samples = array.array("h", (samples[int(i * step)] for i in range(int(len(samples) / step))))
    return samples


def write_recording(target: Path, n_samples: int, speech: Path | None) -> None:
    """Write `n_samples` of audio: the citizen's speech (if any) then silence."""
    target.parent.mkdir(parents=True, exist_ok=True)
    data = array.array("h", bytes(2 * n_samples))
    if speech is not None:
        voice = read_speech(speech)[:n_samples]
        data[: len(voice)] = voice
    with wave.open(str(target), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data.tobytes())
