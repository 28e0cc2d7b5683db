"""Loading the vosk model: once, off the loop, and never fatal."""
from __future__ import annotations

import threading

import pytest

from ivr.speech import LoadedModel, SpeechUnavailable, Transcriber, TranscriptStatus, load_speech_model


@pytest.mark.parametrize("path", [None, "", "   "])
async def test_given_no_model_configured_then_speech_unavailable_with_chinese_reason(path):
    model = await load_speech_model(path)
    assert isinstance(model, SpeechUnavailable)
    assert model.reason == "语音识别未启用：未配置模型"
    assert model.error_id == "speech.model_not_configured"


async def test_given_missing_model_dir_then_unavailable_naming_the_path(tmp_path):
    model = await load_speech_model(tmp_path / "nope")
    assert isinstance(model, SpeechUnavailable)
    assert model.error_id == "speech.model_missing"
    assert str(tmp_path / "nope") in model.reason and model.reason.startswith("语音识别未启用")


async def test_given_broken_model_dir_then_vosk_failure_becomes_unavailable(tmp_path):
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"not a model")
    model = await load_speech_model(tmp_path)
    assert isinstance(model, SpeechUnavailable)
    assert model.error_id == "speech.model_load_failed"
    assert "模型加载失败" in model.reason


async def test_given_factory_when_loading_then_it_runs_once_off_the_event_loop_thread(tmp_path):
    calls = []

    def factory(path):
        calls.append((path, threading.current_thread()))
        return object()

    model = await load_speech_model(tmp_path, model_factory=factory)
    assert isinstance(model, LoadedModel) and model.available and model.reason is None
    assert [c[0] for c in calls] == [str(tmp_path)]
    assert calls[0][1] is not threading.main_thread()


def test_given_packaged_test_model_then_it_loads(loaded_model):
    assert loaded_model.available and loaded_model.load_seconds > 0


async def test_given_no_model_when_transcribing_then_pending_without_raising_and_status_says_why(tmp_path):
    transcriber = Transcriber(await load_speech_model(None), executor=None)
    try:
        result = await transcriber.transcribe(tmp_path / "kept-for-later.wav")
        assert result.status is TranscriptStatus.PENDING
        assert result.text == "" and result.reason == "语音识别未启用：未配置模型"
        status = transcriber.status()
        assert status["enabled"] is False and status["pool"] is None
        assert status["summary"] == "语音识别未启用：未配置模型"
    finally:
        await transcriber.aclose()


async def test_given_broken_model_path_when_transcribing_then_pending(tmp_path):
    transcriber = Transcriber(await load_speech_model(tmp_path / "missing"))
    try:
        result = await transcriber.transcribe(b"\x00\x00" * 800)
        assert result.status is TranscriptStatus.PENDING and "模型目录不存在" in result.reason
        assert transcriber.status()["model_path"] == str(tmp_path / "missing")
    finally:
        await transcriber.aclose()
