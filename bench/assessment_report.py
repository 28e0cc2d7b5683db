"""考核 report time on PostgreSQL: N tickets with a typical history (create, register, dispatch, accept,
reply, callback, close = 7 events) and as many stored calls spread over one year, generated in the
database (bench/_seed.py), the per-day figures built by the migration's backfill, then `reports.figures.build_report` for the
whole year, one month and one week. Issue 13's target: the year of 5,000,000 tickets in ≤ 2 s.

Baseline (in-run): the direct computation the report made before the per-day figures — every
history touched in the period read and replayed (`histories_between` + `reports.assessment.assess`)
— over one week (the whole year in --quick); its figures must equal the report's, else the run is
broken (exit 1).

PostgreSQL comes from HOTLINE_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test); a
scratch database is created and dropped. Not a test.

    .venv/bin/python -m bench.assessment_report [--tickets 5000000] [--quick]
"""
from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, date, datetime

from bench._seed import load, scratch_database, seed
from hotline.db import make_sessionmaker
from reports.assessment import assess
from reports.figures import Period, build_report
from tickets import DeadlineRules, TicketService, WorkCalendar

TARGET_TICKETS, TARGET_SECONDS = 5_000_000, 2.0
START = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
MONTH = Period(date(2026, 6, 1), date(2026, 6, 30))
WEEK = Period(date(2026, 6, 8), date(2026, 6, 14))


async def timed(coro_fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = await coro_fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


async def main_async(count: int, calls: int, quick: bool) -> int:
    async with scratch_database("report") as engine:
        took = await seed(engine, count, START, 364 * 86400, history=True, calls=calls)
        print(f"seeded {count:,} tickets ({count * 7:,} events) and {calls:,} calls: tickets {took['tickets']:.1f} s, "
              f"events {took['events']:.1f} s, calls {took.get('calls', 0):.1f} s, VACUUM ANALYZE {took['analyze']:.1f} s; the per-day figures' backfill "
              f"(migration 0024) {took['rebuild']:.1f} s ({load()})", flush=True)
        sessions = make_sessionmaker(engine)
        tickets = TicketService(sessions, lambda: datetime.now(UTC), WorkCalendar.shipped(), DeadlineRules.defaults())
        results = {}
        for label, period in (("year", YEAR), ("month", MONTH), ("week", WEEK)):
            await build_report(tickets, sessions, period)   # warm-up: plans and caches, as a served page has
            report, wall, cpu = await timed(lambda p=period: build_report(tickets, sessions, p))
            results[label] = (report, wall)
            _, ticket_wall, _ = await timed(lambda p=period: tickets.day_figures(p.first, p.last))
            print(f"report {label:5}: {wall * 1000:8.1f} ms wall, {cpu * 1000:7.1f} ms CPU, "
                  f"{report.assessment.center.counts['replied']:,} replies, {report.calls['offered']:,} calls, "
                  f"{len(report.assessment.departments)} departments (the ticket figures alone "
                  f"{ticket_wall * 1000:.1f} ms)", flush=True)
        label, period = ("year", YEAR) if quick else ("week", WEEK)

        async def direct():
            histories = await tickets.histories_between(period.start, period.end)
            return assess(histories, period.start, period.end)
        baseline, base_wall, base_cpu = await timed(direct)
        report, wall = results[label]
        equal = (baseline.department_rows() == report.assessment.department_rows()
                 and baseline.center.counts == report.assessment.center.counts)
        print(f"baseline, the {label} replayed from the histories: {base_wall:.2f} s wall ({base_cpu:.2f} s CPU); "
              f"the report from the per-day figures is {base_wall / wall:,.0f}x faster; figures equal: "
              f"{'yes' if equal else 'NO'}")
        year = results["year"][1]
        scale = f"at {count:,} tickets" if count == TARGET_TICKETS else \
            f"at {count:,} tickets (the target is {TARGET_TICKETS:,}; the per-day rows do not grow with tickets)"
        print(f"target: the report for a year of {TARGET_TICKETS:,} tickets <= {TARGET_SECONDS:.0f} s: "
              f"{year:.3f} s {scale}: {'met' if year <= TARGET_SECONDS else 'NOT met'} "
              f"({year / TARGET_SECONDS:.3f}x the target; {load()})")
        return 0 if equal else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=TARGET_TICKETS)
    parser.add_argument("--calls", type=int, default=None, help="stored calls in the year (default: as many as tickets)")
    parser.add_argument("--quick", action="store_true", help="20,000 tickets")
    args = parser.parse_args(argv)
    count = 20_000 if args.quick else args.tickets
    return asyncio.run(main_async(count, count if args.calls is None else args.calls, args.quick))


if __name__ == "__main__":
    raise SystemExit(main())
