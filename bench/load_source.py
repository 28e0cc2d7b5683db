"""The load generator itself: how many AMI events/s `hotline simulate --replay-calls` delivers.

Runs `python -m hotline simulate` on the lab configs as its own process (as a city's 大话务量测试
would), logs in one AMI session that only counts the events it reads, and compares the events/s
read during the replay with the goal of issue 15.4 (≥ 20,000 AMI events/s, ≥ 30 new calls/s).
The generator's CPU is read from /proc. Not a test.

    .venv/bin/python -m bench.load_source [--quick] [--calls 400] [--seconds 20]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "tests" / "fixtures" / "asterisk-lab"
GOAL_EVENTS, GOAL_CALLS = 20_000, 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def count_events(port: int, seconds: float) -> tuple[list[int], float]:
    """Events read per second after login (the first second holds the start-up)."""
    for _ in range(200):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            break
        except OSError:
            await asyncio.sleep(0.05)
    writer.write(b"Action: Login\r\nUsername: eng\r\nSecret: test-secret\r\nEvents: on\r\n\r\n")
    per_second, tail, started = [0], b"", time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            data = await asyncio.wait_for(reader.read(1 << 20), 1.0)
        except TimeoutError:
            data = b""
        if reader.at_eof():
            break
        chunk = tail + data
        second = int(time.monotonic() - started)
        while len(per_second) <= second:
            per_second.append(0)
        per_second[second] += chunk.count(b"\r\n\r\nEvent: ") if data else 0
        tail = chunk[-16:]
    writer.close()
    return per_second, time.monotonic() - started


def _start_generator(port: int, calls: float, seconds: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hotline", "simulate", "--config-dir", str(LAB), "--ami-port", str(port),
         "--replay-calls", str(calls), "--duration", str(seconds), "--replay-wait", "2", "--replay-talk", "5",
         "--agents", "100", "--seed", "1", "--traffic-after-login", "--progress-every", "5"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s at 100 calls/s, for CI smoke runs")
    parser.add_argument("--calls", type=float, default=None, help="replayed new calls per second (default 400)")
    parser.add_argument("--seconds", type=float, default=None, help="replay duration (default 20)")
    args = parser.parse_args(argv)
    calls = args.calls or (100.0 if args.quick else 400.0)
    seconds = args.seconds or (3.0 if args.quick else 20.0)
    port = free_port()
    proc = _start_generator(port, calls, seconds)
    try:  # the calls still talking when arrivals stop end within ~5 s x a few; the generator then exits
        per_second, _ = await count_events(port, seconds + 40)
        cpu = cpu_seconds(proc.pid)
    finally:
        out, _ = proc.communicate(timeout=60)
    warm = min(8, int(seconds) // 2)  # waits of 2 s and talks of 5 s: the stream is steady after a few seconds
    steady = per_second[warm:int(seconds)] or per_second
    rate = sum(steady) / len(steady)
    print(out.strip())
    print(f"read by one AMI session: {sum(per_second):,} events in {seconds:.0f} s of replay; steady "
          f"{rate:,.0f} events/s (min {min(steady):,}, max {max(steady):,} per second) at {calls:g} new calls/s")
    print(f"generator process CPU: {cpu:.1f} s over the run of {len(per_second)} s")
    made = re.search(r"新呼叫\s+(\d+) 通", out)
    print(f"goal ≥ {GOAL_EVENTS:,} AMI events/s and ≥ {GOAL_CALLS} new calls/s: "
          f"{'met' if rate >= GOAL_EVENTS and calls >= GOAL_CALLS else 'NOT met'}"
          f"{' (quick run: smaller rate)' if args.quick else ''}; calls made {made.group(1) if made else '?'}")
    return 0 if sum(per_second) else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
