"""Hotspot query time on PostgreSQL: N tickets over 28+1 Asia/Shanghai days (20 categories, 16
districts, 5 channels), generated in the database (bench/_seed.py) with the per-day hotspot rows
built by the migration's backfill, then what /reports/hotspots computes: `hotspots.counts.day_counts`
for the 29 days and the spike detector over them. Issue 16's target: the hotspot query over
5,000,000 tickets ≤ 1 s; the full run puts all 5,000,000 in the 29 days (the worst case: a year of
such a center holds fewer).

Baseline (in-run): the GROUP BY over the tickets themselves that the page ran before the per-day
rows (`day_counts_direct`, an index-only scan of `ix_ticket_hotspots`); its rows must equal the
query's, else the run is broken (exit 1).

PostgreSQL comes from HOTLINE_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test); a
scratch database is created and dropped. Not a test.

    .venv/bin/python -m bench.hotspots [--tickets 5000000] [--quick]
"""
from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date, datetime, timedelta

from bench._seed import load, scratch_database, seed
from hotline.db import make_sessionmaker
from hotspots.counts import SHANGHAI, day_counts, day_counts_direct
from hotspots.detect import spikes

TARGET_TICKETS, TARGET_SECONDS = 5_000_000, 1.0
TODAY = date(2026, 11, 29)
DAYS = 29


async def main_async(count: int) -> int:
    first = TODAY - timedelta(days=DAYS - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=SHANGHAI)
    async with scratch_database("hotspots") as engine:
        took = await seed(engine, count, start, DAYS * 86400 - 1, history=False)
        print(f"seeded {count:,} tickets over {DAYS} days: {took['tickets']:.1f} s, VACUUM ANALYZE "
              f"{took['analyze']:.1f} s, the per-day rows' backfill (migration 0024) {took['rebuild']:.1f} s ({load()})")
        sessions = make_sessionmaker(engine)
        best = None
        for run in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            rows = await day_counts(sessions, first, TODAY)
            query = time.perf_counter() - wall
            found = spikes(rows, TODAY)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best = query if best is None else min(best, query)
            print(f"run {run + 1}: query {query * 1000:.1f} ms, with the detector {wall * 1000:.1f} ms wall "
                  f"({cpu * 1000:.1f} ms CPU), {len(rows):,} groups, {len(found)} warnings")
        wall = time.perf_counter()
        direct = await day_counts_direct(sessions, first, TODAY)
        base = time.perf_counter() - wall
        equal = direct == rows
        print(f"baseline, the GROUP BY over the tickets: {base:.2f} s; the per-day rows are {base / best:,.0f}x "
              f"faster; counts equal: {'yes' if equal else 'NO'}")
        print(f"target: the hotspot query over {TARGET_TICKETS:,} tickets <= {TARGET_SECONDS:.0f} s: {best:.3f} s "
              f"at {count:,} tickets in {DAYS} days: {'met' if best <= TARGET_SECONDS else 'NOT met'} "
              f"({best / TARGET_SECONDS:.3f}x the target; {load()})")
        return 0 if equal else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=TARGET_TICKETS)
    parser.add_argument("--quick", action="store_true", help="20,000 tickets")
    args = parser.parse_args(argv)
    return asyncio.run(main_async(20_000 if args.quick else args.tickets))


if __name__ == "__main__":
    raise SystemExit(main())
