"""Read and check 8 kHz 16-bit mono PCM; resampling is not our job (the AGI records 8 kHz)."""
from __future__ import annotations

import os
import wave

from ivr.speech.errors import AudioFileError, AudioFormatError

SAMPLE_WIDTH = 2


def read_wav(path: str | os.PathLike[str], sample_rate: int) -> bytes:
    """The PCM frames of a WAV file, or a typed error naming what is wrong with it."""
    try:
        with wave.open(os.fspath(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            if channels != 1 or width != SAMPLE_WIDTH or rate != sample_rate:
                raise AudioFormatError(
                    f"{path}: need {sample_rate} Hz 16-bit mono, got {rate} Hz {width * 8}-bit {channels}-channel"
                )
            return wav.readframes(wav.getnframes())
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise AudioFileError(f"{path}: cannot read recording: {exc}") from exc
    except (wave.Error, EOFError) as exc:
        raise AudioFormatError(f"{path}: not a PCM WAV file: {exc}") from exc


def check_rate(sample_rate: int, expected_rate: int) -> None:
    if sample_rate != expected_rate:
        raise AudioFormatError(f"need {expected_rate} Hz audio, got {sample_rate} Hz (no resampling)")


def check_pcm(pcm: bytes, sample_rate: int, expected_rate: int) -> None:
    check_rate(sample_rate, expected_rate)
    if len(pcm) % SAMPLE_WIDTH:
        raise AudioFormatError(f"16-bit PCM must have an even byte count, got {len(pcm)} bytes")


def duration_seconds(pcm: bytes, sample_rate: int) -> float:
    return len(pcm) / (SAMPLE_WIDTH * sample_rate)
