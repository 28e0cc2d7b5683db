"""Pure text clean-up of vosk output."""
from __future__ import annotations

import re

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_SPACE_BETWEEN_HAN = re.compile(f"(?<=[{_HAN}])\\s+(?=[{_HAN}])")


def normalise_text(text: str) -> str:
    """Mandarin vosk models put a space between every character; Chinese is written without.

    Spaces next to Latin words or digits and between Hangul words are kept.
    """
    return _SPACE_BETWEEN_HAN.sub("", " ".join(text.split()))
