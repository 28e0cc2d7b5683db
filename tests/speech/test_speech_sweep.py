"""Intake audio left "transcript pending" is transcribed once speech is available."""
from __future__ import annotations

import wave
from datetime import UTC, datetime

from hotline.db import Base, make_engine, make_sessionmaker
from ivr.speech.sweep import transcribe_pending
from tickets import DeadlineRules, TicketService, WorkCalendar
from tickets.models import TABLES


class Heard:
    available = True

    def __init__(self, text: str) -> None:
        self.text, self.calls = text, 0

    async def transcribe(self, audio, sample_rate: int = 8000):
        self.calls += 1
        return type("T", (), {"text": self.text, "status": "done"})()


def _wav(path):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 800)
    return path


async def test_pending_transcripts_are_filled_in_and_missing_audio_is_marked_failed(tmp_path, database_url):
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=list(TABLES)))
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=list(TABLES)))
    try:
        tickets = TicketService(make_sessionmaker(engine), lambda: datetime(2026, 11, 22, 3, tzinfo=UTC),
                                WorkCalendar.shipped(), DeadlineRules.defaults())
        kept = await tickets.create_draft(caller="13800138000", audio_ref=str(_wav(tmp_path / "a.wav")),
                                          transcript_status="pending")
        lost = await tickets.create_draft(caller="13800138001", audio_ref=str(tmp_path / "gone.wav"),
                                          transcript_status="pending")
        heard = Heard("家门口的路灯坏了")

        report = await transcribe_pending(tickets, heard)

        assert (report.done, report.missing_audio) == (1, 1)
        after = await tickets.get(kept.number)
        assert (after.transcript, after.transcript_status.value) == ("家门口的路灯坏了", "done")
        assert (await tickets.get(lost.number)).transcript_status.value == "failed"
        assert (await transcribe_pending(tickets, heard)).done == 0  # nothing left: each is handled once
        assert heard.calls == 1
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=list(TABLES)))
        await engine.dispose()


async def test_the_sweep_does_nothing_while_speech_is_off(tmp_path):
    class Off:
        available = False

    class NoTickets:
        async def pending_transcripts(self, limit):
            raise AssertionError("must not be asked")

    report = await transcribe_pending(NoTickets(), Off())
    assert (report.done, report.failed) == (0, 0)
