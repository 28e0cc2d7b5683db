"""bench/citizen_intake: the public intake form (POST /citizen/new) at 500 submissions/s on one core,
p99 ≤ 50 ms, while the IVR carries traffic in the same engine process.

The engine child runs the real engine application (SQLite file, services, the citizen pages with the
limits raised — every submission comes from 127.0.0.1 — and the log-only SMS gateway) pinned to ONE
CPU, with the hardened FastAGI server of bench/fastagi on the same event loop. It issues one SMS
verification code per phone up front (the codes a citizen would get by SMS) and hands them over in a file.
A load child (pinned elsewhere when the machine has another CPU) sends submissions open-loop at the
target rate — each at its scheduled time, whatever the answers before it did — and times each one
from that scheduled time, so a server that falls behind is charged for the queue it builds. This
process plays Asterisk: C concurrent FastAGI calls, replies paced 20-50 ms, command turnarounds timed.

The IVR load, and "Beijing scale": a center the size of Beijing's 12345 takes on the order of 60,000 calls a day
(an estimate, not a measured figure); a peak hour of ~10 % of them is under 2 new calls/s, and a few hundred
callers in the IVR at once, each sending an AGI command every few seconds, make under ~150 commands/s. The bench
keeps 20 FastAGI calls going at once with Asterisk's replies paced 20-50 ms — ~50 calls/s and ~500 commands/s,
printed per run — heavier than that peak in both call set-ups and commands.

Phases, all with the IVR running: `floor` (GET /citizen/new, the same public form page without the
database, at the same rate: the HTTP stack's and the page's own cost on this machine, the in-run
baseline; /healthz is not used, it queries the database on every request), then `intake`. Target: intake achieves the rate with p99 ≤ 50 ms,
every answer a ticket (200 with its number), the drafts in the store = the answers.

With `--pg` the engine stores on PostgreSQL (HOTLINE_TEST_PG_URL, default
postgresql://postgres@127.0.0.1:5432/test; a scratch database is created and dropped), as production does.

    .venv/bin/python -m bench.citizen_intake            # 500/s, 15 s phases, SQLite
    .venv/bin/python -m bench.citizen_intake --pg       # the same on PostgreSQL
    .venv/bin/python -m bench.citizen_intake --quick    # 500/s, 2 s phases, 5 s request timeout (CI, < 60 s)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as `python bench/citizen_intake.py`
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench._seed import pg_admin  # noqa: E402
from bench.fastagi import steady_load  # noqa: E402

SESSION_KEY = "bench-citizen-intake-key-0123456789abcdef"
FORM_TOKEN = "benchformtoken0123456789abcdef"
TARGET_RATE, TARGET_P99_MS = 500.0, 50.0
AGI_COMMANDS_PER_CALL = 10  # bench.fastagi.ours_server's route: one turnaround is timed per command after the first


def _cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0))


# --- the engine child ----------------------------------------------------------------------------

async def _serve_engine(data_dir: Path, phones: int, cpu: int, database_url: str | None,
                        in_flight: int | None) -> None:
    from aiohttp import web
    from sqlalchemy import func, select

    from bench.fastagi import ours_server
    from channels.web.context import CITIZEN
    from hotline import migrate
    from hotline.config import load_config
    from hotline.engine import ENGINE, build_app
    from tickets.models import Ticket

    os.sched_setaffinity(0, {cpu})
    big = 10_000_000
    config = load_config(None, {}, {
        "engine": {"mode": "development", "data_dir": str(data_dir), "log_level": "WARNING"},
        "console": {"port": 0, "session_key": SESSION_KEY},
        "citizen": {"codes_per_phone": big, "codes_per_address": big, "submits_per_phone": big,
                    "submits_per_address": big, "queries_per_address": big,
                    **({"max_in_flight": in_flight} if in_flight else {})},
        "hotspots": {"notify": False},
        **({"database": {"url": database_url}} if database_url else {}),
        "ivr": {"intake_dir": str(data_dir / "intake")},
        "recordings": {"directory": str(data_dir / "recordings")},
    })
    await asyncio.to_thread(migrate.upgrade, config.database_url)
    app = build_app(config, telephony=False, freeze_heap=True)  # as `hotline run` does
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    codes = app[CITIZEN].desk.codes
    issued = {f"139{i:08d}": codes.issue(f"139{i:08d}") for i in range(phones)}
    (data_dir / "codes.json").write_text(json.dumps(issued))
    agi_port = await ours_server()  # on this loop: the IVR shares it with the intake
    http_port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - aiohttp exposes no public port
    print(json.dumps({"http_port": http_port, "agi_port": agi_port}), flush=True)
    loop, lags = asyncio.get_running_loop(), []

    async def lag() -> None:  # how late a 5 ms timer fires: time the loop was busy (or the process not run)
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - asked - 0.005)

    lagger = asyncio.create_task(lag())
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            if line.strip() == "stats":
                lag_p99 = statistics.quantiles(lags, n=100)[98] * 1000 if len(lags) > 10 else 0.0
                lags.clear()
                async with app[ENGINE].sessions() as session:
                    drafts = await session.scalar(select(func.count()).select_from(Ticket)
                                                  .where(Ticket.channel == "web"))
                writer = app[CITIZEN].desk.writer
                batches = list(writer.recent)
                writer.recent.clear()
                print(json.dumps({"drafts": drafts, "cpu": time.process_time(), "wall": time.perf_counter(),
                                  "lag_p99_ms": lag_p99, "batches": batches}), flush=True)
    finally:
        lagger.cancel()
        await runner.cleanup()


# --- the load child ------------------------------------------------------------------------------

async def _load(base: str, kind: str, rate: float, seconds: float, phones: list[tuple[str, str]],
                timeout: float) -> dict:
    """Open loop; a request unanswered after `timeout` s counts as a timeout (the run stays bounded)."""
    import aiohttp

    count = int(rate * seconds)
    latencies: list[float] = []   # of the answered submissions (a ticket number)
    others: list[float] = []      # of refusals (503 系统繁忙) and failures
    statuses: dict[str, int] = {}
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
    cookies = {"Cookie": f"hotline_citizen={FORM_TOKEN}"}

    async def one(i: int, at: float, http) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        try:
            if kind == "floor":
                async with http.get(f"{base}/citizen/new") as resp:
                    ok = resp.status == 200 and 'name="form_token"' in await resp.text()
            else:
                phone, code = phones[i]
                form = {"form_token": FORM_TOKEN, "request_type": "complaint", "phone": phone, "sms_code": code,
                        "content": f"压测诉求 {i}：小区门口的路灯坏了一个星期，晚上很黑，希望尽快修理。",
                        "address": "徐汇区幸福路 12 号", "name": "压测"}
                async with http.post(f"{base}/citizen/new", data=form, headers=cookies) as resp:
                    body = await resp.text()
                    ok = resp.status == 200 and 'id="query-code"' in body
            key = "ok" if ok else f"HTTP {resp.status}"
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            key = type(exc).__name__
        (latencies if key == "ok" else others).append(time.perf_counter() - at)
        statuses[key] = statuses.get(key, 0) + 1

    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                     timeout=aiohttp.ClientTimeout(total=timeout)) as http:
        start = time.perf_counter() + 0.2
        await asyncio.gather(*(one(i, start + i / rate, http) for i in range(count)))
        took = time.perf_counter() - start
    return {"latencies": latencies, "others": others, "statuses": statuses, "seconds": took, "count": count}


# --- this process: Asterisk's side ---------------------------------------------------------------

def _ask(proc: subprocess.Popen) -> dict:
    proc.stdin.write("stats\n")
    proc.stdin.flush()
    return json.loads(proc.stdout.readline())


def _q(samples: list[float]) -> tuple[float, float]:
    if len(samples) < 2:
        return float("nan"), float("nan")
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def _phase(engine, ports, args, kind: str, offset: int, codes_file: Path, load_cpu: int | None) -> dict:
    before = _ask(engine)
    cmd = [sys.executable, "-m", "bench.citizen_intake", "--load", f"http://127.0.0.1:{ports['http_port']}",
           "--kind", kind, "--rate", str(args.rate), "--seconds", str(args.seconds), "--codes", str(codes_file),
           "--offset", str(offset), "--timeout", str(args.timeout)] + (["--cpu", str(load_cpu)] if load_cpu is not None else [])
    loader = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    ivr = asyncio.run(steady_load(ports["agi_port"], args.calls, args.seconds + 0.4, offset))
    result = json.loads(loader.communicate(timeout=args.seconds + args.timeout + 60)[0])
    after = _ask(engine)
    result["ivr"] = ivr
    result["cpu_seconds"] = after["cpu"] - before["cpu"]
    result["lag"] = after["lag_p99_ms"]
    result["cpu"] = result["cpu_seconds"] / (after["wall"] - before["wall"])
    result["drafts"] = after["drafts"] - before["drafts"]
    result["batches"] = after["batches"]
    return result


DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def run(args: argparse.Namespace) -> int:
    if not args.pg:
        return _run(args, None)
    import uuid

    admin = os.environ.get("HOTLINE_TEST_PG_URL", DEFAULT_PG)
    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(pg_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        return _run(args, f"{base}/{name}")
    finally:
        asyncio.run(pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _run(args: argparse.Namespace, database_url: str | None) -> int:
    cpus = _cpus()
    engine_cpu, load_cpu = cpus[0], (cpus[1] if len(cpus) > 1 else None)
    per_phase = int(args.rate * args.seconds)
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    with tempfile.TemporaryDirectory(prefix="citizen-intake-") as tmp:
        engine = subprocess.Popen([sys.executable, "-m", "bench.citizen_intake", "--serve-engine", tmp,
                                   "--phones", str(per_phase * 2), "--cpu", str(engine_cpu)]
                                  + (["--database-url", database_url] if database_url else [])
                                  + (["--max-in-flight", str(args.max_in_flight)] if args.max_in_flight else []),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            ports = json.loads(engine.stdout.readline())
            codes_file = Path(tmp) / "codes.json"
            asyncio.run(steady_load(ports["agi_port"], args.calls, 2.0, args.seed))  # warm-up
            before_quiet = _ask(engine)
            quiet = asyncio.run(steady_load(ports["agi_port"], args.calls, args.seconds, args.seed))
            after_quiet = _ask(engine)
            ivr_cpu = (after_quiet["cpu"] - before_quiet["cpu"]) / (after_quiet["wall"] - before_quiet["wall"])
            floor = _phase(engine, ports, args, "floor", 0, codes_file, load_cpu)
            intake = _phase(engine, ports, args, "intake", per_phase, codes_file, load_cpu)
        finally:
            engine.stdin.close()
            engine.wait(timeout=60)
    print(f"citizen intake on {'PostgreSQL' if database_url else 'SQLite'}: POST /citizen/new open-loop at "
          f"{args.rate:.0f}/s for {args.seconds:.0f} s, engine pinned "
          f"to CPU {engine_cpu} ({len(cpus)} CPUs here, load average {load:.2f} at start); IVR: {args.calls} "
          f"concurrent FastAGI calls throughout")
    print(f"{'phase':>8} {'sent':>6} {'ok':>6} {'rate/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'eng CPU':>8} "
          f"{'CPU ms/ok':>9} {'IVR p50':>8} {'IVR p99':>8} {'refused p99':>12} {'lag p99':>8}")
    ivr_seconds = args.seconds + 0.4
    commands = len(intake["ivr"]) / ivr_seconds
    print(f"IVR during intake: {commands / (AGI_COMMANDS_PER_CALL - 1):.0f} FastAGI calls/s, {commands:.0f} AGI "
          f"commands/s ({args.calls} calls at once, replies paced 20-50 ms; a Beijing-scale peak is < 2 calls/s, "
          f"< 150 commands/s)")
    qi50, qi99 = _q(quiet)
    print(f"{'quiet':>8} {'-':>6} {'-':>6} {'-':>7} {'-':>8} {'-':>8} {ivr_cpu:>8.2f} {'-':>9} {qi50:>8.2f} {qi99:>8.2f}")
    rows = {}
    for name, r in (("floor", floor), ("intake", intake)):
        p50, p99 = _q(r["latencies"])
        i50, i99 = _q(r["ivr"])
        ok = r["statuses"].get("ok", 0)
        rate = ok / r["seconds"] if r["seconds"] else 0.0
        rows[name] = (p50, p99, rate, ok, i99)
        per_ok = r["cpu_seconds"] / ok * 1000 if ok else float("nan")
        print(f"{name:>8} {r['count']:>6} {ok:>6} {rate:>7.0f} {p50:>8.2f} {p99:>8.2f} {r['cpu']:>8.2f} "
              f"{per_ok:>9.2f} {i50:>8.2f} {i99:>8.2f} {_q(r['others'])[1]:>12.2f} {r['lag']:>8.2f}")
    p50, p99, rate, ok, i99 = rows["intake"]
    net = (intake["cpu_seconds"] - ivr_cpu * (args.seconds + 0.4)) / ok * 1000 if ok else float("nan")
    print(f"engine CPU: the IVR alone (quiet) {ivr_cpu:.2f} of the core; one submission costs {net:.2f} ms of CPU "
          f"beyond it, so {TARGET_RATE:.0f}/s need {net * TARGET_RATE / 1000 + ivr_cpu:.2f} of the core with the IVR")
    late, gave_up = intake["drafts"] - ok, intake["statuses"].get("TimeoutError", 0)
    print(f"answers: floor {floor['statuses']}, intake {intake['statuses']}; drafts stored {intake['drafts']}"
          + (f" ({late} finished after the client gave up at {args.timeout:.0f} s)" if late > 0 else ""))
    batches = intake["batches"]
    if batches:
        sizes = [n for n, _ in batches]
        c50, c99 = _q([t for _, t in batches])
        print(f"group commit: {len(batches)} batches, {statistics.mean(sizes):.1f} submissions each on average "
              f"(largest {max(sizes)}), commit p50 {c50:.2f} ms, p99 {c99:.2f} ms")
    ratio = p99 / rows["floor"][1] if rows["floor"][1] else float("inf")
    print("p50/p99: of the answered submissions (a ticket number), from their scheduled send time; refused p99: "
          "of the 503 系统繁忙 refusals and failures; CPU ms/ok: the engine process's CPU per answered submission; "
          "lag p99: how late a 5 ms timer fired in the engine (its loop busy or the process not scheduled)")
    print(f"intake p99 / floor p99 (GET /citizen/new at the same rate): {ratio:.1f}x; "
          f"IVR p99 during intake / quiet: {i99 / qi99 if qi99 else float('inf'):.2f}x")
    met = rate >= TARGET_RATE * 0.98 and p99 <= TARGET_P99_MS and ok == intake["count"]
    print(f"target {TARGET_RATE:.0f} submissions/s on one core with p99 <= {TARGET_P99_MS:.0f} ms while the IVR "
          f"carries traffic: {'met' if met else 'NOT met'} ({rate:.0f}/s, p99 {p99:.1f} ms)")
    broken = ok == 0 or intake["drafts"] < ok or late > gave_up
    if broken:
        print("run broken: no submission answered, answered tickets missing from the store, or drafts stored for "
              "submissions answered with an error", file=sys.stderr)
    return 1 if broken else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="seconds-long smoke run (CI, < 60 s)")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="submissions per second (default 500)")
    parser.add_argument("--seconds", type=float, default=None, help="length of each phase (default 15, --quick 3)")
    parser.add_argument("--calls", type=int, default=20, help="concurrent FastAGI calls (default 20)")
    parser.add_argument("--timeout", type=float, default=None, help="a submission unanswered after this is a "
                        "timeout (default 30 s, --quick 5 s)")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--pg", action="store_true", help="store on PostgreSQL (HOTLINE_TEST_PG_URL)")
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--max-in-flight", type=int, default=None,
                        help="[citizen] max_in_flight for this run (default: as shipped)")
    parser.add_argument("--serve-engine", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--phones", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="intake", help=argparse.SUPPRESS)
    parser.add_argument("--codes", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_engine:
        serve = _serve_engine(args.serve_engine, args.phones, args.cpu if args.cpu is not None else _cpus()[0],
                              args.database_url, args.max_in_flight)
        asyncio.run(serve)
        return 0
    if args.load:
        if args.cpu is not None:
            os.sched_setaffinity(0, {args.cpu})
        codes = list(json.loads(args.codes.read_text()).items())[args.offset:] if args.codes else []
        out = asyncio.run(_load(args.load, args.kind, args.rate, args.seconds, codes, args.timeout))
        print(json.dumps(out), flush=True)
        return 0
    args.seconds = args.seconds or (2.0 if args.quick else 15.0)
    args.timeout = args.timeout or (5.0 if args.quick else 30.0)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
