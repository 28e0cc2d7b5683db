"""Tickets created per second with 50 concurrent writers, on SQLite and PostgreSQL.

Each writer is an asyncio task with its own sessions. Measured: TicketService.create_draft
(daily-number upsert + ticket row + history event, one transaction per ticket). Baseline,
in the same run on the same engine: a plain INSERT of the same ticket row with a number made
in-process (no counter, no event). PostgreSQL comes from HOTLINE_TEST_PG_URL (default
postgresql://postgres@127.0.0.1:5432/test); a scratch database is created and dropped.

    .venv/bin/python -m bench.tickets [--quick] [--tickets N] [--writers 50] [--no-pg]
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as `python bench/tickets.py`: this file must not shadow the tickets package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench._seed import pg_admin  # noqa: E402
from hotline.db import Base, make_engine, make_sessionmaker  # noqa: E402
from tickets import DeadlineRules, TicketService, WorkCalendar  # noqa: E402
from tickets.models import TABLES, Ticket  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ROW = dict(caller="13800138000", channel="phone", call_id="1763863200.42", line_dialed="12345",
           content="小区夜间施工噪音扰民，请相关部门处理。", transcript_status="pending")


async def _writers(count: int, writers: int, one) -> float:
    todo = itertools.count()

    async def writer() -> None:
        while next(todo) < count:
            await one()

    start = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(writers):
            group.create_task(writer())
    return count / (time.perf_counter() - start)


async def _measure(url: str, count: int, writers: int) -> tuple[float, float]:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=list(TABLES)))
            await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=list(TABLES)))
        sessions = make_sessionmaker(engine)
        serial = itertools.count(1)

        async def plain_insert() -> None:
            async with sessions() as session, session.begin():
                session.add(Ticket(number=f"19990101{next(serial):06d}", status="draft", created_at=NOW,
                                   updated_at=NOW, last_event_seq=0, **ROW))

        service = TicketService(sessions, lambda: NOW, WorkCalendar.shipped(), DeadlineRules.defaults())

        async def create() -> None:
            await service.create_draft(**ROW)

        await _writers(min(count, 50), writers, plain_insert)  # warm the pool and caches
        baseline = await _writers(count, writers, plain_insert)
        measured = await _writers(count, writers, create)
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=list(TABLES)))
        return baseline, measured
    finally:
        await engine.dispose()


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few tickets, for CI smoke runs")
    parser.add_argument("--tickets", type=int, default=None)
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args(argv)
    count = args.tickets or (200 if args.quick else 2000)
    results: dict[str, tuple[float, float]] = {}

    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite"] = await _measure(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", count, args.writers)

    if not args.no_pg:
        admin = os.environ.get("HOTLINE_TEST_PG_URL", DEFAULT_PG)
        name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
        await pg_admin(admin, f'CREATE DATABASE "{name}"')
        try:
            base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
            results["PostgreSQL"] = await _measure(f"{base}/{name}", count, args.writers)
        finally:
            await pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    print(f"tickets: {count} per run, {args.writers} concurrent writers")
    print(f"{'backend':<11} {'plain INSERT/s':>15} {'create_draft/s':>15} {'create/plain':>13}")
    for backend, (baseline, measured) in results.items():
        print(f"{backend:<11} {baseline:>15.0f} {measured:>15.0f} {measured / baseline:>13.2f}")
    if len(results) == 2:
        (sb, sm), (pb, pm) = results["SQLite"], results["PostgreSQL"]
        print(f"PG/SQLite   {pb / sb:>15.2f} {pm / sm:>15.2f}")


if __name__ == "__main__":
    asyncio.run(main())
