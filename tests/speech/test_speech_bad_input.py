"""Bad audio, bad grammar, failing and cancelled decodes, with a fake recognizer (no model needed)."""
from __future__ import annotations

import asyncio
import json
import threading

import pytest
from speech_helpers import stray_tasks, write_wav

from ivr.speech import AudioFormatError, GrammarError, LoadedModel, Transcriber, TranscriptStatus
from ivr.speech.errors import AudioFileError
from ivr.speech.normalise import normalise_text

FAKE_MODEL = LoadedModel("/fake/model", object(), 0.0)


class FakeRecognizer:
    """Says '你 好' for any audio with a non-zero byte; optionally blocks or raises mid-stream."""

    def __init__(self, key, *, fail=False, gate=None, started=None):
        self.key, self.fail, self.gate, self.started = key, fail, gate, started
        self.heard = False
        self.chunks = []

    def SetWords(self, on):  # noqa: N802 - vosk's names
        pass

    def AcceptWaveform(self, data):  # noqa: N802
        self.chunks.append(len(data))
        if self.started is not None:
            self.started()
        if self.gate is not None:
            self.gate.wait(5)
        if self.fail:
            raise RuntimeError("kaldi exploded")
        self.heard = self.heard or any(data)
        return False

    def Result(self):  # noqa: N802
        return "{}"

    def FinalResult(self):  # noqa: N802
        if not self.heard:
            return json.dumps({"text": ""})
        words = [{"word": "你", "start": 0.1, "end": 0.2, "conf": 0.5},
                 {"word": "好", "start": 0.2, "end": 0.3, "conf": 1.0}]
        return json.dumps({"text": "你 好", "result": words}, ensure_ascii=False)

    def Reset(self):  # noqa: N802
        self.heard = False


@pytest.fixture
async def fake_transcriber():
    made = []

    def make(**kwargs):
        recognizers = []

        def factory(key):
            recognizers.append(FakeRecognizer(key))
            return recognizers[-1]

        transcriber = Transcriber(FAKE_MODEL, recognizer_factory=kwargs.pop("factory", factory), **kwargs)
        transcriber.recognizers = recognizers
        made.append(transcriber)
        return transcriber

    yield make
    for transcriber in made:
        await transcriber.aclose()


@pytest.mark.parametrize("spec", [
    {"rate": 16000}, {"rate": 44100}, {"channels": 2}, {"width": 1}, {"width": 4},
])
async def test_given_wav_in_wrong_format_then_audio_format_error(tmp_path, fake_transcriber, spec):
    path = write_wav(tmp_path / "bad.wav", **spec)
    with pytest.raises(AudioFormatError) as info:
        await fake_transcriber().transcribe(path)
    assert info.value.error_id == "speech.audio_format"


async def test_given_file_that_is_not_a_wav_then_audio_format_error(tmp_path, fake_transcriber):
    path = tmp_path / "note.wav"
    path.write_text("this is text, not RIFF")
    with pytest.raises(AudioFormatError):
        await fake_transcriber().transcribe(path)


async def test_given_truncated_wav_header_then_audio_format_error(tmp_path, fake_transcriber):
    path = tmp_path / "cut.wav"
    path.write_bytes(write_wav(tmp_path / "ok.wav").read_bytes()[:20])
    with pytest.raises(AudioFormatError):
        await fake_transcriber().transcribe(path)


async def test_given_missing_file_then_audio_file_error(tmp_path, fake_transcriber):
    with pytest.raises(AudioFileError) as info:
        await fake_transcriber().transcribe(tmp_path / "gone.wav")
    assert info.value.error_id == "speech.audio_file"


async def test_given_pcm_with_odd_byte_count_then_audio_format_error(fake_transcriber):
    with pytest.raises(AudioFormatError):
        await fake_transcriber().transcribe(b"\x01\x02\x03")


@pytest.mark.parametrize("rate", [16000, 22050])
async def test_given_audio_declared_at_other_rate_then_rejected_not_resampled(tmp_path, fake_transcriber, rate):
    transcriber = fake_transcriber()
    with pytest.raises(AudioFormatError):
        await transcriber.transcribe(b"\x00\x01" * 100, sample_rate=rate)
    with pytest.raises(AudioFormatError):
        await transcriber.transcribe(write_wav(tmp_path / "ok.wav"), sample_rate=rate)
    assert transcriber.recognizers == []


async def test_given_bad_grammar_then_grammar_error(fake_transcriber):
    with pytest.raises(GrammarError):
        await fake_transcriber().transcribe(b"\x00\x01" * 100, grammar="是 不是")


async def test_given_pcm_then_it_is_fed_in_fixed_chunks_and_cjk_spaces_are_removed(fake_transcriber):
    transcriber = fake_transcriber(chunk_bytes=4000)
    result = await transcriber.transcribe(b"\x01\x00" * 5000)
    assert transcriber.recognizers[0].chunks == [4000, 4000, 2000]
    assert result.text == "你好" and result.status is TranscriptStatus.DONE
    assert result.confidence == pytest.approx(0.75)
    assert result.duration == pytest.approx(10000 / 16000)


async def test_given_empty_audio_then_empty_transcript(fake_transcriber):
    result = await fake_transcriber().transcribe(b"")
    assert result.status is TranscriptStatus.EMPTY and result.duration == 0


@pytest.mark.parametrize("chunk", [0, -2, 4001])
def test_given_bad_chunk_size_then_value_error(chunk):
    with pytest.raises(ValueError):
        Transcriber(FAKE_MODEL, chunk_bytes=chunk, recognizer_factory=FakeRecognizer)


async def test_given_recognizer_raises_then_failed_transcript_and_recognizer_discarded(fake_transcriber):
    made = []

    def factory(key):
        made.append(FakeRecognizer(key, fail=not made))
        return made[-1]

    transcriber = fake_transcriber(factory=factory, pool_size=1)
    failed = await transcriber.transcribe(b"\x01\x00" * 100)
    assert failed.status is TranscriptStatus.FAILED and failed.reason.startswith("语音识别失败")
    ok = await transcriber.transcribe(b"\x01\x00" * 100)
    assert ok.text == "你好" and len(made) == 2
    assert transcriber.status()["pool"]["discarded"] == 1


async def test_given_recognizer_cannot_be_created_then_failed_transcript(fake_transcriber):
    def factory(key):
        raise MemoryError("no room for a recognizer")

    result = await fake_transcriber(factory=factory).transcribe(b"\x01\x00" * 100)
    assert result.status is TranscriptStatus.FAILED and "MemoryError" in result.reason


async def test_given_transcription_cancelled_mid_decode_then_recognizer_discarded_once_thread_stops(
        fake_transcriber):
    loop = asyncio.get_running_loop()
    gate, started = threading.Event(), asyncio.Event()
    made = []

    def factory(key):
        made.append(FakeRecognizer(key, gate=gate, started=lambda: loop.call_soon_threadsafe(started.set)))
        return made[-1]

    transcriber = fake_transcriber(factory=factory, pool_size=1)
    task = asyncio.create_task(transcriber.transcribe(b"\x01\x00" * 8000))
    async with asyncio.timeout(5):
        await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert transcriber.status()["pool"]["pools"][0]["busy"] == 1, "the thread still owns the recognizer"
    gate.set()
    made[0].gate = None
    async with asyncio.timeout(5):
        again = await transcriber.transcribe(b"\x01\x00" * 10)
    assert again.text == "你好" and len(made) == 2
    assert made[0].chunks == [4000], "the cancelled decode stopped at the next chunk"
    assert stray_tasks() == set()


@pytest.mark.parametrize(("raw", "clean"), [
    ("你 好 世 界", "你好世界"),
    ("我 要 投诉  停水", "我要投诉停水"),
    ("拨打 12345 热 线", "拨打 12345 热线"),
    ("wifi 没 信号", "wifi 没信号"),
    ("서울 시청 물이", "서울 시청 물이"),
    ("  ", ""),
])
def test_given_vosk_text_then_spaces_between_chinese_characters_are_removed(raw, clean):
    assert normalise_text(raw) == clean
