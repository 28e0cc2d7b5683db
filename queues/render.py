"""Render the Asterisk include files (queues and dialplan) from the merged-hotline data.

Values come from admins through the console, so everything interpolated is checked
against a strict pattern first: a line name cannot smuggle a newline or a `[section]`
into Asterisk's configuration.
"""
from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from queues.models import GENERAL_QUEUE, MODE_LABELS, MergeMode
from queues.routing import LineInfo

TEMPLATES = Path(__file__).parent / "templates"
QUEUES_FILE = "hotline-queues.conf"
LINES_FILE = "hotline-lines.conf"

_NUMBER = re.compile(r"^[0-9]{3,15}$")
_QUEUE = re.compile(r"^[a-z][a-z0-9_-]{1,62}$")


class RenderError(ValueError):
    error_id = "lines.invalid"


@dataclass(frozen=True)
class QueueDef:
    name: str
    label: str
    strategy: str = "rrmemory"
    ring_timeout: int = 15
    wrapuptime: int = 10
    # A dedicated queue with nobody available sends the caller straight on to the pool.
    joinempty: str = "yes"
    leavewhenempty: str = "no"


# Control characters (C0, DEL, C1 with U+0085) and the Unicode line/paragraph separators:
# some readers (str.splitlines, editors, log viewers) break lines at them.
_BREAKING = frozenset({"Cc", "Zl", "Zp"})


def has_breaking_chars(text: str) -> bool:
    """True when `text` holds a control character or a Unicode line/paragraph separator."""
    return any(unicodedata.category(ch) in _BREAKING for ch in text)


def _comment_safe(text: str) -> str:
    text = "".join(" " if unicodedata.category(ch) in _BREAKING else ch for ch in text)
    return re.sub(r"[;\[\]]", " ", text).strip()[:60]


def validate_line(line: LineInfo) -> None:
    if not _NUMBER.match(line.number):
        raise RenderError(f"line number {line.number!r}: expected 3-15 digits")
    if line.queue is not None and not _QUEUE.match(line.queue):
        raise RenderError(f"line {line.number} queue {line.queue!r}: expected lower-case letters, digits, '-' "
                          "or '_', starting with a letter")
    if line.mode is MergeMode.PARALLEL and not line.queue:
        raise RenderError(f"line {line.number} ({MODE_LABELS[line.mode]}): a dedicated queue (专席队列) is required")


def validate_name(line: LineInfo) -> None:
    """Checked when a line is saved; rendering still copes (comment-safe) with a name stored earlier."""
    if has_breaking_chars(line.name):
        raise RenderError(f"line {line.number} name {line.name!r}: expected no control characters or "
                          "line separators (U+0085, U+2028, U+2029)")


def queue_defs(lines: Iterable[LineInfo], general_queue: str = GENERAL_QUEUE,
               settings: Mapping[str, object] | None = None) -> list[QueueDef]:
    """`settings`: queue -> QueueSettings an admin saved (strategy, ring timeout, wrap-up)."""
    defs = {general_queue: QueueDef(general_queue, "12345 总坐席 general pool")}
    for line in lines:
        if line.queue and line.queue not in defs and line.enabled:
            strict = "paused,unavailable,invalid" if line.mode is MergeMode.PARALLEL else "yes"
            defs[line.queue] = QueueDef(line.queue, _comment_safe(f"{line.name} {MODE_LABELS[line.mode]}"),
                                        joinempty=strict, leavewhenempty="no")
    for name, chosen in (settings or {}).items():
        if name in defs:
            defs[name] = dataclasses.replace(defs[name], strategy=chosen.strategy, ring_timeout=chosen.ring_timeout,
                                             wrapuptime=chosen.wrapuptime)
    return list(defs.values())


def render(lines: Iterable[LineInfo], emergency: Mapping[str, str] | None = None,
           emergency_ring_timeout: int = 60, general_queue: str = GENERAL_QUEUE,
           agi_url: str | None = None, queue_settings: Mapping[str, object] | None = None) -> dict[str, str]:
    """-> {file name: text} for the queues and dialplan include files.

    `emergency` maps 110/119/120/122 to dial strings (config [emergency]), already validated.
    """
    lines = sorted((line for line in lines if line.enabled), key=lambda line: line.number)
    for line in lines:
        validate_line(line)
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, keep_trailing_newline=True,
                      trim_blocks=True, lstrip_blocks=True)
    shown = [{"number": line.number, "name": _comment_safe(line.name), "mode_label": MODE_LABELS[line.mode]}
             for line in lines]
    return {
        QUEUES_FILE: env.get_template(QUEUES_FILE + ".j2").render(queues=queue_defs(lines, general_queue, queue_settings)),
        LINES_FILE: env.get_template(LINES_FILE + ".j2").render(
            lines=shown, emergency=sorted((emergency or {}).items()), ring_timeout=emergency_ring_timeout,
            agi_url=_agi_url(agi_url)),
    }


def _agi_url(url: str | None) -> str | None:
    """The engine's address goes into Asterisk config: one line, no comment or include syntax."""
    if url is not None and not re.fullmatch(r"agi://[A-Za-z0-9.\-\[\]:]+", url):
        raise ValueError(f"AGI address {url!r} is not agi://host:port")
    return url


def diff(directory: Path, rendered: dict[str, str]) -> str:
    """Unified diff of what is installed in `directory` against what would be written."""
    chunks = []
    for name, new in rendered.items():
        path = directory / name
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        chunks.extend(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                           fromfile=f"a/{name}", tofile=f"b/{name}"))
    return "".join(chunks)


def write_atomically(directory: Path, rendered: dict[str, str]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered.items():
        path = directory / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written
