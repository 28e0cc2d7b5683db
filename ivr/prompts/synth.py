"""Placeholder audio with espeak-ng and sox: 8 kHz 16-bit mono WAV, what Asterisk plays natively.

The command runner is a parameter so tests can check the exact commands without the tools.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from ivr.prompts.errors import SynthesisError, ToolMissingError

Runner = Callable[[Sequence[str]], None]
SOX_8K = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]


def run_checked(argv: Sequence[str]) -> None:
    try:
        subprocess.run(list(argv), check=True, capture_output=True, timeout=60)
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr.decode("utf-8", "replace").strip()
        raise SynthesisError(f"{argv[0]} 执行失败（{exc.returncode}）：{detail}") from exc
    except subprocess.TimeoutExpired as exc:
        raise SynthesisError(f"{argv[0]} 超时") from exc


def require_tools(which: Callable[[str], str | None] = shutil.which) -> None:
    missing = [tool for tool in ("espeak-ng", "sox") if which(tool) is None]
    if missing:
        raise ToolMissingError(f"缺少工具：{', '.join(missing)}（apt-get install -y espeak-ng sox）")


def synthesise(text: str, voice: str, out: Path, run: Runner = run_checked) -> None:
    """Speak `text` with an espeak-ng voice and convert it to 8 kHz mono at `out`."""
    with tempfile.TemporaryDirectory(prefix="prompt-") as tmp:
        raw = Path(tmp) / "espeak.wav"
        run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text])
        run(["sox", str(raw), *SOX_8K, str(out), "norm", "-3"])


def beep(out: Path, run: Runner = run_checked, *, seconds: float = 0.25, hertz: int = 1000) -> None:
    """The tone before recording starts."""
    run(["sox", "-n", *SOX_8K, str(out), "synth", str(seconds), "sine", str(hertz), "vol", "0.5"])
