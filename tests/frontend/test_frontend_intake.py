"""Speech intake while no agent is free: every call that reached it leaves a ticket draft."""
from __future__ import annotations

import asyncio
import dataclasses

import pytest

from ivr.fastagi import ChannelHungUp, ConnectionLost, RecordOutcome, RecordResult
from ivr.frontend import FrontEndSettings, drive, ivr_flow
from tickets import RequestType, TranscriptStatus, Urgency

from frontend_support import (
    FakeChannel,
    FakeLinkageLog,
    FakeLive,
    FakeTickets,
    FakeTranscriber,
    call,
    key,
    make_deps,
)

AUDIO = "20261122/1795352725.1.wav"


def _audio(tmp_path) -> str:
    return str(tmp_path / "rec" / AUDIO)


async def test_given_no_agent_free_when_citizen_speaks_then_draft_with_transcript_and_guesses(
        tmp_path, ticket_service_any_db, no_stray_tasks):
    transcriber = FakeTranscriber("我要投诉楼下商铺晚上噪音太大")
    live = FakeLive(free=0, ahead=2)
    deps = make_deps(tmp_path, tickets=ticket_service_any_db, live=live, transcriber=transcriber)
    channel = FakeChannel()
    out = await drive(channel, ivr_flow(call("12345", callerid="138-0013-8000"), deps))
    assert channel.lines("RECORD FILE") == [
        f'RECORD FILE {tmp_path}/rec/20261122/1795352725.1 wav "0123456789*#" 60000 0 BEEP s=3\n']
    assert channel.lines("STREAM FILE")[1:] == ['STREAM FILE hotline/intake-invite "0123456789*#"\n',
                                                'STREAM FILE hotline/intake-thanks ""\n',
                                                'STREAM FILE hotline/ticket-number ""\n',
                                                'STREAM FILE hotline/ticket-number-after ""\n']
    assert transcriber.paths == [_audio(tmp_path)]
    ticket = await ticket_service_any_db.get(out.ticket)
    # the caller is told the new ticket's number, digit by digit, before going on to the queue
    assert channel.lines("SAY DIGITS") == [f'SAY DIGITS {ticket.number} ""\n']
    assert ticket.transcript == "我要投诉楼下商铺晚上噪音太大"
    assert ticket.transcript_status is TranscriptStatus.DONE
    assert ticket.audio_ref == _audio(tmp_path)
    assert ticket.request_type is RequestType.COMPLAINT and ticket.category == "噪声扰民"
    assert ticket.caller == "13800138000" and ticket.call_id == "1795352725.1" and ticket.line_dialed == "12345"
    assert out.variables["HOTLINE_TICKET"] == ticket.number
    assert out.variables["HOTLINE_ACTION"] == "queue" and out.variables["HOTLINE_QUEUE_POSITION"] == "3"
    assert (tmp_path / "rec" / "20261122").is_dir() and not (tmp_path / "rec" / "intake").exists()


async def test_given_no_speech_model_when_citizen_speaks_then_audio_kept_and_transcript_pending(
        tmp_path, ticket_service):
    deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0), transcriber=None)
    out = await drive(FakeChannel(), ivr_flow(call("12345"), deps))
    ticket = await ticket_service.get(out.ticket)
    assert ticket.transcript_status is TranscriptStatus.PENDING and ticket.transcript is None
    assert ticket.audio_ref == _audio(tmp_path)
    assert out.variables["HOTLINE_ACTION"] == "queue"


async def test_given_every_recognizer_busy_when_citizen_spoke_then_queued_at_once_and_transcript_pending(
        tmp_path, ticket_service):
    """Never wait on speech (issue 15.2): in a burst the caller is not put in line for a recognizer."""
    transcriber = FakeTranscriber("不应被调用")
    transcriber.saturated = True
    deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0), transcriber=transcriber)
    out = await drive(FakeChannel(), ivr_flow(call("12345"), deps))
    ticket = await ticket_service.get(out.ticket)
    assert transcriber.paths == [] and out.variables["HOTLINE_ACTION"] == "queue"
    assert ticket.transcript_status is TranscriptStatus.PENDING and ticket.audio_ref == _audio(tmp_path)


async def test_given_transcriber_reports_pending_when_model_missing_then_ticket_pending(tmp_path, ticket_service):
    deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0),
                     transcriber=FakeTranscriber(status="pending"))
    out = await drive(FakeChannel(), ivr_flow(call("12345"), deps))
    assert (await ticket_service.get(out.ticket)).transcript_status is TranscriptStatus.PENDING


async def test_given_slow_transcription_when_wait_exceeded_then_pending_and_call_routed(
        tmp_path, ticket_service, no_stray_tasks):
    class Stuck:
        async def transcribe(self, audio, sample_rate=8000):
            await asyncio.Event().wait()

    settings = FrontEndSettings(transcribe_wait_seconds=0.05)
    deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0), transcriber=Stuck(),
                     settings=settings)
    out = await drive(FakeChannel(), ivr_flow(call("12345"), deps))
    assert (await ticket_service.get(out.ticket)).transcript_status is TranscriptStatus.PENDING
    assert out.variables["HOTLINE_ACTION"] == "queue"


async def test_given_transcriber_raises_when_audio_unreadable_then_draft_failed_status(tmp_path, ticket_service):
    deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0),
                     transcriber=FakeTranscriber(error=OSError("no such file")))
    out = await drive(FakeChannel(), ivr_flow(call("12345"), deps))
    ticket = await ticket_service.get(out.ticket)
    assert ticket.transcript_status is TranscriptStatus.FAILED and ticket.audio_ref == _audio(tmp_path)


async def test_given_silence_when_nothing_said_then_empty_transcript_handled(tmp_path, ticket_service):
    deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0), transcriber=FakeTranscriber(""))
    channel = FakeChannel().on("RECORD FILE", RecordResult(RecordOutcome.SILENCE, 24000))
    out = await drive(channel, ivr_flow(call("12345"), deps))
    ticket = await ticket_service.get(out.ticket)
    assert ticket.transcript is None and ticket.transcript_status is TranscriptStatus.DONE
    assert ticket.request_type is None and ticket.audio_ref == _audio(tmp_path)
    assert out.intake.outcome == "silence" and out.variables["HOTLINE_ACTION"] == "queue"


async def test_given_emergency_word_when_said_then_119_route_and_linkage_on_ticket(tmp_path, ticket_service):
    log = FakeLinkageLog()
    deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0), linkage_log=log,
                     transcriber=FakeTranscriber("我家楼下着火了快来人"))
    channel = FakeChannel()
    out = await drive(channel, ivr_flow(call("12345"), deps))
    assert out.variables["HOTLINE_ACTION"] == "emergency" and out.variables["HOTLINE_EMERGENCY"] == "119"
    assert list(out.variables)[-1] == "HOTLINE_ACTION"
    assert not channel.lines("SET VARIABLE HOTLINE_QUEUE_POSITION \"1")
    ticket = await ticket_service.get(out.ticket)
    assert ticket.urgency is Urgency.LIFE_PROPERTY
    assert "【紧急联动】" in ticket.content and "消防119" in ticket.content and "着火" in ticket.content
    assert ticket.transcript == "我家楼下着火了快来人"
    [(number, linkage)] = log.logged
    assert number == ticket.number
    assert (linkage.target, linkage.trigger, linkage.trigger_kind, linkage.result) == (
        "119", "着火", "keyword", "routed")
    assert linkage.at.tzinfo is not None


async def test_given_emergency_word_for_unconfigured_target_then_agent_queue_instead(tmp_path):
    settings = FrontEndSettings(emergency_targets=("110", "120"))
    deps = make_deps(tmp_path, live=FakeLive(free=0), settings=settings,
                     transcriber=FakeTranscriber("路口发生车祸"))
    out = await drive(FakeChannel(), ivr_flow(call("12345"), deps))
    assert out.variables["HOTLINE_ACTION"] == "queue" and out.linkage is None
    assert any("not configured" in n for n in out.notes)


async def test_given_caller_hangs_up_while_recording_then_draft_with_audio_still_created(tmp_path, ticket_service):
    transcriber = FakeTranscriber("路灯坏了")
    deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0), transcriber=transcriber)
    channel = FakeChannel().on("RECORD FILE", RecordResult(RecordOutcome.HANGUP, 8000))
    out = await drive(channel, ivr_flow(call("12345"), deps))
    assert out.hung_up
    ticket = await ticket_service.get(out.ticket)
    assert ticket.audio_ref == _audio(tmp_path) and ticket.transcript == "路灯坏了"
    assert not channel.lines("STREAM FILE hotline/intake-thanks")
    assert out.variables == {"HOTLINE_TICKET": ticket.number}


async def test_given_caller_hangs_up_during_invite_then_draft_without_audio(tmp_path, ticket_service):
    deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0), transcriber=FakeTranscriber("x"))
    channel = FakeChannel().on("STREAM FILE hotline/intake-invite", ChannelHungUp("gone"))
    out = await drive(channel, ivr_flow(call("12345"), deps))
    ticket = await ticket_service.get(out.ticket)
    assert out.hung_up and ticket.audio_ref is None and ticket.transcript_status is TranscriptStatus.NONE
    assert not channel.lines("RECORD FILE")


async def test_given_caller_hangs_up_during_thanks_then_draft_keeps_audio_and_transcript(tmp_path):
    tickets = FakeTickets()
    deps = make_deps(tmp_path, tickets=tickets, live=FakeLive(free=0), transcriber=FakeTranscriber("噪音扰民"))
    channel = FakeChannel().on("STREAM FILE hotline/intake-thanks", ChannelHungUp("gone"))
    out = await drive(channel, ivr_flow(call("12345"), deps))
    assert out.hung_up and tickets.drafts[0]["audio_ref"] == _audio(tmp_path)
    assert tickets.drafts[0]["transcript"] == "噪音扰民"


async def test_given_connection_lost_while_recording_then_draft_points_at_audio(tmp_path):
    tickets = FakeTickets()
    deps = make_deps(tmp_path, tickets=tickets, live=FakeLive(free=0), transcriber=None)
    channel = FakeChannel().on("RECORD FILE", ConnectionLost("socket closed"))
    out = await drive(channel, ivr_flow(call("12345"), deps))
    assert out.hung_up
    assert tickets.drafts[0]["audio_ref"] == _audio(tmp_path)
    assert tickets.drafts[0]["transcript_status"] == "pending"


async def test_given_emergency_word_after_hangup_then_linkage_logged_as_caller_gone(tmp_path):
    log, tickets = FakeLinkageLog(), FakeTickets()
    deps = make_deps(tmp_path, tickets=tickets, live=FakeLive(free=0), linkage_log=log,
                     transcriber=FakeTranscriber("有人晕倒了"))
    channel = FakeChannel().on("RECORD FILE", RecordResult(RecordOutcome.HANGUP, 8000))
    out = await drive(channel, ivr_flow(call("12345"), deps))
    [(_, linkage)] = log.logged
    assert (linkage.target, linkage.result) == ("120", "caller_hung_up")
    assert "未转接" in tickets.drafts[0]["content"]
    assert "HOTLINE_ACTION" not in out.variables


async def test_given_caller_skips_intake_with_a_key_then_empty_draft_and_queue(tmp_path):
    tickets, transcriber = FakeTickets(), FakeTranscriber("x")
    deps = make_deps(tmp_path, tickets=tickets, live=FakeLive(free=0), transcriber=transcriber)
    channel = FakeChannel().on("STREAM FILE hotline/intake-invite", key("#"))
    out = await drive(channel, ivr_flow(call("12345"), deps))
    assert not channel.lines("RECORD FILE") and transcriber.paths == []
    assert tickets.drafts[0]["audio_ref"] is None and tickets.drafts[0]["transcript_status"] == "none"
    assert out.intake.outcome == "skipped" and out.variables["HOTLINE_ACTION"] == "queue"
    assert not channel.lines("SAY DIGITS")            # no ticket number for a request never said


@pytest.mark.parametrize(("endpos", "skipped"), [(0, True), (7999, True), (8000, False)])
async def test_given_a_key_straight_after_the_beep_then_the_caller_goes_on_at_once(tmp_path, endpos, skipped):
    """Real Asterisk 22.10.1 (trace 29): `#` pressed as RECORD FILE starts answers `200 result=35 (dtmf)
    endpos=0`; the caller then sat through 22 s of thanks and ticket number before queueing."""
    tickets = FakeTickets()
    deps = make_deps(tmp_path, tickets=tickets, live=FakeLive(free=0), transcriber=FakeTranscriber("路灯坏了"))
    channel = FakeChannel().on("RECORD FILE", RecordResult(RecordOutcome.DTMF, endpos, "#"))
    out = await drive(channel, ivr_flow(call("12345"), deps))
    assert out.variables["HOTLINE_ACTION"] == "queue" and len(tickets.drafts) == 1   # the call is still on record
    said = [line.split()[2] for line in channel.lines("STREAM FILE")]
    if skipped:
        assert out.intake.outcome == "skipped" and tickets.drafts[0]["audio_ref"] is None
        assert "hotline/intake-thanks" not in said and not channel.lines("SAY DIGITS")
    else:
        assert out.intake.outcome == "dtmf" and tickets.drafts[0]["audio_ref"]
        assert "hotline/intake-thanks" in said and channel.lines("SAY DIGITS")


async def test_given_record_file_write_error_then_draft_without_audio(tmp_path):
    tickets = FakeTickets()
    deps = make_deps(tmp_path, tickets=tickets, live=FakeLive(free=0), transcriber=FakeTranscriber("x"))
    channel = FakeChannel().on("RECORD FILE", RecordResult(RecordOutcome.WRITEFILE_ERROR))
    out = await drive(channel, ivr_flow(call("12345"), deps))
    assert tickets.drafts[0]["audio_ref"] is None
    assert any("RECORD FILE failed: writefile" in n for n in out.notes)


@pytest.mark.parametrize(("callerid", "stored"), [
    ("张三", None), ("138\x00001\x1b38\r000", "13800138000"), ("\u202e+86 138-0013-8000", "+8613800138000"),
    ("unknown", None), ("", None), ("1" * 40, None)])
async def test_given_odd_caller_id_when_intake_then_draft_created_safely(tmp_path, ticket_service, callerid, stored):
    deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0), transcriber=FakeTranscriber("问题"))
    out = await drive(FakeChannel(), ivr_flow(call("12345", callerid=callerid), deps))
    ticket = await ticket_service.get(out.ticket)
    assert ticket.caller == stored and ticket.transcript == "问题"


async def test_given_ticket_store_down_when_intake_then_call_still_routed(tmp_path):
    deps = make_deps(tmp_path, tickets=FakeTickets(fail=OSError("database down")), live=FakeLive(free=0),
                     transcriber=FakeTranscriber("问题"))
    out = await drive(FakeChannel(), ivr_flow(call("12345"), deps))
    assert out.ticket is None and out.variables["HOTLINE_TICKET"] == ""
    assert out.variables["HOTLINE_ACTION"] == "queue"
    assert sum("ticket draft failed" in n for n in out.notes) == 2


async def test_given_guess_the_store_would_refuse_when_drafting_then_guess_dropped_not_draft(
        tmp_path, ticket_service):
    class Odd:
        def classify(self, text):
            return type("C", (), {"best_type": type("G", (), {"code": "bogus"})(),
                                  "best_category": type("G", (), {"label": "类" * 100})()})()

    deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0), transcriber=FakeTranscriber("问题"))
    deps = dataclasses.replace(deps, classifier=Odd())
    out = await drive(FakeChannel(), ivr_flow(call("12345"), deps))
    ticket = await ticket_service.get(out.ticket)
    assert ticket.request_type is None and ticket.category == "类" * 64 and ticket.transcript == "问题"


async def test_given_classifier_raises_when_drafting_then_draft_without_guesses(tmp_path, ticket_service):
    class Broken:
        def classify(self, text):
            raise RuntimeError("jieba not ready")

    deps = make_deps(tmp_path, tickets=ticket_service, live=FakeLive(free=0), transcriber=FakeTranscriber("问题"))
    deps = dataclasses.replace(deps, classifier=Broken())
    out = await drive(FakeChannel(), ivr_flow(call("12345"), deps))
    assert (await ticket_service.get(out.ticket)).transcript == "问题"
    assert any("classification failed" in n for n in out.notes)


async def test_given_intake_disabled_when_no_agent_free_then_straight_to_queue(tmp_path):
    deps = make_deps(tmp_path, live=FakeLive(free=0), settings=FrontEndSettings(intake=False))
    channel = FakeChannel()
    out = await drive(channel, ivr_flow(call("12345"), deps))
    assert not channel.lines("RECORD FILE") and out.ticket is None


async def test_given_live_state_raises_when_checking_agents_then_intake_offered(tmp_path):
    class Broken:
        async def available_agents(self, queue):
            raise ConnectionError("AMI down")

        async def callers_ahead(self, queue, since):
            raise ConnectionError("AMI down")

    deps = make_deps(tmp_path, live=Broken(), transcriber=FakeTranscriber("问题"))
    channel = FakeChannel()
    out = await drive(channel, ivr_flow(call("12345"), deps))
    assert channel.lines("RECORD FILE") and out.variables["HOTLINE_QUEUE_POSITION"] == ""
