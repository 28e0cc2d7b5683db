"""The stand-in finds sounds in Asterisk 22's language order (main/file.c): zh_CN, zh, none, en.

Trace 17: on a `zh` channel, `STREAM FILE hotline/emergency-transfer` played the file from en/
(`endpos=35217`) although zh/ lacked it; a prompt found in no language failed (`endpos=0`)."""
from __future__ import annotations

import wave

from asterisk_standin.sounds import prompt_duration


def _wav(path, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))


def test_a_prompt_missing_in_zh_is_played_from_en_or_from_no_language_and_only_then_fails(tmp_path):
    _wav(tmp_path / "en" / "hotline" / "emergency-transfer.wav", 2.0)
    _wav(tmp_path / "hotline" / "goodbye.wav", 1.5)
    _wav(tmp_path / "zh" / "hotline" / "welcome.wav", 3.0)
    assert prompt_duration(tmp_path, "hotline/emergency-transfer", "zh") == 2.0
    assert prompt_duration(tmp_path, "hotline/goodbye", "zh") == 1.5
    assert prompt_duration(tmp_path, "hotline/welcome", "zh_CN") == 3.0
    assert prompt_duration(tmp_path, "hotline/after-hours-menu", "zh") is None
    assert prompt_duration(tmp_path, "hotline/welcome", "yue") is None  # zh is no fallback for yue
