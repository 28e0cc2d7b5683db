"""bench/survey: N concurrent 语音回访 survey calls through the stand-in running the shipped dialplan.

The engine (FastAGI `survey` route, AMI Originate, SQLite or PostgreSQL) runs in a child process
(bench/_survey_engine.py); the Asterisk stand-in (time scale 0.25: a 1 s prompt plays in 250 ms)
and N simulated citizens run in this one who answer
and press 1 then 3. One survey pass dials all N, 50 call attempts a second ([survey] max_concurrent = N,
dials_per_second = 50): every call is still out while the last one is dialed.

Measured: the FastAGI command latency in the engine (its think time: a reply read to the next command
written; the target), and as Asterisk sees it, from the stand-in writing a reply to the engine's
next command on that channel (adds both processes' scheduling and the socket) (the engine's think time; prompt playing excluded; the
route's database writes run beside the call and are settled when its session ends), p50/p99/max over
every command of every call and per command; the wall time until every job is done; and the check that
every ticket got its answer (reopened) and every citizen was dialed exactly once. Target: p99 <= 10 ms.

    .venv/bin/python -m bench.survey                 # N = 50
    .venv/bin/python -m bench.survey --quick         # N = 10
    .venv/bin/python -m bench.survey --calls 100 --database-url postgresql+asyncpg://postgres@127.0.0.1/x
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

TARGET_P99_MS = 10.0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run(n: int, workdir: Path, database_url: str | None, verbose: bool = False) -> int:
    from asterisk_standin.standin import Standin
    from asterisk_standin.surveyed import SurveyedCitizen
    from bench.ivr_load.procs import Child

    turnaround: list[float] = []
    kinds: dict[str, list[float]] = {}
    slow: list = []
    last_end: dict[str, float] = {}
    t0 = [time.perf_counter()]

    def listener(event: str, msg: list) -> None:
        if event not in ("AGIExecStart", "AGIExecEnd"):
            return
        fields = dict(msg)
        chan, now = fields.get("Channel", ""), time.perf_counter()
        if event == "AGIExecEnd":
            last_end[chan] = now
            return
        started = last_end.pop(chan, None)
        if started is not None:
            ms = (now - started) * 1000
            turnaround.append(ms)
            words = fields.get("Command", "").split()
            kinds.setdefault(" ".join(words[:3] if words[:1] == ["STREAM"] else words[:2]), []).append(ms)
            slow.append((ms, fields.get("Command", "")[:40], now - t0[0]))

    extra = ["--database-url", database_url] if database_url else []
    child = Child("engine", "bench._survey_engine", ["--data-dir", str(workdir / "engine"), "--calls", str(n), *extra],
                  workdir / "engine.log")
    await child.start()
    standin = None
    try:
        asterisk_dir = Path((await child.read(180))["asterisk_dir"])
        standin = Standin(asterisk_dir, time_scale=0.25, ami_port=0, spool_dir=None, auth_fail_delay=0.05)
        ami_port = await standin.start()
        await child.send({"ami_port": ami_port})
        agi_port = (await child.read(120))["agi_port"]
        standin.pbx.agi_map[("127.0.0.1", 4573)] = ("127.0.0.1", agi_port)
        phones = []
        for i in range(n):
            phone = SurveyedCitizen(f"1390000{i:04d}", ring_time=1.0,
                                    keys={"hotline/survey-resolved": "1", "hotline/survey-satisfaction": "3"})
            phone.register(standin.pbx)
            phones.append(phone)
        standin.pbx.add_listener(listener)
        started = t0[0] = time.perf_counter()
        dialed = (await child.ask({"op": "tick"}, 120))["dialed"]
        tick_s = time.perf_counter() - started
        status: dict = {}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            status = await child.ask({"op": "status"}, 30)
            if status["statuses"].get("done", 0) == n:
                break
            await asyncio.sleep(0.1)
        wall = time.perf_counter() - started
        measured = await child.ask({"op": "think"}, 30)
        think, stalls = measured["think_ms"], measured.get("stalls", [])
        await child.stop()
    finally:
        if standin is not None:
            await standin.stop()
        await child.stop()
    problems = []
    if dialed != n:
        problems.append(f"dialed {dialed} of {n}")
    if status.get("results", {}).get("reopened", 0) != n:
        problems.append(f"not all answered and reopened: {status}")
    if any(p.calls != 1 for p in phones):
        problems.append("a citizen was not dialed exactly once")
    p50, p99, top = pct(turnaround, 0.5), pct(turnaround, 0.99), max(turnaround or [float("nan")])
    print(f"survey calls: {n} concurrent, engine in its own process, database {'PostgreSQL' if database_url else 'SQLite'}")
    print(f"all done in {wall:.2f} s; FastAGI commands measured: {len(turnaround)}; "
          f"the survey pass (enqueue + claim + {n} Originates) {tick_s * 1000:.0f} ms")
    print(f"command latency (reply -> next command) p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {top:.2f} ms"
          f"  [target p99 <= {TARGET_P99_MS} ms]")
    print(f"engine think time (reply read -> next command written, in the engine) p50 {pct(think, 0.5):.2f} ms"
          f"  p99 {pct(think, 0.99):.2f} ms  max {max(think or [float('nan')]):.2f} ms  ({len(think)})")
    worst = max(stalls, default=(0.0, 0.0, 0.0))
    print(f"engine event loop late > 10 ms: {len(stalls)} times, worst {worst[0]:.1f} ms, in which the loop's thread "
          f"used {worst[1]:.1f} ms of CPU and the whole process {worst[-1]:.1f} ms (little: it waited for a core); "
          f"load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for kind, values in sorted(kinds.items()):
        print(f"  {kind:45s} p50 {pct(values, 0.5):6.2f} ms  p99 {pct(values, 0.99):6.2f} ms  ({len(values)})")
    if verbose:
        print(f"    stalls (late, loop CPU, process CPU ms): {sorted(stalls, reverse=True)[:10]}")
        for ms, cmd, at in sorted(slow, reverse=True)[:12]:
            print(f"    {ms:7.2f} ms at {at:6.2f} s  {cmd}")
    print(f"target p99 <= {TARGET_P99_MS} ms (the Asterisk-side figure): {'met' if p99 <= TARGET_P99_MS else 'NOT met'}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0  # like the other benches: a missed target is printed, a broken run fails


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.survey", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="N = 10 (CI smoke)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the slowest commands")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    n = args.calls or (10 if args.quick else 50)
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="bench-survey-") as tmp:
        return asyncio.run(run(n, Path(tmp), args.database_url, args.verbose))


if __name__ == "__main__":
    sys.exit(main())
