"""Opt-in: a real Mandarin model (vosk-model-small-cn-0.22) at HOTLINE_TEST_VOSK_CN_MODEL."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from ivr.speech import Transcriber, TranscriptStatus, load_speech_model

CN_MODEL = os.environ.get("HOTLINE_TEST_VOSK_CN_MODEL")
pytestmark = pytest.mark.skipif(not CN_MODEL, reason="set HOTLINE_TEST_VOSK_CN_MODEL to a Mandarin vosk model dir")

PINYIN = "wo3 jia1 ting2 shui3 le5, wo3 yao4 tou2 su4"
GRAMMAR = ["停水", "停电", "投诉", "是", "不是", "[unk]"]


@pytest.fixture
def mandarin_wav(tmp_path):
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox needed to make Mandarin audio")
    raw, out = tmp_path / "cn-22k.wav", tmp_path / "cn.wav"
    subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "-w", str(raw), PINYIN], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(out)],
                   check=True)
    return out


async def test_given_mandarin_model_then_chinese_comes_back_without_spaces_between_characters(mandarin_wav):
    model = await load_speech_model(CN_MODEL)
    assert model.available, model.reason
    transcriber = Transcriber(model, pool_size=1)
    try:
        free = await transcriber.transcribe(mandarin_wav)
        assert free.status is TranscriptStatus.DONE
        assert re.search("[\u4e00-\u9fff]", free.text)
        assert not re.search("[\u4e00-\u9fff] [\u4e00-\u9fff]", free.text)
        graded = await transcriber.transcribe(mandarin_wav, grammar=GRAMMAR)
        assert {w.text for w in graded.words} <= set(GRAMMAR)
    finally:
        await transcriber.aclose()
