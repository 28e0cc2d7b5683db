"""The front end against the real collaborators it will be wired to (speech without model, emergency words)."""
from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

from ivr.classify import EmergencyDetector, default_emergency_rules
from ivr.frontend import drive, ivr_flow
from ivr.speech import Transcriber, load_speech_model
from tickets import TranscriptStatus

from frontend_support import FakeChannel, FakeLinkageLog, FakeLive, FakeTranscriber, call, make_deps


async def test_given_real_transcriber_without_model_when_intake_then_ticket_pending_with_audio(
        tmp_path, ticket_service):
    executor = ThreadPoolExecutor(max_workers=1)
    transcriber = Transcriber(await load_speech_model(None), executor=executor)
    try:
        deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0), transcriber=transcriber)
        out = await drive(FakeChannel(), ivr_flow(call("12345"), deps))
    finally:
        await transcriber.aclose()
        executor.shutdown(wait=True)
    ticket = await ticket_service.get(out.ticket)
    assert ticket.transcript_status is TranscriptStatus.PENDING and ticket.audio_ref.endswith(".wav")
    assert out.variables["HOTLINE_ACTION"] == "queue"


async def test_given_real_emergency_words_when_fire_reported_then_119_linkage(tmp_path):
    log = FakeLinkageLog()
    deps = make_deps(tmp_path, live=FakeLive(free=0), linkage_log=log, transcriber=FakeTranscriber("我家厨房着火了"))
    deps = dataclasses.replace(deps, emergency=EmergencyDetector(default_emergency_rules()))
    out = await drive(FakeChannel(), ivr_flow(call("12345"), deps))
    assert out.variables["HOTLINE_EMERGENCY"] == "119"
    assert log.logged[0][1].trigger == "着火"
