"""Turn prompt text into what espeak-ng can say; pure functions.

espeak-ng's `cmn` voice spells Chinese characters out as letters on Debian, so Mandarin goes
through its `cmn-latn-pinyin` voice as tone-numbered pinyin (pypinyin). Digits are read one by one,
as numbers are on a hotline ("12345" → 一二三四五).
"""
from __future__ import annotations

import re

from ivr.prompts.errors import ToolMissingError

VOICES = {"zh": "cmn-latn-pinyin", "yue": "yue", "en": "en-us"}
_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")
_PUNCT = str.maketrans({"，": ", ", "。": ". ", "；": "; ", "：": ": ", "！": "! ", "？": "? ", "、": ", "})


def digits_to_hanzi(text: str) -> str:
    return text.translate(_DIGITS)


def to_pinyin(text: str) -> str:
    """Chinese text as tone-numbered pinyin syllables, punctuation kept for pauses."""
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError as exc:
        raise ToolMissingError("需要 pypinyin 才能生成普通话提示音：pip install pypinyin") from exc
    syllables = lazy_pinyin(digits_to_hanzi(text), style=Style.TONE3, neutral_tone_with_five=True)
    return re.sub(r"\s+", " ", " ".join(syllables).translate(_PUNCT)).strip()


def speakable(text: str, lang: str) -> str:
    if lang == "zh":
        return to_pinyin(text)
    if lang == "yue":
        return digits_to_hanzi(text)
    return re.sub(r"\d{3,}", lambda m: " ".join(m.group()), text)
