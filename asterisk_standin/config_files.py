"""Reader for Asterisk `.conf` files (sections, `=`/`=>` items, `;` comments, `#include`).

A small reader instead of pyst2's asterisk.config: that one keeps items in a dict-like
structure per category and loses the order/duplicates we need for `exten =>`/`same =>`
and `member =>` lines, and it does not follow `#include`.

Lines end at "\n" only, as Asterisk's config.c reads them (fgets); str.splitlines would
also break at U+0085, U+2028, U+2029, \v, \f, \x1c-\x1e and a lone \r, so a comment holding
one of them could smuggle an extension into the stand-in's dialplan that Asterisk never
sees (issue 11.7). Blanks stripped are Asterisk's too: bytes up to the space.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

BLANKS = "".join(chr(c) for c in range(33))  # ast_strip(): everything <= ' ' (so a CRLF's \r goes)


class ConfigError(Exception):
    error_id = "standin.config"


@dataclass
class Section:
    name: str
    items: list[tuple[str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in reversed(self.items):
            if k == key:
                return v
        return default

    def get_all(self, key: str) -> list[str]:
        return [v for k, v in self.items if k == key]


def strip_comment(line: str) -> str:
    out = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] == ";":
            out.append(";")
            i += 2
            continue
        if ch == ";":
            break
        out.append(ch)
        i += 1
    return "".join(out).strip(BLANKS)


def parse_config_text(text: str, *, base_dir: Path | None = None, _depth: int = 0) -> list[Section]:
    """Parse config text into ordered sections (items before any section go to `general`-less '')."""
    if _depth > 10:
        raise ConfigError("#include nesting too deep")
    sections: list[Section] = []
    current: Section | None = None
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = strip_comment(raw)
        if not line:
            continue
        if line.startswith("#include") or line.startswith("#tryinclude"):
            name = line.split(None, 1)[1].strip(BLANKS).strip('"').strip("<>") if " " in line else ""
            if base_dir is None or not name:
                continue
            path = (base_dir / name) if not Path(name).is_absolute() else Path(name)
            if not path.exists():
                if line.startswith("#tryinclude"):
                    continue
                raise ConfigError(f"#include file not found: {name}")
            for sec in parse_config_text(path.read_text("utf-8"), base_dir=path.parent, _depth=_depth + 1):
                if current is not None and sec.name == "":
                    current.items.extend(sec.items)
                    current.lines.extend(sec.lines)
                else:
                    sections.append(sec)
                    current = sec
            continue
        if line.startswith("["):
            end = line.find("]")
            if end < 0:
                raise ConfigError(f"line {lineno}: bad section header {line!r}")
            current = Section(line[1:end].strip(BLANKS))
            sections.append(current)
            continue
        if current is None:
            current = Section("")
            sections.append(current)
        if "=>" in line and ("=" not in line.split("=>", 1)[0]):
            key, value = line.split("=>", 1)
        elif "=" in line:
            key, value = line.split("=", 1)
            value = value[1:] if value.startswith(">") else value
        else:
            raise ConfigError(f"line {lineno}: no '=' in {line!r}")
        current.items.append((key.strip(BLANKS), value.strip(BLANKS)))
        current.lines.append(lineno)
    return sections


def read_config(path: Path) -> list[Section]:
    if not path.exists():
        return []
    return parse_config_text(path.read_text("utf-8"), base_dir=path.parent)


def section_map(sections: list[Section]) -> dict[str, Section]:
    """Merge sections of the same name (Asterisk appends repeated categories)."""
    merged: dict[str, Section] = {}
    for sec in sections:
        if sec.name in merged:
            merged[sec.name].items.extend(sec.items)
        else:
            merged[sec.name] = Section(sec.name, list(sec.items), list(sec.lines))
    return merged
