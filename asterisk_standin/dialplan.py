"""extensions.conf → contexts, extensions, priorities, labels, includes; pattern matching."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .config_files import ConfigError, Section


@dataclass
class Step:
    priority: int
    label: str | None
    app: str
    data: str


@dataclass
class Extension:
    pattern: str
    steps: dict[int, Step] = field(default_factory=dict)

    def by_label(self, label: str) -> int | None:
        for prio, step in self.steps.items():
            if step.label == label:
                return prio
        return None


@dataclass
class Context:
    name: str
    extensions: dict[str, Extension] = field(default_factory=dict)
    includes: list[str] = field(default_factory=list)


_PRIO_RE = re.compile(r"^\s*([^\s(]+)\s*(?:\(([^)]*)\))?\s*$")


def split_app(text: str) -> tuple[str, str]:
    """`App(args)` → ("App", "args"); `App` → ("App", "")."""
    text = text.strip()
    paren = text.find("(")
    if paren < 0:
        return text, ""
    name = text[:paren].strip()
    data = text[paren + 1 :]
    if data.endswith(")"):
        data = data[:-1]
    return name, data


def _split_top(text: str, sep: str = ",", limit: int = -1) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0 and (limit < 0 or len(parts) < limit):
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def parse_dialplan(sections: list[Section]) -> dict[str, Context]:
    contexts: dict[str, Context] = {}
    for sec in sections:
        if sec.name in ("general", "globals", ""):
            continue
        ctx = contexts.setdefault(sec.name, Context(sec.name))
        last_ext: Extension | None = None
        for key, value in sec.items:
            key = key.lower()
            if key == "include":
                ctx.includes.append(value.strip())
                continue
            if key == "exten":
                parts = _split_top(value, ",", 2)
                if len(parts) < 3:
                    raise ConfigError(f"[{sec.name}] bad exten line: {value!r}")
                pattern = parts[0].strip()
                last_ext = ctx.extensions.setdefault(pattern, Extension(pattern))
                prio_text, app_text = parts[1], parts[2]
            elif key == "same":
                if last_ext is None:
                    raise ConfigError(f"[{sec.name}] 'same' without a preceding exten")
                parts = _split_top(value, ",", 1)
                if len(parts) < 2:
                    raise ConfigError(f"[{sec.name}] bad same line: {value!r}")
                prio_text, app_text = parts[0], parts[1]
            else:
                continue
            match = _PRIO_RE.match(prio_text)
            if not match:
                raise ConfigError(f"[{sec.name}] bad priority {prio_text!r}")
            ptxt, label = match.group(1), match.group(2)
            if ptxt == "hint":
                continue
            if ptxt == "n":
                prio = (max(last_ext.steps) + 1) if last_ext.steps else 1
            elif ptxt.isdigit():
                prio = int(ptxt)
            else:
                raise ConfigError(f"[{sec.name}] bad priority {prio_text!r}")
            app, data = split_app(app_text)
            last_ext.steps[prio] = Step(prio, label, app, data)
    return contexts


_CLASS = {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]"}


def pattern_regex(pattern: str) -> re.Pattern[str] | None:
    """Compile an Asterisk `_` pattern; None for a literal extension."""
    if not pattern.startswith("_"):
        return None
    out, i, body = [], 0, pattern[1:]
    while i < len(body):
        ch = body[i]
        up = ch.upper()
        if up in _CLASS:
            out.append(_CLASS[up])
        elif ch == "[":
            end = body.find("]", i)
            out.append("[" + body[i + 1 : end] + "]")
            i = end
        elif ch == ".":
            out.append(".+")
        elif ch == "!":
            out.append(".*")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("^" + "".join(out) + "$")


def _specificity(pattern: str) -> tuple[int, int]:
    wild = pattern.count(".") + pattern.count("!")
    return (wild, -len(pattern))


def match_extension(ctx: Context, exten: str) -> Extension | None:
    if exten in ctx.extensions:
        return ctx.extensions[exten]
    candidates = [e for e in ctx.extensions.values() if e.pattern.startswith("_")]
    for ext in sorted(candidates, key=lambda e: _specificity(e.pattern)):
        rx = pattern_regex(ext.pattern)
        if rx and rx.match(exten):
            return ext
    return None


def find_extension(contexts: dict[str, Context], context: str, exten: str, _seen: set[str] | None = None) -> Extension | None:
    """Look up an extension in a context and (depth-first) its includes."""
    seen = _seen if _seen is not None else set()
    if context in seen or context not in contexts:
        return None
    seen.add(context)
    ctx = contexts[context]
    found = match_extension(ctx, exten)
    if found:
        return found
    for inc in ctx.includes:
        found = find_extension(contexts, inc.split(",")[0].strip(), exten, seen)
        if found:
            return found
    return None
