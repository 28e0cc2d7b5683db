"""Prompt lookup: duration of a sound file in simulated seconds (None = file missing)."""
from __future__ import annotations

import wave
from pathlib import Path

# The prompts of the trace lab (README: generated 8 kHz tones), used when no sounds_dir is set.
LAB_PROMPTS = {"beep": 0.25, "hello-world": 1.0, "ivr-welcome": 3.0, "ivr-menu": 4.0, "silence/1": 1.0,
               "pbx-transfer": 1.0, "pbx-invalid": 1.0, "privacy-incorrect": 1.0,
               **{f"digits/{d}": 0.3 for d in range(10)}}
DEFAULT_DURATION = 1.0


def prompt_duration(sounds_dir: Path | None, name: str, language: str = "en",
                    unknown_seconds: float | None = DEFAULT_DURATION) -> float | None:
    """Seconds of `name`, None when the file is missing (Asterisk then fails the playback).

    Without a sounds_dir the lab prompts have their trace durations and any other prompt lasts
    `unknown_seconds` (None = treat unknown prompts as missing, as the trace lab did).
    """
    if sounds_dir is None:
        return LAB_PROMPTS.get(name, unknown_seconds)
    candidates = []
    path = Path(name)
    if path.is_absolute():
        candidates = [path.with_suffix(".wav"), path]
    else:
        candidates = [(sounds_dir / lang if lang else sounds_dir) / f"{name}.wav" for lang in _languages(language)]
    for cand in candidates:
        if cand.is_file():
            try:
                with wave.open(str(cand), "rb") as w:
                    return w.getnframes() / float(w.getframerate())
            except (wave.Error, EOFError):
                return DEFAULT_DURATION
    return None


def _languages(language: str) -> list[str]:
    """Asterisk 22's order (main/file.c fileexists_core): zh_CN, zh, no language, then en."""
    order, lang = [], language
    while lang:
        order.append(lang)
        if "_" not in lang:
            break
        lang = lang.rsplit("_", 1)[0]
    order.append("")
    if language != "en" and lang != "en":
        order.append("en")
    return order
