"""Which catalogued prompts Asterisk would not find: a missing file ends the AGI session FAILURE.

Asterisk 22 (main/file.c, fileexists_core) looks for `hotline/welcome` on a channel whose language is
`zh_CN` as <sounds>/zh_CN/hotline/welcome, then <sounds>/zh/…, then <sounds>/hotline/welcome without
a language, and last <sounds>/en/… (its default language); any format it can play counts. So a
prompt missing under zh/ but present under en/ is played, in English (trace 17 shows exactly that).
Checked at start-up where the engine can see the sounds directory (`[ivr] sounds_dir`), and
reported by the health checks (degraded).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ivr.prompts.catalogue import PromptCatalogue

FORMATS = ("wav", "WAV", "gsm", "ulaw", "alaw", "sln", "sln16", "g722", "wav16")
DEFAULT_LANGUAGE = "en"  # Asterisk's DEFAULT_LANGUAGE (include/asterisk.h)


def search_order(language: str) -> list[str]:
    """Language directories in Asterisk's order; "" is the sounds directory itself."""
    order: list[str] = []
    lang = language
    while lang:
        order.append(lang)
        if "_" not in lang:
            break
        lang = lang.rsplit("_", 1)[0]
    order.append("")
    if language != DEFAULT_LANGUAGE and lang != DEFAULT_LANGUAGE:
        order.append(DEFAULT_LANGUAGE)
    return order


def find_prompt(sounds_dir: Path, name: str, language: str) -> Path | None:
    """The file Asterisk would play for `name` on a channel in `language`, None if it would fail."""
    for lang in search_order(language):
        base = sounds_dir / lang / name if lang else sounds_dir / name
        for ext in FORMATS:
            candidate = base.with_name(f"{base.name}.{ext}")
            if candidate.is_file():
                return candidate
    return None


def missing_prompts(catalogue: PromptCatalogue, sounds_dir: Path, languages: Iterable[str]) -> list[str]:
    """`<lang>/<name>` for each prompt Asterisk would find in no language it tries, in catalogue order."""
    return [f"{lang}/{name}" for lang in languages for name in catalogue.names
            if find_prompt(sounds_dir, name, lang) is None]
