"""bench/ivr: N concurrent simulated calls through the whole voice front end.

The engine (FastAGI server + `ivr` route + live floor over AMI + SQLite or PostgreSQL tickets)
runs in one child process; the Asterisk stand-in and N simulated citizens run in this one.
Half the citizens dial 12345 (an agent is free: greeting, routing, variables), half dial
12315 (its only dedicated agent is busy: greeting, spoken intake, ticket draft, variables).
The same run then sends the same calls to a minimal hand-written FastAGI responder in its
own child process (fixed command script, no DB, no AMI) — the baseline of every ratio.

Measured per implementation and N: calls/s (N placed at once / wall time until the last
call left the FastAGI script), responder CPU per call (process time, all threads), RSS before
and peak, and per call kind p50/p99 of the AGI session, of one command's round trip as the
responder sees it, and of the responder's own think time between a reply and its next command.
Problems (errors, stuck calls, leaked tasks, warnings in the engine log) are listed at the end.

    .venv/bin/python -m bench.ivr                  # N = 100, 1000
    .venv/bin/python -m bench.ivr --quick          # N = 20 (CI smoke, a few seconds)
    .venv/bin/python -m bench.ivr --calls 300 --database-url postgresql+asyncpg://...
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import random
import re
import tempfile
import time
from pathlib import Path

from bench.ivr_load import pbx_side
from bench.ivr_load.procs import Child, ChildFailed
from bench.ivr_load.report import Figures, kind_figures, print_table, slowest_steps

WARMUP_CALLS = 4
MB = 1024 * 1024


class Options(argparse.Namespace):
    calls: list[int]
    agents: int
    time_scale: float
    talk_time: float
    database_url: str | None
    profile_engine: Path | None
    deadline: float
    seed: int


class ErrorCount(logging.Handler):
    """Stand-in errors (e.g. 'stand-in task failed') logged in this process during a run."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname} {record.name}: {record.getMessage()}")


# The bench hangs every call up as soon as it has left the FastAGI script, so a call answered in
# that instant is gone before the recorder's MixMonitor arrives: Asterisk answers exactly that.
# The catalogue then (rightly) flags those calls' recordings as missing.
EXPECTED = re.compile(r"WARNING recordings\.recorder: (recordings\.start_failed .*MixMonitor: No such channel"
                      r"|recordings\.finished .* state=missing size=None duration=None)")


def log_problems(path: Path, offset: int) -> list[str]:
    """WARNING/ERROR lines the child logged after `offset`, grouped by message shape."""
    text = path.read_bytes()[offset:].decode("utf-8", "replace")
    shapes: dict[str, int] = {}
    for line in text.splitlines():
        if EXPECTED.search(line):
            continue
        if " WARNING " in line or " ERROR " in line or "Traceback" in line:
            shape = re.sub(r"\d+", "#", line.split(" ", 2)[-1])[:160]
            shapes[shape] = shapes.get(shape, 0) + 1
    return [f"log x{count}: {shape}" for shape, count in sorted(shapes.items(), key=lambda kv: -kv[1])]


async def start_child(impl: str, n: int, workdir: Path, opts: Options, asterisk_dir: Path | None):
    """Start the responder and a fresh stand-in wired to it; returns (child, standin, asterisk_dir)."""
    data = workdir / f"{impl}-{n}"
    if impl == "engine":
        extra = ["--database-url", opts.database_url] if opts.database_url else []
        if opts.profile_engine:
            extra += ["--profile", str(opts.profile_engine.resolve())]
        child = Child(impl, "bench.ivr_load.engine_side", ["--data-dir", str(data), "--agents", str(opts.agents),
                                                           *extra], workdir / f"{data.name}.log")
    else:
        child = Child(impl, "bench.ivr_load.baseline", ["--data-dir", str(data)], workdir / f"{data.name}.log")
    await child.start()
    standin = None
    try:
        if impl == "engine":
            asterisk_dir = Path((await child.read(180))["asterisk_dir"])
        standin, ami_port = await pbx_side.start_standin(asterisk_dir, opts.time_scale, opts.agents,
                                                         opts.talk_time, opts.seed)
        if impl == "engine":
            await child.send({"ami_port": ami_port})
        pbx_side.point_agi(standin, (await child.read(60))["agi_port"])
    except BaseException:
        if standin is not None:
            await standin.stop()
        await child.stop()
        raise
    return child, standin, asterisk_dir


async def measure(impl: str, n: int, workdir: Path, opts: Options, asterisk_dir: Path | None,
                  errors: ErrorCount) -> tuple[Figures, Path]:
    child, standin, asterisk_dir = await start_child(impl, n, workdir, opts, asterisk_dir)
    rng = random.Random(opts.seed)
    problems: list[str] = []
    try:
        warm, outcomes = await pbx_side.run_calls(standin, WARMUP_CALLS, rng, deadline=30)
        await pbx_side.drain(standin, warm, outcomes, 10)
        await child.ask({"op": "reset"})
        errors.messages.clear()
        offset = child.log_path.stat().st_size
        before = await child.ask({"op": "stats"})
        pbx_cpu = time.process_time()
        run, outcomes = await pbx_side.run_calls(standin, n, rng, deadline=opts.deadline)
        in_script = await child.ask({"op": "stats"}, timeout=60)
        await pbx_side.drain(standin, run, outcomes, max(10.0, opts.deadline / 4))
        settled = await child.ask({"op": "settle"}, timeout=90)
        after = await child.ask({"op": "stats"}, timeout=60)
        for _ in range(50):  # per-call follow-ups (recording checks, call log writes) end a little later
            if after["tasks"] <= before["tasks"]:
                break
            await asyncio.sleep(0.1)
            after = await child.ask({"op": "stats"}, timeout=60)
        pbx_cpu = time.process_time() - pbx_cpu
        calls = (await child.ask({"op": "dump"}, timeout=60))["calls"]
        problems += log_problems(child.log_path, offset)
    finally:
        await standin.stop()
        last = await child.stop()
    figures = Figures(impl, n, n / run.elapsed if run.elapsed > 0 else 0.0,
                      (in_script["cpu"] - before["cpu"]) / n * 1000, (after["cpu"] - before["cpu"]) / n * 1000,
                      before["rss"] / MB, after["peak_rss"] / MB, pbx_cpu / n * 1000, kinds=kind_figures(calls))
    figures.slowest = slowest_steps(calls)
    figures.ami_events = sum(run.events.values()) / n
    figures.top_events = ", ".join(f"{name} {count / n:.0f}" for name, count in run.events.most_common(4))
    if "sql" in after:
        figures.sql_ivr = (in_script["sql"] - before["sql"]) / n
        figures.sql_call = (after["sql"] - before["sql"]) / n
    if not settled["settled"]:
        problems.append(f"engine not settled after every call ended: {settled}")
    figures.problems = problems + check(run, calls, before, after, last, n) + errors.messages[:5]
    return figures, asterisk_dir


def check(run: pbx_side.PbxRun, calls: list[dict], before: dict, after: dict, last: dict, n: int) -> list[str]:
    problems = []
    if run.not_out_of_agi:
        problems.append(f"{run.not_out_of_agi} calls still in the FastAGI script at the deadline")
    if run.agistatus.get("SUCCESS", 0) != n:
        problems.append(f"AGISTATUS {dict(run.agistatus)}")
    if run.queued != n:
        problems.append(f"{n - run.queued} of {n} calls never reached a queue (engine-down path or lost)")
    if len(calls) != n:
        problems.append(f"responder saw {len(calls)} sessions for {n} calls")
    failed = [c for c in calls if c["error"]]
    if failed:
        problems.append(f"{len(failed)} sessions failed, e.g. {failed[0]['error']}")
    if run.stuck or run.channels_left:
        problems.append(f"stand-in: {run.stuck} calls did not end after hang-up, {run.channels_left} channels left")
    for key in ("dropped", "failed", "outbox_failures", "outbox_dropped", "outbox_rejected"):
        if after.get(key, 0) != before.get(key, 0):
            problems.append(f"engine {key}: {after[key] - before[key]}")
    if after.get("active"):
        problems.append(f"{after['active']} FastAGI sessions still active after every call ended")
    if after["tasks"] > before["tasks"]:
        problems.append(f"responder tasks {before['tasks']} before the load, {after['tasks']} after every call ended")
    if last.get("tasks_after_cleanup") or last.get("killed") or last.get("returncode"):
        problems.append(f"responder shutdown: {last}")
    return problems


async def run_all(opts: Options, workdir: Path) -> list[Figures]:
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    results = []
    asterisk_dir = None
    for n in opts.calls:
        for impl in ("engine", "baseline"):
            try:
                figures, asterisk_dir = await measure(impl, n, workdir, opts, asterisk_dir, errors)
            except ChildFailed as exc:
                print(f"{impl} N={n}: {exc}")
                raise SystemExit(2) from None
            results.append(figures)
            print(f"  measured {impl:>8} N={n}: {figures.calls_per_s:.1f} calls/s, "
                  f"{figures.cpu_call_ms:.2f} ms CPU/call (stand-in process: {figures.pbx_cpu_ms:.2f} ms CPU/call)", flush=True)
    return results


def sizes(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated call counts such as 100,1000, got {text!r}") from None
    if any(v < 1 or v > 20000 for v in values):
        raise argparse.ArgumentTypeError(f"call counts must be 1..20000, got {text!r}")
    return list(dict.fromkeys(values))


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.ivr", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N = 20, for CI")
    parser.add_argument("--calls", type=sizes, default=None, help="comma-separated N values (default 100,1000)")
    parser.add_argument("--agents", type=int, default=10, help="agents in the general pool (default 10)")
    parser.add_argument("--time-scale", type=float, default=0.01,
                        help="real seconds per simulated second in the stand-in (default 0.01)")
    parser.add_argument("--talk-time", type=float, default=30.0, help="mean simulated talk time (s)")
    parser.add_argument("--database-url", default=None, help="engine database (default: SQLite in a temp dir)")
    parser.add_argument("--deadline", type=float, default=None, help="seconds for N calls to leave the script")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile-engine", type=Path, default=None, metavar="FILE",
                        help="cProfile the engine child (last run wins) into FILE")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, databases)")
    opts = parser.parse_args(argv, namespace=Options())
    opts.calls = opts.calls or ([20] if opts.quick else [100, 1000])
    opts.deadline = opts.deadline or (30.0 if opts.quick else 60.0 + max(opts.calls) * 0.3)
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-ivr-"))
    print(f"bench/ivr: N={opts.calls}, {opts.agents} agents, work dir {workdir}", flush=True)
    try:
        results = asyncio.run(run_all(opts, workdir))
    finally:
        if not opts.keep:
            import shutil
            shutil.rmtree(workdir, ignore_errors=True)
    print_table(results, opts.time_scale)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
