"""Typed speech errors; `error_id` is stable so logs and the console can key on it."""
from __future__ import annotations


class SpeechError(Exception):
    error_id = "speech.error"


class AudioFormatError(SpeechError):
    """The audio is not 16-bit mono PCM at the expected rate; we never resample."""

    error_id = "speech.audio_format"


class AudioFileError(AudioFormatError):
    """The recording file is missing or unreadable."""

    error_id = "speech.audio_file"


class GrammarError(SpeechError):
    error_id = "speech.grammar_invalid"


class PoolClosedError(SpeechError):
    error_id = "speech.pool_closed"
