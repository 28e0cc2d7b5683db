"""Typed results of AGI commands (what a call flow receives back).

Values; treat them as immutable (not `frozen=True`: one is built per command and frozen
dataclasses cost three times as much to construct).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum


class ChannelState(IntEnum):
    DOWN = 0
    RESERVED = 1
    OFF_HOOK = 2
    DIALING = 3
    RING = 4
    RINGING = 5
    UP = 6
    BUSY = 7


@dataclass(slots=True)
class PlaybackResult:
    """`digit` pressed to interrupt (None if played to the end); `failed` e.g. missing sound file."""

    digit: str | None
    endpos: int | None = None
    failed: bool = False


@dataclass(slots=True)
class DigitsResult:
    digits: str
    timed_out: bool


class RecordOutcome(Enum):
    DTMF = "dtmf"
    TIMEOUT = "timeout"
    SILENCE = "silence"
    HANGUP = "hangup"
    WRITEFILE_ERROR = "writefile"
    ERROR = "error"


@dataclass(slots=True)
class RecordResult:
    """RECORD FILE: silence detection also says `(timeout)`, but with result=<ms left> > 0."""

    outcome: RecordOutcome
    endpos: int | None = None
    digit: str | None = None
