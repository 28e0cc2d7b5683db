"""Speech intake: while no agent is free, the citizen states the request after a tone.

The invite can be skipped with any key; RECORD FILE ends on max length, silence or any key,
and a hang-up is a normal end (the audio is kept). Transcription is bounded by
`transcribe_wait_seconds`: past it, or without a speech model, the ticket says `pending`.
"""
from __future__ import annotations

import asyncio
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ivr.fastagi import ChannelHungUp, CommandTimeout, ConnectionLost, FastAgiError, RecordFile, StreamFile
from ivr.fastagi import RecordOutcome
from ivr.frontend.callinfo import file_safe
from ivr.frontend.driver import Effect
from ivr.frontend.menu_flow import ANY_KEY
from ivr.frontend.ports import IvrDeps, Transcribing

_GONE = (ChannelHungUp, ConnectionLost, CommandTimeout)
SKIP_BELOW_SAMPLES = 8000   # RECORD FILE's endpos: about a second of 8 kHz audio
_KEEPS_AUDIO = {RecordOutcome.TIMEOUT, RecordOutcome.SILENCE, RecordOutcome.DTMF, RecordOutcome.HANGUP}
_TICKET_STATUS = {"done": "done", "empty": "done", "pending": "pending", "failed": "failed"}


@dataclass
class Intake:
    """What the intake produced; `transcript_status` uses the ticket codes (none/pending/done/failed)."""

    audio_ref: str | None = None
    transcript: str | None = None
    transcript_status: str = "none"
    outcome: str = "skipped"       # skipped | no-audio | timeout | silence | dtmf | hangup | ...
    hung_up: bool = False
    notes: list[str] = field(default_factory=list)


def intake_path(intake_dir: Path, call_id: str | None, local_now: datetime) -> Path:
    """<intake dir>/<yyyymmdd>/<call id> (no extension: RECORD FILE adds the format's).

    The configured directory is the intake directory itself (`ivr.intake_dir`): no second
    `intake/` level below it."""
    return intake_dir / f"{local_now:%Y%m%d}" / file_safe(call_id, f"call-{local_now:%H%M%S%f}")


def _make_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)


async def transcribe_within(transcriber: Transcribing, audio: str, wait_s: float) -> Any:
    """The transcript, or None when it takes longer than the caller should wait."""
    try:
        async with asyncio.timeout(wait_s):
            return await transcriber.transcribe(audio, sample_rate=8000)
    except TimeoutError:
        return None


def record(deps: IvrDeps, path: Path) -> Generator[Any, Any, Intake]:
    s = deps.settings
    intake = Intake()
    try:
        yield Effect(_make_dir, path.parent)
    except OSError as exc:
        intake.notes.append(f"intake directory not created ({exc}); Asterisk may still write it")
    try:
        command = RecordFile(str(path), s.record_format, ANY_KEY, s.max_record_seconds * 1000,
                             beep=s.beep, silence_s=s.silence_seconds or None)
    except (FastAgiError, ValueError) as exc:
        intake.outcome = "no-audio"
        intake.notes.append(f"intake path unusable for RECORD FILE: {exc}")
        return intake
    try:
        if s.prompts.intake_invite:
            played = yield StreamFile(s.prompts.intake_invite, ANY_KEY)
            if played.digit is not None:
                intake.outcome = "skipped"
                return intake
        try:
            result = yield command
        except (ConnectionLost, CommandTimeout):
            intake.audio_ref, intake.outcome, intake.hung_up = f"{path}.{s.record_format}", "lost", True
            return intake
        intake.outcome = result.outcome.value
        if result.outcome is RecordOutcome.DTMF and (result.endpos or 0) < SKIP_BELOW_SAMPLES:
            # a key straight after the beep (Asterisk: `200 result=35 (dtmf) endpos=0`, trace 29): the
            # caller wants an agent, not 20 s of thanks and a ticket number for a request never said
            intake.outcome = "skipped"
            return intake
        if result.outcome in _KEEPS_AUDIO:
            intake.audio_ref = f"{path}.{s.record_format}"
        else:
            intake.notes.append(f"RECORD FILE failed: {result.outcome.value}")
        if result.outcome is RecordOutcome.HANGUP:
            intake.hung_up = True
        elif s.prompts.intake_thanks:
            yield StreamFile(s.prompts.intake_thanks, "")
    except _GONE:
        intake.hung_up = True
        if intake.outcome == "skipped":
            intake.outcome = "no-audio"
    return intake


def transcribe(deps: IvrDeps, intake: Intake) -> Generator[Any, Any, Intake]:
    """Fills transcript and status; never raises (a failed transcript still files the ticket)."""
    if intake.audio_ref is None:
        return intake
    if deps.transcriber is None:
        intake.transcript_status = "pending"
        return intake
    if getattr(deps.transcriber, "saturated", False):
        # never wait on speech: the caller goes on to the queue, the sweep transcribes the audio later
        intake.transcript_status = "pending"
        intake.notes.append("recognizers all busy: transcript left pending for the sweep")
        return intake
    try:
        transcript = yield Effect(transcribe_within, deps.transcriber, intake.audio_ref,
                                  deps.settings.transcribe_wait_seconds)
    except Exception as exc:  # noqa: BLE001 - bad/missing audio: the ticket still gets filed
        intake.transcript_status = "failed"
        intake.notes.append(f"transcription failed: {type(exc).__name__}: {exc}")
        return intake
    if transcript is None:
        intake.transcript_status = "pending"
        intake.notes.append("transcription slower than transcribe_wait_seconds: left pending")
        return intake
    status = str(getattr(transcript, "status", "failed"))
    intake.transcript_status = _TICKET_STATUS.get(status, "failed")
    intake.transcript = (transcript.text or "").strip() or None
    return intake
