"""Transcribe, later, what could not be transcribed during the call.

Intake audio is always kept; when speech was off or decoding failed the ticket says
"transcript pending". Once a model is available this sweep fills those transcripts in,
so no citizen's words stay unread because the recognizer was down at the time.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ivr.speech.errors import SpeechError

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    done: int = 0
    failed: int = 0
    missing_audio: int = 0


async def transcribe_pending(tickets, transcriber, *, limit: int = 20) -> SweepReport:
    """One pass; safe to run repeatedly (each ticket leaves the pending list once handled)."""
    report = SweepReport()
    if not getattr(transcriber, "available", False):
        return report
    for ticket in await tickets.pending_transcripts(limit=limit):
        path = Path(ticket.audio_ref)
        if not path.is_file():
            report.missing_audio += 1
            log.warning("speech.sweep ticket=%s audio missing: %s", ticket.number, path)
            await tickets.attach_transcript(ticket.number, None, "failed", "speech-sweep")
            continue
        try:
            result = await transcriber.transcribe(str(path))
        except SpeechError as exc:
            report.failed += 1
            log.warning("speech.sweep ticket=%s failed: %s", ticket.number, exc)
            await tickets.attach_transcript(ticket.number, None, "failed", "speech-sweep")
            continue
        status = str(getattr(result.status, "value", result.status))
        if status in ("done", "empty"):
            await tickets.attach_transcript(ticket.number, result.text or "", "done", "speech-sweep")
            report.done += 1
        else:
            report.failed += 1
    return report
