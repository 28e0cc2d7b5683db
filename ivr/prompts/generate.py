"""Make placeholder prompt audio: `hotline prompts install --dir DIR` (or `python -m ivr.prompts.generate --out DIR`).

Writes DIR/<lang>/<name>.wav for every prompt and language (DIR being Asterisk's sounds
directory, `hotline/welcome` lands in DIR/zh/hotline/welcome.wav), plus DIR/beep.wav. Existing files are
left alone unless --force, because operators drop their recorded prompts over the placeholders.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ivr.prompts.catalogue import LANGUAGES, PromptCatalogue, load_catalogue
from ivr.prompts.errors import PromptError
from ivr.prompts.speakable import VOICES, speakable
from ivr.prompts.synth import Runner, beep, require_tools, run_checked, synthesise


def generate(catalogue: PromptCatalogue, out_dir: Path, languages: Sequence[str] = LANGUAGES, *,
             force: bool = False, run: Runner = run_checked) -> tuple[list[Path], list[Path]]:
    """Returns (written, kept): files made now and existing files left untouched."""
    written: list[Path] = []
    kept: list[Path] = []

    def make(path: Path, producer) -> None:
        if path.exists() and not force:
            kept.append(path)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        producer(path)
        written.append(path)

    make(out_dir / "beep.wav", lambda p: beep(p, run))
    for lang in languages:
        for prompt in catalogue.prompts.values():
            if lang in prompt.texts:
                text = speakable(prompt.example_text(lang), lang)
                make(out_dir / lang / f"{prompt.name}.wav", lambda p, t=text, v=VOICES[lang]: synthesise(t, v, p, run))
    return written, kept


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ivr.prompts.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="output directory (e.g. a sounds/ dir)")
    parser.add_argument("--catalogue", type=Path, help="prompt catalogue TOML (default: the shipped one)")
    parser.add_argument("--lang", action="append", choices=LANGUAGES, help="language(s); default all")
    parser.add_argument("--force", action="store_true", help="overwrite existing files (recorded prompts!)")
    args = parser.parse_args(argv)
    try:
        require_tools()
        catalogue = load_catalogue(args.catalogue)
        written, kept = generate(catalogue, args.out, args.lang or LANGUAGES, force=args.force)
    except PromptError as exc:
        print(f"错误 [{exc.error_id}]：{exc}", file=sys.stderr)
        return 2
    print(f"生成 {len(written)} 个文件，保留已有 {len(kept)} 个：{args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
