"""Placeholder prompt audio: valid 8 kHz mono WAVs, operator recordings never overwritten."""
from __future__ import annotations

import os
import shutil
import wave

import pytest

from ivr.prompts import SynthesisError, ToolMissingError, load_catalogue
from ivr.prompts.generate import generate, main
from ivr.prompts.synth import require_tools, run_checked


@pytest.fixture(scope="module")
def tools():
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        if os.environ.get("HOTLINE_REQUIRE_TOOLS") == "1":
            pytest.fail("espeak-ng and sox required (HOTLINE_REQUIRE_TOOLS=1)")
        pytest.skip("espeak-ng and sox not installed (apt-get install -y espeak-ng sox)")


@pytest.fixture(scope="module")
def generated(tools, tmp_path_factory):
    from hotline.cli import main as hotline

    out = tmp_path_factory.mktemp("sounds")
    assert hotline(["prompts", "install", "--dir", str(out)]) == 0
    return out


def test_given_catalogue_when_generated_then_every_prompt_is_an_8khz_mono_16bit_wav(generated):
    catalogue = load_catalogue()
    expected = {f"{lang}/{p.name}.wav" for p in catalogue.prompts.values() for lang in p.texts} | {"beep.wav"}
    found = {str(p.relative_to(generated)) for p in generated.rglob("*.wav")}
    assert found == expected
    for path in generated.rglob("*.wav"):
        with wave.open(str(path), "rb") as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2), path
            assert wav.getnframes() > 800, f"{path} is (nearly) silent"


def test_given_beep_then_it_is_a_short_tone(generated):
    with wave.open(str(generated / "beep.wav"), "rb") as wav:
        assert wav.getnframes() == 2000
        assert any(wav.readframes(2000))


def test_given_longer_text_then_longer_audio(generated):
    def frames(name):
        with wave.open(str(generated / "zh" / f"{name}.wav"), "rb") as wav:
            return wav.getnframes()

    assert frames("hotline/intake-invite") > frames("hotline/goodbye")


def test_given_operator_recording_in_place_when_regenerated_then_it_is_kept_unless_forced(tools, tmp_path):
    catalogue = load_catalogue()
    recorded = tmp_path / "zh" / "hotline" / "welcome.wav"
    recorded.parent.mkdir(parents=True)
    recorded.write_bytes(b"operator recording")
    written, kept = generate(catalogue, tmp_path, ["zh"])
    assert kept == [recorded] and recorded.read_bytes() == b"operator recording"
    assert len(written) == len(catalogue.prompts)
    written, kept = generate(catalogue, tmp_path, ["zh"], force=True)
    assert kept == [] and recorded.read_bytes()[:4] == b"RIFF"


def test_given_commands_then_espeak_uses_pinyin_voice_and_sox_converts_to_8khz(tmp_path):
    calls = []
    generate(load_catalogue(), tmp_path, ["zh"], run=calls.append)
    espeak = [c for c in calls if c[0] == "espeak-ng"]
    assert all(c[1:3] == ["-v", "cmn-latn-pinyin"] for c in espeak)
    assert any("nin2 hao3" in c[-1] for c in espeak)
    assert all(["-r", "8000", "-c", "1", "-b", "16"] == c[c.index("-r"):c.index("-r") + 6] for c in calls
               if c[0] == "sox")


def test_given_tools_missing_then_tool_missing_error_and_cli_exits_2(tmp_path, monkeypatch, capsys):
    with pytest.raises(ToolMissingError) as info:
        require_tools(which=lambda name: None if name == "sox" else "/usr/bin/" + name)
    assert info.value.error_id == "prompts.tool_missing" and "sox" in str(info.value)
    monkeypatch.setattr("ivr.prompts.generate.require_tools", lambda: require_tools(lambda n: None))
    assert main(["--out", str(tmp_path)]) == 2
    assert "prompts.tool_missing" in capsys.readouterr().err


def test_given_bad_catalogue_path_then_cli_exits_2(tools, tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--catalogue", str(tmp_path / "missing.toml")]) == 2
    assert "prompts.catalogue_invalid" in capsys.readouterr().err


def test_given_failing_command_then_synthesis_error_with_its_message(tools):
    with pytest.raises(SynthesisError) as info:
        run_checked(["sox", "/nonexistent/input.wav", "/tmp/never.wav"])
    assert info.value.error_id == "prompts.synthesis_failed" and "sox" in str(info.value)


def _played_names() -> set[str]:
    """Every sound name the IVR settings, the shipped menus and the shipped dialplan play."""
    import re
    import tomllib
    from dataclasses import fields
    from pathlib import Path

    from ivr.frontend.menus import DEFAULT_MENUS
    from ivr.frontend.settings import Prompts

    names = {getattr(Prompts(), f.name) for f in fields(Prompts)}
    for menu in tomllib.loads(DEFAULT_MENUS.read_text(encoding="utf-8"))["menus"].values():
        names |= {menu["prompt"], menu.get("invalid_prompt", "")}
    root = Path(__file__).resolve().parents[2]
    for conf in [*(root / "asterisk-config").glob("*.conf"), *(root / "queues" / "templates").glob("*")]:
        for app_args in re.findall(r"(?:Playback|Background|ControlPlayback)\(([^)]*)\)", conf.read_text("utf-8")):
            names |= {n for n in app_args.split(",")[0].split("&") if n.startswith("hotline/")}
    return {n for n in names if n}


def test_every_prompt_played_anywhere_is_catalogued_and_installed(generated):
    played = _played_names()
    assert {"hotline/welcome", "hotline/after-hours-menu", "hotline/callback-later"} <= played
    assert played <= set(load_catalogue().names)
    for name in played:
        for lang in ("zh", "en", "yue"):
            assert (generated / lang / f"{name}.wav").is_file(), (lang, name)
