"""The recorder fed with Asterisk's own events (trace 06), the WAV checks on the real files
Asterisk wrote, and the file naming."""
from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.ami.errors import AmiActionError, AmiConnectionLost
from recordings.catalogue import Catalogue, Search, mask_number
from recordings.errors import NoActiveRecording, RecordingActionFailed
from recordings.filecheck import NotWav, inspect_file, parse_wav_header
from recordings.models import State
from recordings.naming import UnsafeDirectory, is_inside, recording_path, recordings_root
from recordings.recorder import Recorder, RecorderSettings
from tests.calls.trace_feed import events, varset
from tests.conftest import FIXTURES

from hotline.ami import events as ev

REAL = FIXTURES / "traces" / "recordings"
ZONE = ZoneInfo("Asia/Shanghai")


def _settings(root: Path, **kw) -> RecorderSettings:
    return RecorderSettings(root, ZONE, settle_seconds=0.0, settle_attempts=2, **kw)


async def _no_sleep(_seconds: float) -> None:
    return None


async def _replay(recorder: Recorder, stream, clock) -> None:
    for event in stream:
        clock.advance(seconds=0.1)
        await recorder.handle(event)
    await recorder.drain()


# --- trace 06: MixMonitor / MixMonitorMute / StopMixMonitor from a real Asterisk -----------------------------
async def test_given_trace_06_then_both_recordings_are_adopted_with_the_mute_interval_and_missing_files_flagged(
        sessions, clock):
    catalogue = Catalogue(sessions, clock)
    recorder = Recorder(catalogue, _settings(Path("/var/spool/r")), clock, {}, sleep=_no_sleep)
    await _replay(recorder, events("06-ami-mixmonitor"), clock)
    caller, agent = sorted(await catalogue.search(Search()), key=lambda r: r.id)
    assert (caller.channel, caller.linkedid, caller.file_path) == (
        "Local/500@xfer-00000013;2", "1795352875.38", "/var/spool/r/mixmon-12345-test.wav")
    assert agent.file_path == "/var/spool/r/mixmon-agent.wav" and agent.linkedid == "1795352875.38"
    (pause,) = caller.pauses
    assert pause.ended is not None and pause.direction == "both" and pause.started < pause.ended
    assert caller.started_at < pause.started and pause.ended < caller.ended_at
    # the files are on the lab machine, not here: flagged, not listed as fine
    assert (caller.state, agent.state) == (State.MISSING, State.MISSING)
    assert recorder.active == {}


async def test_given_trace_06_files_present_then_complete_with_the_real_size_and_duration(sessions, clock, tmp_path):
    root = tmp_path.resolve()
    for name in ("mixmon-12345-test.wav", "mixmon-agent.wav"):
        (root / name).write_bytes((REAL / name).read_bytes())
    stream = [_moved(e, "/var/spool/r", str(root)) for e in events("06-ami-mixmonitor")]
    catalogue = Catalogue(sessions, clock)
    await _replay(Recorder(catalogue, _settings(root), clock, {}, sleep=_no_sleep), stream, clock)
    caller, agent = sorted(await catalogue.search(Search()), key=lambda r: r.id)
    assert (caller.state, caller.size_bytes, caller.duration_seconds) == (State.COMPLETE, 48044, 3.0)
    assert (agent.state, agent.size_bytes, agent.duration_seconds) == (State.COMPLETE, 16044, 1.0)


def _moved(event, old: str, new: str):
    if isinstance(event, ev.VarSet) and event.variable == "MIXMONITOR_FILENAME":
        return varset(event, "MIXMONITOR_FILENAME", event.value.replace(old, new))
    return event


async def test_given_a_recording_started_elsewhere_outside_the_directory_then_it_is_not_adopted(sessions, clock,
                                                                                                  tmp_path):
    catalogue = Catalogue(sessions, clock)
    await _replay(Recorder(catalogue, _settings(tmp_path.resolve()), clock, {}), events("06-ami-mixmonitor"), clock)
    assert await catalogue.search(Search()) == []


# --- the engine's own MixMonitor on AgentConnect (trace 02a: a queue call answered) --------------------------
def _answered_call():
    stream = events("02a-ami-call-ivr-queue-answered")
    connect = next(i for i, e in enumerate(stream) if isinstance(e, ev.AgentConnect))
    caller = stream[connect]
    stream[connect:connect] = [varset(caller, "HOTLINE_LINE", "12345"), varset(caller, "__HOTLINE_TICKET", "T1")]
    return stream, caller


async def test_given_agent_connect_then_mixmonitor_is_asked_for_the_callers_channel_with_an_absolute_path(
        sessions, clock, tmp_path):
    sent = []

    async def send(action, fields):
        sent.append((action, fields))

    catalogue = Catalogue(sessions, clock)
    recorder = Recorder(catalogue, _settings(tmp_path.resolve()), clock, {"pbx1": send}, sleep=_no_sleep)
    stream, caller = _answered_call()
    await _replay(recorder, stream, clock)
    ((action, fields),) = sent
    assert action == "MixMonitor" and fields["Channel"] == caller.channel.channel and fields["Options"] == "b"
    path = Path(fields["File"])
    assert path.is_absolute() and is_inside(tmp_path.resolve(), path) and caller.linkedid in path.name
    (row,) = await catalogue.search(Search())
    assert (row.line, row.ticket_number, row.queue, row.agent_interface) == (
        "12345", "T1", caller.queue, caller.interface)
    assert row.state is State.MISSING  # the trace's Asterisk never wrote this file: flagged


@pytest.mark.parametrize("error, detail", [
    (AmiActionError("MixMonitor", "No such channel"), "MixMonitor: No such channel"),
    (AmiConnectionLost("pbx1: connection lost"), "MixMonitor: pbx1: connection lost"),
])
async def test_given_asterisk_refuses_to_record_then_the_call_is_catalogued_as_missing_with_the_reason(
        sessions, clock, tmp_path, error, detail):
    async def send(action, fields):
        raise error

    catalogue = Catalogue(sessions, clock)
    recorder = Recorder(catalogue, _settings(tmp_path.resolve()), clock, {"pbx1": send}, sleep=_no_sleep)
    await _replay(recorder, _answered_call()[0], clock)
    (row,) = await catalogue.search(Search())
    assert row.state is State.MISSING and detail in row.problem and row.problem.startswith("未能开始录音")
    assert recorder.active == {}


async def test_given_no_active_recording_or_a_refused_mute_then_the_agent_gets_a_typed_error(sessions, clock,
                                                                                          tmp_path):
    async def refuse(action, fields):
        if action == "MixMonitorMute":
            raise AmiActionError("MixMonitorMute", "Cannot set mute flag")

    recorder = Recorder(Catalogue(sessions, clock), _settings(tmp_path.resolve()), clock, {"pbx1": refuse})
    with pytest.raises(NoActiveRecording):
        await recorder.set_paused(None, True)
    stream = _answered_call()[0]
    connect = next(i for i, e in enumerate(stream) if isinstance(e, ev.AgentConnect))
    await _replay(recorder, stream[:connect + 1], clock)  # the call is still up
    interface = next(iter(recorder.active.values())).agent_interface
    with pytest.raises(RecordingActionFailed) as err:
        await recorder.set_paused(interface, True)
    assert err.value.error_id == "recording.ami_failed" and "Cannot set mute flag" in err.value.detail
    await recorder.close()


async def test_given_a_reconnect_then_recordings_whose_channel_vanished_are_finished_and_live_ones_kept(
        sessions, clock, tmp_path):
    catalogue = Catalogue(sessions, clock)
    root = tmp_path.resolve()
    recorder = Recorder(catalogue, _settings(root), clock, {}, sleep=_no_sleep)
    live = await catalogue.open(server="pbx1", linkedid="1.1", channel="PJSIP/a-1", file_path=str(root / "a.wav"),
                                started_at=clock(), agent_interface="PJSIP/8001")
    gone = await catalogue.open(server="pbx1", linkedid="2.2", channel="PJSIP/b-2", file_path=str(root / "b.wav"),
                                started_at=clock())
    recorder.apply_channels("pbx1", ["PJSIP/a-1"], await catalogue.in_progress("pbx1"))
    await recorder.drain()
    assert recorder.active_for("PJSIP/8001").recording_id == live.id
    after = await catalogue.get(gone.id)
    assert after.state is State.MISSING and after.ended_at == clock()


# --- files --------------------------------------------------------------------------------------------------------
def test_given_the_wavs_asterisk_wrote_then_they_parse_with_their_real_duration():
    for name, seconds in (("mixmon-12345-test.wav", 3.0), ("mixmon-agent.wav", 1.0)):
        check = inspect_file(REAL / name)
        assert check.valid and check.wav.duration == seconds and (check.wav.sample_rate, check.wav.bits) == (8000, 16)


@pytest.mark.parametrize("mutate, reason", [
    (lambda b: b[:2000], "RIFF size"),
    (lambda b: b + b"\0" * 10, "RIFF size"),
    (lambda b: b"RIFX" + b[4:], "not a RIFF WAVE"),
    (lambda b: b[:20] + struct.pack("<H", 85) + b[22:], "unsupported format"),
    (lambda b: b[:4] + struct.pack("<I", 4) + b"WAVE", "no data chunk"),
    (lambda b: b"", "not a RIFF WAVE"),
])
def test_given_a_damaged_wav_then_parsing_says_why(mutate, reason):
    data = mutate((REAL / "mixmon-agent.wav").read_bytes())
    with pytest.raises(NotWav, match=reason):
        parse_wav_header(data[:4096], len(data))


def test_given_a_missing_file_then_the_check_says_it_does_not_exist(tmp_path):
    check = inspect_file(tmp_path / "nope.wav")
    assert not check.exists and not check.valid and "not found" in check.problem


def test_given_a_hostile_linkedid_then_the_file_stays_inside_the_directory(tmp_path):
    root = recordings_root(tmp_path)
    at = datetime(2026, 11, 22, 16, 30, 5, tzinfo=UTC)
    path = recording_path(root, "../../etc/passwd", at, ZONE)
    assert is_inside(root, path) and path.name == "20261123-003005-_.._etc_passwd.wav"
    assert path.parent == root / "2026" / "11" / "23"  # the date in Beijing time
    assert not is_inside(root, root / ".." / "x.wav")
    with pytest.raises(UnsafeDirectory):
        recordings_root("/")


@pytest.mark.parametrize("number, masked", [("13800138000", "138****8000"), ("01088886666", "010****6666"),
                                            ("12345", "1**45"), ("88886666", "88***666"), ("110", "***"), (None, "")])
def test_given_caller_numbers_then_lists_show_them_masked(number, masked):
    assert mask_number(number) == masked
