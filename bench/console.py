"""bench/console: agent pages and wallboards on websockets while the stand-in carries Beijing-scale traffic.

Three processes besides this one: the engine (IVR, live floor, console; its CPU/RSS measured),
the websocket clients (500 agent pages on /agent/live bound to PJSIP/8001…, 50 wallboards on
/wallboard/live, aiohttp — no browser: the server's load is the same, a browser only adds its
own rendering), and later the baseline. This process runs the Asterisk stand-in in real time
(750 seats in the pool queue, a ramp to ~720 busy, then Poisson arrivals at 3 calls/s with
240 s mean talk) and timestamps every AgentCalled/AgentConnect/AgentComplete/AgentRingNoAnswer
as it emits it. Delay = first websocket message showing that event's effect (the agent's state
on its own page, the agent's row on a wallboard) minus that timestamp; same host, CLOCK_MONOTONIC.
The screen pop (issue 14's target, ≤ 300 ms p99): AgentCalled → the first message on the agent's page
whose pop for that call is complete (caller, IVR path, the draft looked up), printed as met / NOT met.

Baseline (same run, same traffic, same clients): a minimal aiohttp broadcaster reading the same
AMI stream with a bare socket, same batch window, no console logic. The engine keeps running
the IVR and the floor in that window with no page open: its CPU then is the cost without pages.
The knowledge-base figures come from bench/knowledge (run as its own process at the end).

    .venv/bin/python -m bench.console             # 750 seats, 500 pages, 50 wallboards, ~2.5 min
    .venv/bin/python -m bench.console --quick     # 60 seats, 50 pages, 5 wallboards (CI)
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as `python bench/console.py`
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import psutil  # noqa: E402

from bench.console_load import latency  # noqa: E402
from bench.console_load.pbx_load import Traffic  # noqa: E402
from bench.console_load.report import Figures, print_report  # noqa: E402
from bench.ivr import log_problems  # noqa: E402
from bench.ivr_load import pbx_side  # noqa: E402
from bench.ivr_load.procs import Child, ChildFailed  # noqa: E402

MB = 1024 * 1024


class Options(argparse.Namespace):
    quick: bool
    seats: int
    agents: int
    wallboards: int
    rate: float
    talk_time: float
    fill_seconds: float
    window: float
    parse: int
    seed: int
    keep: bool
    no_kb: bool
    profile_engine: Path | None
    margin: float


async def measure(impl: str, server: Child, base: str, agents: list, boards: list, traffic: Traffic,
                  opts: Options, workdir: Path, engine: Child | None = None) -> Figures:
    """One window; with `engine` (the baseline's window) also the engine's CPU with no page open."""
    clients = Child(f"{impl}-clients", "bench.console_load.clients", [], workdir / f"{impl}-clients.log")
    await clients.start()
    figures = Figures(impl)
    try:
        await clients.send({"base": base, "agents": agents, "wallboards": boards, "parse": opts.parse})
        connected = await clients.read(180)
        figures.connected, figures.connect_s = connected["connected"], connected["seconds"]
        if connected["failures"]:
            figures.problems.append(f"{connected['failures']} sockets failed to open, e.g. {connected['failed'][:2]}")
        await asyncio.sleep(2.0)  # the first full push to every page is not part of the window
        offset = server.log_path.stat().st_size
        before = await server.ask({"op": "stats"})
        idle_before = await engine.ask({"op": "stats"}) if engine is not None else None
        events_before, pbx_cpu, client_cpu = traffic.events, time.process_time(), _cpu(clients.pid)
        start = (await clients.ask({"op": "start"}))["started"]
        await asyncio.sleep(opts.window)
        after = await server.ask({"op": "stats"}, timeout=60)
        idle_after = await engine.ask({"op": "stats"}) if engine is not None else None
        dump = await clients.ask({"op": "stop"}, timeout=120)
        elapsed = dump["stopped"] - start
        figures.events_per_s = (traffic.events - events_before) / elapsed
        figures.pbx_cpu = (time.process_time() - pbx_cpu) / elapsed * 100
        figures.client_cpu = (_cpu(clients.pid) - client_cpu) / elapsed * 100
    finally:
        await clients.stop()
    end = dump["stopped"] - opts.margin
    if engine is None and impl == "engine":
        floor = (await server.ask({"op": "dump"}, timeout=60))["calls"]
        figures.ingest = latency.ingest(traffic.by_iface, floor, start, end)
    figures.agent = latency.agent_pages(traffic.by_iface, dump["agent_states"], start, end)
    if impl == "engine":
        figures.pop = latency.screen_pops(traffic.called, dump["pops"], start, end)
    figures.board = latency.wallboards(traffic.by_iface, dump["board_changes"], start, end)
    figures.window = elapsed
    figures.msgs = {k: v / elapsed for k, v in dump["messages"].items()}
    figures.mbytes = {k: v / elapsed / MB for k, v in dump["bytes"].items()}
    figures.cpu = (after["cpu"] - before["cpu"]) / elapsed * 100
    figures.rss, figures.peak_rss = after["rss"] / MB, after["peak_rss"] / MB
    figures.sent_per_s = (after["sent"] - before["sent"]) / elapsed
    figures.batches_per_s = (after["batches"] - before["batches"]) / elapsed
    figures.busy = traffic.busy
    if idle_before is not None:
        figures.engine_idle_cpu = (idle_after["cpu"] - idle_before["cpu"]) / elapsed * 100
        if idle_after["pages"]:
            figures.problems.append(f"engine still has {idle_after['pages']} pages in the baseline window")
    if dump["closed"]:
        figures.problems.append(f"sockets closed by the server during the window: {dump['closed']}")
    if after["pages"] != len(agents) + len(boards):
        figures.problems.append(f"server has {after['pages']} live pages, {len(agents) + len(boards)} opened")
    for line in log_problems(server.log_path, offset):
        # The stand-in writes recordings under its own spool dir here (as in bench/ivr), not where the engine looks.
        (figures.notes if "recordings.finished" in line and "state=missing" in line else figures.problems).append(line)
    return figures


def _cpu(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system


async def run_all(opts: Options, workdir: Path) -> list[Figures]:
    from hotline.demo import DEMO_AMI_SECRET

    engine = Child("engine", "bench.console_load.engine_side",
                   ["--data-dir", str(workdir / "engine"), "--seats", str(opts.seats), "--agents", str(opts.agents),
                    "--wallboards", str(opts.wallboards),
                    *(["--profile", str(opts.profile_engine.resolve())] if opts.profile_engine else [])],
                   workdir / "engine.log")
    await engine.start()
    standin = traffic = None
    results = []
    try:
        asterisk_dir = Path((await engine.read(180))["asterisk_dir"])
        standin, ami_port = await pbx_side.start_standin(asterisk_dir, 1.0, opts.seats, opts.talk_time, opts.seed)
        await engine.send({"ami_port": ami_port})
        pbx_side.point_agi(standin, (await engine.read(120))["agi_port"])
        accounts = await engine.read(180)
        traffic = Traffic(standin, opts.seed)
        fill = min(opts.seats - 1, round(opts.rate * opts.talk_time))
        traffic.start(fill, opts.fill_seconds, opts.rate)
        print(f"  ramp: {fill} calls over {opts.fill_seconds:.0f} s, then {opts.rate} calls/s", flush=True)
        if not await traffic.wait_busy(int(fill * 0.9), opts.fill_seconds + 60):
            print(f"  warning: only {traffic.busy} of {fill} seats busy after the ramp", flush=True)
        base = f"http://127.0.0.1:{accounts['console_port']}"
        results.append(await measure("engine", engine, base, accounts["agents"], accounts["wallboards"], traffic,
                                     opts, workdir))
        print(f"  measured engine: {results[-1].busy} busy, {results[-1].events_per_s:.0f} AMI events/s", flush=True)
        baseline = Child("baseline", "bench.console_load.baseline", ["--ami-port", str(ami_port), "--secret",
                                                                     DEMO_AMI_SECRET], workdir / "baseline.log")
        await baseline.start()
        try:
            port = (await baseline.read(60))["console_port"]
            await asyncio.sleep(1.0)
            pages = [[iface, iface] for _token, iface in accounts["agents"]]
            results.append(await measure("baseline", baseline, f"http://127.0.0.1:{port}", pages,
                                         [f"board{i}" for i in range(opts.wallboards)], traffic, opts, workdir,
                                         engine))
        finally:
            await baseline.stop()
        last = await engine.stop()
        if last.get("tasks_after_cleanup") or last.get("killed") or last.get("returncode"):
            results[0].problems.append(f"engine shutdown: {last}")
        stuck = await traffic.stop()
        if stuck:
            results[-1].problems.append(f"stand-in: {stuck} calls did not end after hang-up")
    finally:
        if traffic is not None and traffic.running:
            await traffic.stop(5)
        if standin is not None:
            await standin.stop()
        await engine.stop()
    return results


def knowledge(quick: bool) -> int:
    """bench/knowledge in its own process (its CPU must not mix with this run's)."""
    cmd = [sys.executable, "-m", "bench.knowledge"] + (["--quick"] if quick else [])
    print("\nknowledge base (bench/knowledge):", flush=True)
    return subprocess.call(cmd, cwd=Path(__file__).parents[1])


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.console", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="60 seats, 50 pages, 5 wallboards, 10 s windows")
    parser.add_argument("--seats", type=int, default=None, help="agents in the stand-in's pool (default 750)")
    parser.add_argument("--agents", type=int, default=None, help="agent pages (default 500)")
    parser.add_argument("--wallboards", type=int, default=None, help="wallboard pages (default 50)")
    parser.add_argument("--rate", type=float, default=3.0, help="new calls per second (real time)")
    parser.add_argument("--talk-time", type=float, default=None, help="mean talk time, s (default 240)")
    parser.add_argument("--window", type=float, default=None, help="measured seconds per implementation")
    parser.add_argument("--parse", type=int, default=5, help="wallboards whose messages are parsed for delays")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, database)")
    parser.add_argument("--profile-engine", type=Path, default=None, metavar="FILE",
                        help="cProfile the engine child into FILE (slows it: delays are then not comparable)")
    parser.add_argument("--no-kb", action="store_true", help="skip the knowledge-base figures")
    opts = parser.parse_args(argv, namespace=Options())
    q = opts.quick
    opts.seats = opts.seats or (60 if q else 750)
    opts.agents = opts.agents if opts.agents is not None else (50 if q else 500)
    opts.wallboards = opts.wallboards if opts.wallboards is not None else (5 if q else 50)
    opts.talk_time = opts.talk_time or (15.0 if q else 240.0)
    opts.window = opts.window or (10.0 if q else 40.0)
    opts.fill_seconds = 5.0 if q else 25.0
    opts.margin = 3.0
    if opts.agents > opts.seats or min(opts.seats, opts.agents, opts.wallboards) < 0 or opts.seats < 2:
        parser.error(f"need 2 <= seats and 0 <= agent pages <= seats; got {opts.seats} seats, {opts.agents} pages")
    if opts.rate <= 0 or opts.window < 5:
        parser.error("rate must be > 0 and the window at least 5 s")
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-console-"))
    print(f"bench/console: {opts.seats} seats, {opts.agents} agent pages, {opts.wallboards} wallboards, "
          f"{opts.rate} calls/s, talk {opts.talk_time:.0f} s, work dir {workdir}", flush=True)
    try:
        results = asyncio.run(run_all(opts, workdir))
    except ChildFailed as exc:
        print(f"bench/console: {exc}")
        return 2
    finally:
        if not opts.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print_report(results, opts)
    return 0 if opts.no_kb else knowledge(opts.quick)


if __name__ == "__main__":
    raise SystemExit(main())
