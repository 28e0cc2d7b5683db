"""Which catalogued prompts Asterisk would not find: a missing file ends the AGI session FAILURE.

Asterisk looks for `hotline/welcome` on a `zh` channel as <sounds>/zh/hotline/welcome.<format>;
any format Asterisk can play counts. Checked at start-up where the engine can see the sounds
directory (`[ivr] sounds_dir`), and reported on /healthz.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ivr.prompts.catalogue import PromptCatalogue

FORMATS = ("wav", "WAV", "gsm", "ulaw", "alaw", "sln", "sln16", "g722", "wav16")


def missing_prompts(catalogue: PromptCatalogue, sounds_dir: Path, languages: Iterable[str]) -> list[str]:
    """`<lang>/<name>` for each prompt with no playable file, in catalogue order."""
    missing = []
    for lang in languages:
        for name in catalogue.names:
            base = sounds_dir / lang / name
            if not any(base.with_name(f"{base.name}.{ext}").is_file() for ext in FORMATS):
                missing.append(f"{lang}/{name}")
    return missing
