"""Calls through the stand-in running the shipped dialplan, with the engine recording them:
the file Asterisk writes, the catalogue row built from its events, the agent's pause button."""
from __future__ import annotations

import asyncio
import hashlib
import wave
from pathlib import Path

from asterisk_standin.people import Citizen
from recordings.catalogue import Search
from recordings.errors import NoActiveRecording
from recordings.models import State
from tests.recordings.conftest import recorded_hotline, until

import pytest


def _wav(path: Path):
    with wave.open(str(path)) as w:
        params = w.getparams()
    return params, path.read_bytes()


def citizen(number: str, **kw) -> Citizen:
    return Citizen(number, "市民", dialed="12345", context="from-trunk", **kw)


async def _agent_ready(hotline) -> None:
    await until(lambda: hotline.engine.services["floor"].available_agents("hotline-general") == 1)


def _no_stray_tasks() -> None:
    stray = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert stray == [], stray


async def test_given_an_answered_call_then_a_complete_wav_is_catalogued_with_size_and_checksum(tmp_path, monkeypatch):
    async with recorded_hotline(tmp_path, monkeypatch) as (hotline, rec):
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=4.0)
        await _agent_ready(hotline)
        out = await hotline.finished(hotline.call(citizen("13800138001")))
        assert out.answered_by == "PJSIP/8001"
        (row,) = await until(lambda: rec.catalogue.search(Search(states=(State.COMPLETE,))))
    _no_stray_tasks()
    path = Path(row.file_path)
    assert path.is_absolute() and path.is_relative_to(tmp_path / "recordings")
    assert row.linkedid in path.name and path.name.startswith(row.started_at.astimezone(
        rec.settings.zone).strftime("%Y%m%d-"))
    params, data = _wav(path)
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, 8000)
    frames = params.nframes
    assert (row.size_bytes, row.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert row.duration_seconds == pytest.approx(frames / 8000, abs=0.001)
    # the agent talked for 4 (simulated) seconds; recording starts one AMI round trip after AgentConnect,
    # which the stand-in's 20x time scale stretches to up to a simulated second
    assert 2.0 < row.duration_seconds <= 4.5
    assert (row.linkedid, row.line, row.queue, row.agent_interface, row.agent_name, row.caller_number) == (
        out.linkedid, "12345", "hotline-general", "PJSIP/8001", "坐席01", "13800138001")
    assert row.ended_at >= row.started_at and row.pauses == () and row.problem is None


async def test_given_the_agent_pauses_and_resumes_then_the_catalogue_shows_the_interval(tmp_path, monkeypatch):
    async with recorded_hotline(tmp_path, monkeypatch) as (hotline, rec):
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=60.0)
        await _agent_ready(hotline)
        with pytest.raises(NoActiveRecording):
            await rec.recorder.set_paused("PJSIP/8001", True)
        outcome = hotline.call(citizen("13800138002"))
        active = await until(lambda: rec.recorder.active_for("PJSIP/8001"))

        async def pauses():
            return (await rec.catalogue.get(active.recording_id)).pauses

        await rec.recorder.set_paused("PJSIP/8001", True)
        (opened,) = await until(pauses)
        assert opened.ended is None and opened.direction == "both" and active.paused
        await rec.recorder.set_paused("PJSIP/8001", False)
        await until(lambda: _closed(pauses))
        await hotline.finished(outcome)
        row = await until(lambda: _complete(rec, active.recording_id))
    (pause,) = row.pauses
    start, end = pause.offsets(row.started_at)
    assert 0 <= start < end and row.ended_at >= pause.ended
    assert row.duration_seconds > 50  # muted stretches stay in the file as silence


async def _closed(pauses):
    found = await pauses()
    return len(found) == 1 and found[0].ended is not None


async def _complete(rec, recording_id):
    row = await rec.catalogue.get(recording_id)
    return row if row.state is State.COMPLETE else None


async def test_given_recording_disabled_then_calls_are_not_recorded(tmp_path, monkeypatch):
    async with recorded_hotline(tmp_path, monkeypatch, enabled=False) as (hotline, rec):
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        await _agent_ready(hotline)
        await hotline.finished(hotline.call(citizen("13800138003")))
        assert await rec.catalogue.search(Search()) == []
        assert not (tmp_path / "recordings").exists()
