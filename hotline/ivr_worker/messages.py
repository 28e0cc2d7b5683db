"""What the engine process and its IVR worker say to each other: one JSON object per line.

Pure: bytes in, a `Message` out, so both sides and their tests share the one reading.

engine → worker:  config {config}            the engine's validated configuration, first and once
                  changed {what}              an admin saved lines or a console setting: re-read it
worker → engine:  ready {pid, port}           the worker's FastAGI accepts calls
                  follow_ivr {channel, ...}   an emergency decision: the linkage ledger follows the Dial()
                  status {fastagi, drafts}    every few seconds: FastAGI's counts (refused peers…) for /admin/health
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MAX_LINE = 1 << 20  # the config is the largest message (a few kB); anything this long is not ours
KINDS = frozenset({"config", "changed", "ready", "follow_ivr", "status"})


class MessageError(ValueError):
    """A line that is not one of our messages (logged and skipped by the reader)."""


@dataclass(frozen=True)
class Message:
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def encode(kind: str, **data: Any) -> bytes:
    if kind not in KINDS:
        raise MessageError(f"unknown message kind {kind!r}")
    return json.dumps({"kind": kind, **data}, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> Message:
    if len(line) > MAX_LINE:
        raise MessageError(f"message over {MAX_LINE} bytes")
    try:
        obj = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MessageError(f"not JSON: {exc}") from None
    if not isinstance(obj, dict) or obj.get("kind") not in KINDS:
        raise MessageError(f"not a message: {line[:80]!r}")
    kind = obj.pop("kind")
    return Message(kind, obj)
