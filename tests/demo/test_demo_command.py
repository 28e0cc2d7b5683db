"""The README's first command: `hotline demo` starts, takes simulated calls and stops cleanly."""
from __future__ import annotations

import socket
import subprocess
import sys


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_runs_calls_through_the_standin_and_the_engine_then_stops(tmp_path):
    ports = [str(_free_port()) for _ in range(3)]
    result = subprocess.run(
        [sys.executable, "-m", "hotline", "demo", "--data-dir", str(tmp_path / "demo"), "--duration", "12",
         "--rate", "1.5", "--agents", "3", "--console-port", ports[0], "--ami-port", ports[1], "--agi-port", ports[2]],
        capture_output=True, text=True, timeout=120)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "demo accounts" in out and "agent01" in out
    assert "ami.ready server=standin" in out
    summary = next(line for line in out.splitlines() if line.startswith("演示结束"))
    placed = int(summary.split("模拟来电 ")[1].split(" ")[0])
    assert placed > 0
    assert "Traceback" not in out
