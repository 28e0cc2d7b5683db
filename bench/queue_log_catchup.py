"""Catching up from Asterisk's queue_log: CPU to read, parse and reduce 100,000 lines (target ≤ 5 s),
and the wall time for a restarted engine to reconcile its call log (target ≤ 10 s).

    .venv/bin/python -m bench.queue_log_catchup [--quick] [--lines 100000] [--gap 600] [--database URL]

The queue_log is generated with the line shapes of the real Asterisk 22.10.1 trace
(tests/fixtures/traces/queue_log): answered calls, abandons while ringing, timeouts overflowing
from a dedicated queue to the pool, blind transfers, pause changes. The restart case: the call
log holds every call up to the kill, the saved position is where the engine stopped, and `--gap`
calls happened while it was down; the clock runs from the new follower's first read until the
call log and worklist hold them all.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from queuelog import QueueLogReducer, parse_lines
from queuelog.tail import FileTail


def generate(path: Path, lines: int, seed: int = 12345, start: int = 1796193920) -> int:
    """Write about `lines` queue_log lines; returns the number of calls."""
    rng = random.Random(seed)
    out = [f"{start}|NONE|NONE|NONE|QUEUESTART|"]
    t, seq, calls = start, 0, 0
    agents = [f"坐席{i:02d}" for i in range(1, 41)]
    while len(out) < lines:
        t += rng.randint(0, 2)
        seq += 3
        calls += 1
        cid = f"{t}.{seq}"
        number = f"13{rng.randint(100000000, 999999999)}"
        agent = rng.choice(agents)
        kind = rng.random()
        if kind < 0.05:
            out.append(f"{t}|NONE|NONE|{agent}|PAUSEALL|午休")
            out.append(f"{t}|NONE|hotline-general|{agent}|PAUSE|午休")
        if kind < 0.70:                                          # answered
            hold, talk = rng.randint(0, 40), rng.randint(20, 400)
            out += [f"{t}|{cid}|hotline-general|NONE|ENTERQUEUE||{number}|1",
                    f"{t + hold}|{cid}|hotline-general|{agent}|CONNECT|{hold}|{t}.{seq + 1}|1",
                    f"{t + hold + talk}|{cid}|hotline-general|{agent}|COMPLETECALLER|{hold}|{talk}|1"]
        elif kind < 0.82:                                        # abandoned while ringing
            wait = rng.randint(1, 90)
            out += [f"{t}|{cid}|hotline-general|NONE|ENTERQUEUE||{number}|2",
                    f"{t + wait}|{cid}|hotline-general|{agent}|RINGCANCELED|{wait * 1000 - 7}",
                    f"{t + wait}|{cid}|hotline-general|NONE|ABANDON|1|2|{wait}"]
        elif kind < 0.92:                                        # dedicated queue timeout, pool answers
            hold, talk = rng.randint(0, 30), rng.randint(20, 300)
            u = t + 60
            out += [f"{t}|{cid}|line-12315|NONE|ENTERQUEUE||{number}|1",
                    f"{t + 15}|{cid}|line-12315|王芳|RINGNOANSWER|15000",
                    f"{u}|{cid}|line-12315|NONE|EXITWITHTIMEOUT|1|1|60",
                    f"{u}|{cid}|hotline-general|NONE|ENTERQUEUE||{number}|1",
                    f"{u + hold}|{cid}|hotline-general|{agent}|CONNECT|{hold}|{u}.{seq + 2}|1",
                    f"{u + hold + talk}|{cid}|hotline-general|{agent}|COMPLETEAGENT|{hold}|{talk}|1"]
        else:                                                    # blind transfer to 119
            hold, talk = rng.randint(0, 20), rng.randint(10, 60)
            out += [f"{t}|{cid}|hotline-general|NONE|ENTERQUEUE||{number}|1",
                    f"{t + hold}|{cid}|hotline-general|{agent}|CONNECT|{hold}|{t}.{seq + 1}|1",
                    f"{t + hold + talk}|{cid}|hotline-general|{agent}|BLINDTRANSFER|119|emergency-linkage|"
                    f"{hold}|{talk}|1"]
    # Asterisk writes lines in time order; ours interleave calls the same way
    out.sort(key=lambda line: int(line.split("|", 1)[0]))
    path.write_text("\n".join(out[:lines]) + "\n", encoding="utf-8")
    return calls


def catch_up_cpu(path: Path) -> tuple[float, int, int]:
    started = time.process_time()
    tail, reducer = FileTail(path), QueueLogReducer()
    position, lines = None, 0
    while True:
        read = tail.read(position)
        lines += len(read.lines)
        reducer.feed(parse_lines(read.lines).records)
        position = read.position
        if not read.more:
            break
    settled = reducer.settled(now=reducer.latest + 3600)
    return time.process_time() - started, lines, len(settled)


async def restart_reconcile(database_url: str, history: int, gap: int, workdir: Path) -> dict:
    from calls.models import TABLES as CALL_TABLES
    from calls.service import CallLog
    from hotline.db import Base, make_engine, make_sessionmaker
    from hotline.queue_log_wiring import to_finished
    from queuelog.follower import QueueLogFollower
    from queuelog.models import TABLES as QL_TABLES
    from queuelog.position import PositionStore
    from queuelog.sources import FileSource
    from queuelog.tail import TailPosition
    from tickets import DeadlineRules, TicketService, WorkCalendar
    from tickets.models import TABLES as TICKET_TABLES

    tables = [*TICKET_TABLES, *CALL_TABLES, *QL_TABLES]
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=tables))
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=tables))
    sessions = make_sessionmaker(engine)

    def clock() -> datetime:
        return datetime.now(UTC)

    call_log = CallLog(sessions, clock, TicketService(sessions, clock, WorkCalendar.shipped(), DeadlineRules.defaults()))
    path = workdir / "queue_log"
    generate(path, int((history + gap) * 3.4))   # about 3.4 lines per call: `gap` calls after the history
    data = path.read_bytes()
    reducer = QueueLogReducer()
    reducer.feed(parse_lines(data.splitlines(keepends=True)).records)
    calls = reducer.settled(now=reducer.latest + 3600)
    known, lost = calls[:history], calls[history:]
    await call_log.reconcile([to_finished(c, "pbx1") for c in known])   # what the engine had stored
    positions = PositionStore(sessions, clock)
    source = f"pbx1:{path}"

    async def sink(batch):
        await call_log.reconcile([to_finished(c, "pbx1") for c in batch])

    # the saved position: the first line of the first call the engine had not stored
    offsets, pos = {}, 0
    for line in data.splitlines(keepends=True):
        cid = line.split(b"|", 2)[1].decode()
        offsets.setdefault(cid, pos)
        pos += len(line)
    await positions.save(source, TailPosition(path.stat().st_ino, min(offsets[c.callid] for c in lost)))
    follower = QueueLogFollower(source, FileSource(FileTail(path)), positions, sink, clock)
    started, cpu = time.perf_counter(), time.process_time()
    stats = await follower.catch_up("restart")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    async with sessions() as session:
        from sqlalchemy import func, select

        from calls.models import CallRecord
        stored = (await session.execute(select(func.count()).select_from(CallRecord))).scalar_one()
    await engine.dispose()
    return {"wall": wall, "cpu": cpu, "lines": stats.lines, "handed": stats.handed, "stored": stored,
            "expected": len(calls), "lost": len(lost)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 lines and a small gap, for CI smoke runs")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=2_000, help="calls already in the call log at the kill")
    parser.add_argument("--gap", type=int, default=600, help="calls Asterisk took while the engine was down")
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    if args.quick:
        args.lines, args.history, args.gap = 10_000, 200, 60
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        calls = generate(work / "big.queue_log", args.lines)
        cpu, lines, settled = catch_up_cpu(work / "big.queue_log")
        target = 5.0 * args.lines / 100_000
        print(f"catch-up: {lines} lines, {calls} calls, {settled} settled: {cpu:.2f} s CPU "
              f"(target ≤ {target:.1f} s for {args.lines} lines)")
        ok &= cpu <= target
        url = args.database or f"sqlite+aiosqlite:///{work / 'bench.db'}"
        result = asyncio.run(restart_reconcile(url, args.history, args.gap, work))
        print(f"restart: {result['lost']} calls missing of {result['expected']} ({result['lines']} lines since "
              f"the saved position) reconciled in {result['wall']:.2f} s wall, {result['cpu']:.2f} s CPU "
              f"on {url.split(':', 1)[0]}; call log {result['stored']}/{result['expected']} (target ≤ 10 s)")
        ok &= result["wall"] <= 10.0 and result["stored"] == result["expected"]
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
