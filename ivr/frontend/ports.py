"""The collaborators the front end talks to, as small protocols, and what it hands them.

The real ones: queues.lines.LineService, tickets.TicketService, ivr.speech.Transcriber,
ivr.classify.Classifier; live queue state and the emergency-linkage log are wired by the lead.
Methods may be plain or async: the driver awaits whatever is awaitable.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ivr.frontend.menus import MenuBook
from ivr.frontend.settings import FrontEndSettings
from queues.routing import LineInfo


class Lines(Protocol):
    def get(self, number: str) -> Awaitable[LineInfo | None] | LineInfo | None: ...


class LiveQueues(Protocol):
    """Live queue state (from AMI). `since`: callers who joined before that instant are ahead."""

    def available_agents(self, queue: str) -> Awaitable[int] | int: ...

    def accepts_callers(self, queue: str) -> Awaitable[bool] | bool: ...

    def callers_ahead(self, queue: str, since: datetime) -> Awaitable[int] | int: ...


class TranscriptLike(Protocol):
    text: str
    status: str  # done | empty | pending | failed (ivr.speech.TranscriptStatus)


class Transcribing(Protocol):
    def transcribe(self, audio: str, sample_rate: int = 8000) -> Awaitable[TranscriptLike]: ...


class Classifying(Protocol):
    """ivr.classify.Classifier: `.best_type.code` (tickets RequestType) and `.best_category.label`."""

    def classify(self, text: str) -> Any: ...


class EmergencyHit(Protocol):
    target: str   # 110 | 119 | 120 | 122
    word: str     # the trigger word found, e.g. 着火


class EmergencyDetecting(Protocol):
    def detect(self, text: str) -> EmergencyHit | None: ...


class TicketDrafts(Protocol):
    """tickets.TicketService."""

    def create_draft(self, **fields: Any) -> Awaitable[Any]: ...


@dataclass(frozen=True)
class Linkage:
    """One emergency linkage (紧急联动) decided by the IVR, to be logged on the ticket.

    `result` is 'routed' here; answered/busy comes later from AMI (not the IVR's business).
    """

    at: datetime
    target: str
    trigger: str
    trigger_kind: str  # keyword | menu
    result: str = "routed"


class LinkageLog(Protocol):
    def record_linkage(self, ticket_number: str, linkage: Linkage) -> Awaitable[None] | None: ...


class LinkageFollow(Protocol):
    """The linkage ledger follows the dialplan's Dial() to the emergency line the IVR chose (its outcome)."""

    def follow(self, channel: str, call_id: str | None, caller: str | None, ticket: str | None,
               linkage: Linkage) -> Awaitable[None] | None: ...


@dataclass(frozen=True)
class IvrDeps:
    """Everything the `ivr` route needs, injected. `clock()` returns an aware datetime.

    `recordings_dir` is where Asterisk writes intake audio (RECORD FILE) and where the
    transcriber reads it: the same path on both sides (one host or a shared mount).
    """

    settings: FrontEndSettings
    menus: MenuBook
    lines: Lines
    tickets: TicketDrafts
    clock: Callable[[], datetime]
    recordings_dir: Path
    live: LiveQueues | None = None
    transcriber: Transcribing | None = None
    classifier: Classifying | None = None
    emergency: EmergencyDetecting | None = None
    linkage_log: LinkageLog | None = None
    linkage_follow: LinkageFollow | None = None
    queue_waits: Callable[[str], int | None] | None = None  # queue -> seconds before the callback list
    status_lookup: Any = None  # ivr.frontend.status_line.StatusLookup: the 工单查询 status line
