"""bench/login_flood: does a login flood on the console slow the IVR?

The engine child runs the real engine application as `hotline run` does (database, services,
console with its login limiter and bounded argon2 pool, OWASP parameters, AMI towards an absent
Asterisk) and the IVR worker process it starts and supervises, whose hardened FastAGI server runs
the 10-command script of bench/fastagi (not the whole `ivr` route: no Asterisk here, so what is
measured is what the IVR's process shares with the console: the host's CPUs and the database file).
`--in-process` puts the scripted IVR on the engine's own event loop instead (the shape before:
7.8-31x its quiet p99 during 200 logins, and a flood of plain GET /login did the same).
This process plays Asterisk: C concurrent FastAGI calls in a loop, replies paced 20-50 ms, and
records each command's turnaround (reply written -> next command received). A second child
fires P parallel logins (distinct users, right passwords, each a real argon2 check) in waves.

Figures: IVR turnaround p50/p99 quiet and during the flood, the p99 ratio and whether the
target (<= 1.1x) is met, logins answered 302 / 429 (queue full "轮候登录人数过多", or the
limiter) / other, the engine's peak RSS, and where the IVR's time goes: the event-loop thread's
CPU, how late a 5 ms timer fires (loop busy), how long the loop thread waited for a core
(/proc schedstat: CPU contention), GC pauses, and how long this process (Asterisk's side) waited
for a core, which is measurement noise the engine cannot help.
`--workers N` sets the argon2 pool bound, `--concurrency N` the login gate and `--queue N` its
wait queue (defaults 1, 4 and 8, as shipped); `--workers 8 --concurrency 256 --queue 1024`
comes close to the unbounded code before (every login on the loop at once). `--kind` isolates
a cause: `forms` floods GET /login only (HTTP and template, no hash, no database), `hash` keeps
the hash pool busy without any HTTP (CPU contention alone), `none` is an A/A run (the "flood"
phase is quiet too: the host's own noise in the ratio). `--nice-only` runs the hash workers at
nice 19 without SCHED_IDLE, for comparison.

    .venv/bin/python -m bench.login_flood              # 200 logins, 20 calls, 6 rounds of 3 x 8 s phases
    .venv/bin/python -m bench.login_flood --quick      # 40 logins, 10 calls, 4 s per phase (CI)
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if not __package__:  # run as `python bench/login_flood.py`
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.fastagi import steady_load  # noqa: E402

PASSWORD = "flood-password-0000"
SESSION_KEY = "bench-login-flood-key-0123456789abcdef"
MB = 1024 * 1024


# --- the engine child ----------------------------------------------------------------------------

async def _seed(engine, users: int) -> str:
    """One real OWASP hash, copied to every user (hashing 200 of them would only slow the set-up)."""
    from sqlalchemy import insert

    from agent_console.accounts.models import User

    accounts = engine.services["accounts"]
    first = await accounts.add_user("flood0000", PASSWORD, ["agent"], "压测0000")
    rows = [{"username": f"flood{i:04d}", "display_name": f"压测{i:04d}", "password_hash": first.password_hash,
             "roles": "agent", "active": True} for i in range(1, users)]
    if rows:
        async with engine.sessions() as session, session.begin():
            await session.execute(insert(User), rows)
    return first.password_hash


async def _serve_engine(data_dir: Path, users: int, workers: int, concurrency: int, threads: bool,
                        backlog: int, queue: int, nice_only: bool, no_freeze: bool, in_process: bool) -> None:
    import psutil
    from aiohttp import web

    from bench.fastagi import ours_server
    from hotline import migrate
    from hotline.config import load_config
    from hotline.engine import ENGINE, build_app

    config = load_config(None, {}, {
        "engine": {"mode": "development", "data_dir": str(data_dir), "log_level": "ERROR"},  # AMI: no Asterisk here
        "console": {"port": 0, "session_key": SESSION_KEY, "login_hash_workers": workers,
                    "login_concurrency": concurrency, "login_hash_processes": not threads, "login_queue": queue,
                    "login_per_ip": 100_000},  # every login comes from 127.0.0.1 here
        "ivr": {"intake_dir": str(data_dir / "intake")},
        "recordings": {"directory": str(data_dir / "recordings")},
        "agi": {"port": 0},
        "survey": {"enabled": False},  # no Asterisk here to call out through
    })
    logging.basicConfig(level=logging.ERROR)
    await asyncio.to_thread(migrate.upgrade, config.database_url)
    if in_process:  # the shape before: the console app alone, the scripted IVR on its loop below
        app = build_app(config, telephony=False, freeze_heap=True)
    else:  # as `hotline run` does: the IVR worker process serves FastAGI (the scripted call, bench/fastagi)
        app = build_app(config, freeze_heap=True, separate_ivr=True, ivr_worker_routes="bench.fastagi:scripted_routes")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    if no_freeze:  # the engine as before: its start-up heap walked by every full collection
        gc.unfreeze()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=backlog)
    await site.start()
    if nice_only:
        from agent_console.accounts.hashing import HashPool

        accounts = app[ENGINE].services["accounts"]
        accounts.pool.close()
        accounts.pool = HashPool(workers=workers, wait_seconds=config.console.login_hash_wait, idle_class=False)
    stored = await _seed(app[ENGINE], users)
    if in_process:
        agi_port = await ours_server()  # on this loop: the IVR shares it with the console
        ivr_ps = None
    else:
        supervisor = app[ENGINE].services["ivr_worker"]
        ivr_ps = psutil.Process(await supervisor.wait_ready(timeout=120))
        agi_port = supervisor.port
    http_port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - aiohttp exposes no public port
    print(json.dumps({"http_port": http_port, "agi_port": agi_port, "ivr_pid": ivr_ps.pid if ivr_ps else None}),
          flush=True)
    proc, peak, lags = psutil.Process(), [0, 0], []
    worker_pids = await app[ENGINE].services["accounts"].pool.worker_pids()  # started now, not in the flood
    workers_ps = [psutil.Process(pid) for pid in worker_pids if pid != proc.pid]

    def workers_cpu() -> float:
        return sum(sum(w.cpu_times()[:2]) for w in workers_ps)

    def ivr_cpu() -> float:  # the IVR worker process (0 when the IVR runs on the engine's loop)
        return sum(ivr_ps.cpu_times()[:2]) if ivr_ps is not None else 0.0

    def workers_rss() -> int:
        return sum(w.memory_info().rss for w in workers_ps)

    async def sample() -> None:  # RSS every 100 ms, so the peak is the flood's, not a lucky moment's
        while True:
            peak[0] = max(peak[0], proc.memory_info().rss)
            peak[1] = max(peak[1], workers_rss())
            await asyncio.sleep(0.1)

    async def lag() -> None:  # how late a 5 ms timer fires: time the loop was busy with something else
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - asked - 0.005)

    main_tid = threading.get_native_id()
    gc_pauses: list[float] = []
    gc_started, full_runs = [0.0], [0]

    def on_gc(phase: str, info: dict) -> None:  # how long the collector stops the loop
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses.append(time.perf_counter() - gc_started[0])
            full_runs[0] += info.get("generation") == 2

    gc.callbacks.append(on_gc)

    def cpu_wait() -> float:
        """Seconds the event-loop thread was runnable but waiting for a core (/proc schedstat, Linux)."""
        try:
            return int(Path(f"/proc/self/task/{main_tid}/schedstat").read_text().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return 0.0

    async def hash_load() -> None:  # --hash-load: the pool busy without any HTTP (CPU contention alone)
        pool = app[ENGINE].services["accounts"].pool
        while True:
            if hashing[0]:
                await asyncio.gather(*(pool.verify(stored, PASSWORD) for _ in range(pool.workers)))
            else:
                await asyncio.sleep(0.05)

    hashing = [False]
    sampler, lagger = asyncio.create_task(sample()), asyncio.create_task(lag())
    hasher = asyncio.create_task(hash_load())
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            if line.strip() in ("hash on", "hash off"):
                hashing[0] = line.strip() == "hash on"
                print("{}", flush=True)
            if line.strip() == "rss":
                p99 = statistics.quantiles(lags, n=100)[98] * 1000 if len(lags) > 10 else 0.0
                print(json.dumps({"rss": proc.memory_info().rss, "peak": peak[0], "lag_p99_ms": p99,
                                  "loop_cpu": time.thread_time(), "cpu": time.process_time(),
                                  "workers_cpu": workers_cpu(), "workers_peak": peak[1], "ivr_cpu": ivr_cpu(),
                                  "cpu_wait": cpu_wait(), "gc_total": sum(gc_pauses),
                                  "gc_max_ms": max(gc_pauses, default=0.0) * 1000, "gc_full": full_runs[0],
                                  "frozen": gc.get_freeze_count(),
                                  "wall": time.perf_counter()}), flush=True)
                lags.clear()
                gc_pauses.clear()
                full_runs[0] = 0
    finally:
        sampler.cancel()
        lagger.cancel()
        hasher.cancel()
        await runner.cleanup()


# --- the login flood child -----------------------------------------------------------------------

async def _one_login(http, base: str, username: str, forms_only: bool = False) -> int:
    async with http.get(f"{base}/login") as form:
        page = await form.text()
        if forms_only:
            return form.status
        token = re.search(r'name="login_token" value="([^"]+)"', page).group(1)
        cookie = form.cookies["hotline_login"].value
    async with http.post(f"{base}/login", data={"username": username, "password": PASSWORD, "login_token": token},
                         headers={"Cookie": f"hotline_login={cookie}"}, allow_redirects=False) as done:
        await done.read()
        return done.status


async def _flood(base: str, parallel: int, seconds: float, forms_only: bool = False) -> dict:
    import aiohttp

    counts: dict[str, int] = {}
    waves, started = 0, time.perf_counter()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as http:
        while time.perf_counter() - started < seconds:
            results = await asyncio.gather(*(_one_login(http, base, f"flood{i:04d}", forms_only) for i in range(parallel)),
                                           return_exceptions=True)
            for r in results:
                key = str(r) if isinstance(r, int) else type(r).__name__
                counts[key] = counts.get(key, 0) + 1
            waves += 1
    return {"waves": waves, "statuses": counts, "seconds": time.perf_counter() - started}


# --- this process: Asterisk's side ---------------------------------------------------------------

def _ask(proc: subprocess.Popen, what: str) -> dict:
    proc.stdin.write(what + "\n")
    proc.stdin.flush()
    return json.loads(proc.stdout.readline())


def _own_cpu_wait() -> float:
    """Seconds this thread (Asterisk's side) was runnable but waiting for a core: its share of the noise."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def _phase(engine, ports: dict, args, seed: int, flood: bool) -> tuple[list[float], dict, dict | None]:
    """One quiet or flood phase: (IVR turnarounds, the engine's figures over it, the flood's answers)."""
    before = _ask(engine, "rss")
    flooder = None
    if flood and args.kind == "hash":
        _ask(engine, "hash on")
    elif flood and args.kind != "none":
        flooder = subprocess.Popen([sys.executable, "-m", "bench.login_flood", "--flood",
                                    f"http://127.0.0.1:{ports['http_port']}", "--logins", str(args.logins),
                                    "--seconds", str(args.seconds + 0.5)] + (["--forms-only"] if args.kind == "forms" else []),
                                   stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)  # the first wave is in flight before measuring
    waited = _own_cpu_wait()
    samples = asyncio.run(steady_load(ports["agi_port"], args.calls, args.seconds, seed))
    waited = _own_cpu_wait() - waited
    if flood and args.kind == "hash":
        _ask(engine, "hash off")
    after = _ask(engine, "rss")
    wall = after["wall"] - before["wall"]
    figures = {"loop": (after["loop_cpu"] - before["loop_cpu"]) / wall, "cpu": (after["cpu"] - before["cpu"]) / wall,
               "workers": (after["workers_cpu"] - before["workers_cpu"]) / wall, "workers_peak": after["workers_peak"],
               "ivr": (after["ivr_cpu"] - before["ivr_cpu"]) / wall,
               "lag": after["lag_p99_ms"], "wait": (after["cpu_wait"] - before["cpu_wait"]) / wall,
               "gc": after["gc_total"] / wall, "gc_max": after["gc_max_ms"],
               "client_wait": waited / wall, "gc_full": after["gc_full"], "frozen": after["frozen"], "peak": after["peak"], "rss": before["rss"]}
    answers = json.loads(flooder.communicate(timeout=args.seconds * 4 + 60)[0]) if flooder else None
    return samples, figures, answers


def run(args: argparse.Namespace) -> int:
    # each round: quiet, flood, and (for real logins) a second quiet phase "A/A": how far the host's own
    # noise moves the same run's p99 with nothing changed, the yardstick for the flood's ratio
    names = ("quiet", "flood", "aa") if args.kind == "logins" and not args.no_aa else ("quiet", "flood")
    phases: dict[str, list] = {name: [] for name in names}
    figures: dict[str, list[dict]] = {name: [] for name in names}
    statuses: dict[str, int] = {}
    rounds: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="login-flood-") as tmp:
        engine = subprocess.Popen([sys.executable, "-m", "bench.login_flood", "--serve-engine", tmp,
                                   "--users", str(args.logins), "--workers", str(args.workers),
                                   "--concurrency", str(args.concurrency), "--queue", str(args.queue)]
                                  + (["--threads"] if args.threads else []) + (["--nice-only"] if args.nice_only else [])
                                  + (["--no-freeze"] if args.no_freeze else [])
                                  + (["--in-process"] if args.in_process else [])
                                  + ["--backlog", str(args.backlog)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            ports = json.loads(engine.stdout.readline())
            asyncio.run(steady_load(ports["agi_port"], args.calls, 3.0, args.seed))  # warm-up (engine start-up work)
            for round_no in range(args.rounds):  # alternating, so host noise falls on both phases alike
                for name in names:
                    samples, figs, answers = _phase(engine, ports, args, args.seed + round_no, name == "flood")
                    phases[name] += samples
                    rounds[name].append(_quantiles(samples)[1] if len(samples) > 100 else float("nan"))
                    figures[name].append(figs)
                    for status, count in (answers or {}).get("statuses", {}).items():
                        statuses[status] = statuses.get(status, 0) + count
        finally:
            engine.stdin.close()
            engine.wait(timeout=30)
    (q50, q99), (f50, f99) = _quantiles(phases["quiet"]), _quantiles(phases["flood"])
    ratio = f99 / q99 if q99 else float("inf")

    def mean(name: str, key: str) -> float:
        return statistics.fmean(f[key] for f in figures[name])

    aa = None
    if "aa" in phases:
        a50, a99 = _quantiles(phases["aa"])
        aa = a99 / q99 if q99 else float("inf")
    where = "engine threads" if args.threads else "worker processes at nice 19" + ("" if args.nice_only else ", SCHED_IDLE")
    what = {"logins": f"waves of {args.logins} parallel logins (real argon2id checks in {where})",
            "forms": f"waves of {args.logins} parallel GET /login only", "none": "nothing (A/A: host noise)",
            "hash": f"the hash pool kept busy without HTTP ({where})"}[args.kind]
    print(f"login flood: {what}, pool bound {args.workers}, gate {args.concurrency} + queue {args.queue}; "
          f"IVR: {args.calls} concurrent FastAGI calls served by "
          f"{'the engine process itself (--in-process)' if args.in_process else 'the IVR worker process, as hotline run serves them'}; "
          f"{args.rounds} x ({args.seconds:.0f} s quiet + {args.seconds:.0f} s flood"
          f"{f' + {args.seconds:.0f} s quiet again (A/A)' if aa is not None else ''})")
    print(f"{'phase':>8} {'commands':>9} {'p50 ms':>8} {'p99 ms':>8} {'loop CPU':>9} {'proc CPU':>9} {'hash CPU':>9} "
          f"{'lag p99':>8} {'CPU wait':>9} {'GC':>7} {'GC max':>7} {'ast wait':>9} {'IVR CPU':>8}")
    rows = [("quiet", q50, q99), ("flood", f50, f99)] + ([("A/A", a50, a99)] if aa is not None else [])
    for label, p50, p99 in rows:
        name = "aa" if label == "A/A" else label
        print(f"{label:>8} {len(phases[name]):>9} {p50:>8.2f} {p99:>8.2f} {mean(name, 'loop'):>9.2f} "
              f"{mean(name, 'cpu'):>9.2f} {mean(name, 'workers'):>9.2f} {mean(name, 'lag'):>8.2f} "
              f"{mean(name, 'wait'):>9.3f} {mean(name, 'gc'):>7.3f} {max(f['gc_max'] for f in figures[name]):>7.1f} "
              f"{mean(name, 'client_wait'):>9.3f} {mean(name, 'ivr'):>8.2f}")
    print(f"IVR p99 quiet {q99:.2f} ms, flood {f99:.2f} ms, flood/quiet {ratio:.2f}x; "
          f"target <= 1.1x: {('met' if ratio <= 1.1 else 'NOT met') if args.kind == 'logins' else 'n/a (--kind ' + args.kind + ' diagnoses)'}")
    if aa is not None:
        print(f"A/A (quiet again, same run): p99 {a99:.2f} ms, {aa:.2f}x the first quiet phase: the host's noise "
              f"in the ratio above")
    if args.rounds > 1:  # how far the host's noise moves one phase's p99 from round to round
        per_round = [f / q for q, f in zip(rounds["quiet"], rounds["flood"], strict=True) if q]
        print(f"p99 per round (ms), quiet: {', '.join(f'{v:.1f}' for v in rounds['quiet'])}; "
              f"flood: {', '.join(f'{v:.1f}' for v in rounds['flood'])}; ratio per round "
              f"{min(per_round):.2f}-{max(per_round):.2f}x, median {statistics.median(per_round):.2f}x")
        if aa is not None:
            per_aa = [a / q for q, a in zip(rounds["quiet"], rounds["aa"], strict=True) if q]
            print(f"A/A p99 per round (ms): {', '.join(f'{v:.1f}' for v in rounds['aa'])}; A/A ratio per round "
                  f"{min(per_aa):.2f}-{max(per_aa):.2f}x, median {statistics.median(per_aa):.2f}x")
    print(f"full GC collections: quiet {sum(f['gc_full'] for f in figures['quiet'])}, "
          f"flood {sum(f['gc_full'] for f in figures['flood'])}; objects frozen at start-up "
          f"(never walked by the collector): {figures['quiet'][0]['frozen']}")
    print(f"logins answered: {statuses} (302 signed in, 429 轮候登录人数过多 or the limiter; others: broken run)")
    print(f"engine RSS: {figures['quiet'][0]['rss'] / MB:.0f} MB before, peak {max(f['peak'] for f in figures['flood']) / MB:.0f} MB; "
          f"hash workers' RSS peak {max(f['workers_peak'] for f in figures['flood']) / MB:.0f} MB")
    print("CPU columns: seconds per second of the event-loop thread / of the whole engine process (argon2 threads "
          "included when --threads) / of the argon2 worker processes; lag p99 (ms): how late a 5 ms timer fired in "
          "the engine; CPU wait: s/s the engine's loop thread was runnable without a core; GC: s/s in the collector, "
          "GC max its longest pause (ms); ast wait: s/s this measuring process waited for a core; IVR CPU: s/s of "
          "the IVR worker process")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="seconds-long smoke run (CI)")
    parser.add_argument("--logins", type=int, default=None, help="parallel logins per wave (default 200)")
    parser.add_argument("--calls", type=int, default=None, help="concurrent FastAGI calls (default 20)")
    parser.add_argument("--seconds", type=float, default=None, help="length of each phase (default 8, --quick 4)")
    parser.add_argument("--workers", type=int, default=1, help="argon2 checks at once (console.login_hash_workers)")
    parser.add_argument("--concurrency", type=int, default=4, help="login requests at once (console.login_concurrency)")
    parser.add_argument("--queue", type=int, default=8, help="logins waiting for a turn (console.login_queue)")
    parser.add_argument("--nice-only", action="store_true", help="hash workers at nice 19 without SCHED_IDLE")
    parser.add_argument("--no-freeze", action="store_true", help="leave the start-up heap to the collector")
    parser.add_argument("--threads", action="store_true", help="argon2 in engine threads (the shape before 11.3's processes)")
    parser.add_argument("--backlog", type=int, default=1024, help="the console's listen backlog (connections accepted per loop turn)")
    parser.add_argument("--in-process", action="store_true",
                        help="the IVR on the engine's own event loop (the shape before the IVR worker process)")
    parser.add_argument("--no-aa", action="store_true", help="skip the second quiet phase (A/A) of each round")
    parser.add_argument("--rounds", type=int, default=None, help="quiet+flood rounds (default 6, --quick 1)")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--kind", choices=("logins", "forms", "hash", "none"), default="logins",
                        help="what the flood phase does: real logins (the target), only GET /login "
                             "(HTTP and template, no hash, no database), only the hash pool busy (no HTTP), "
                             "or nothing (A/A: the host's noise)")
    parser.add_argument("--forms-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-engine", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, default=200, help=argparse.SUPPRESS)
    parser.add_argument("--flood", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_engine:
        asyncio.run(_serve_engine(args.serve_engine, args.users, args.workers, args.concurrency, args.threads,
                                  args.backlog, args.queue, args.nice_only, args.no_freeze, args.in_process))
        return 0
    if args.flood:
        os.nice(10)  # the browsers would be on other machines: this process must not take the engine's CPU
        print(json.dumps(asyncio.run(_flood(args.flood, args.logins, args.seconds, args.forms_only))), flush=True)
        return 0
    args.logins = args.logins or (40 if args.quick else 200)
    args.calls = args.calls or (10 if args.quick else 20)
    args.seconds = args.seconds or (4.0 if args.quick else 8.0)
    args.rounds = args.rounds or (1 if args.quick else 6)  # short alternating phases: host noise falls on both
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
