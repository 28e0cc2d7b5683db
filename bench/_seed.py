"""Seeding a scratch PostgreSQL database with many tickets, shared by bench/assessment_report.py and
bench/hotspots.py. Everything is generated inside the database (generate_series), not through the
ORM: 5,000,000 tickets take minutes, not hours. Then the per-day figures are built by the same
`rebuild` the 0024 migration runs on an existing store (tickets/day_figures.py).
"""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from callbacks.models import TABLES as CALLBACK_TABLES
from calls.models import CallRecord
from hotline.db import Base, make_engine
from tickets.day_figures import rebuild
from tickets.models import TABLES as TICKET_TABLES

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
DEPTS = ("cgj", "scjgj", "zjj", "swj", "gdgs")
CATEGORIES = [f"类别{i:02d}/子类" for i in range(20)]
DISTRICTS = [f"d{i:02d}" for i in range(16)]
CHANNELS = ("phone", "phone", "web", "wechat", "app")

TICKETS = """
INSERT INTO ticket (number, caller, channel, request_type, category, district, content, transcript_status,
                    confidential, urgency, lead_department_id, status, supervised, supervision_count,
                    created_at, updated_at, registered_at, last_event_seq, version)
SELECT lpad(g::text, 14, '0'), '13800138000', (CAST(:channels AS text[]))[1 + (g / 320) % 5], 'complaint',
       (CAST(:categories AS text[]))[1 + g % 20], (CAST(:districts AS text[]))[1 + (g / 20) % 16], '诉求',
       'none', false, 'normal', 1 + (g / 7) % :depts, :status, false, 0, at, at, at, :last_seq, 1
FROM (SELECT g, CAST(:start AS timestamptz) + (g::bigint * :seconds / :n) * interval '1 second' AS at
      FROM generate_series(1, :n) AS g) AS s
"""
# create, register, dispatch, accept, reply, callback, close: one hour apart
HISTORY = """
INSERT INTO ticket_event (ticket_id, seq, at, actor, action, from_status, to_status, detail)
SELECT t.id, s.seq, t.created_at + (s.seq - 1) * interval '1 hour', 'bench', s.action, s.from_status, s.to_status,
       CASE s.action
         WHEN 'dispatch' THEN json_build_object('lead', d.code, 'accept_due',
              to_char((t.created_at + interval '1 day') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'))
         WHEN 'accept' THEN json_build_object('dept', d.code, 'on_time', t.id % 11 <> 0)
         WHEN 'reply' THEN json_build_object('dept', d.code, 'on_time', t.id % 7 <> 0, 'reply', '已处理')
         WHEN 'callback' THEN json_build_object(
              'evaluation', (ARRAY['satisfied', 'basically_satisfied', 'dissatisfied'])[1 + t.id % 3],
              'resolved', t.id % 4 <> 0)
         ELSE '{}'::json END
FROM ticket AS t JOIN ticket_department AS d ON d.id = t.lead_department_id
CROSS JOIN (VALUES (1, 'create', NULL, 'draft'), (2, 'register', 'draft', 'registered'),
                   (3, 'dispatch', 'registered', 'dispatched'), (4, 'accept', 'dispatched', 'accepted'),
                   (5, 'reply', 'accepted', 'replied'), (6, 'callback', 'replied', 'callback'),
                   (7, 'close', 'callback', 'closed')) AS s(seq, action, from_status, to_status)
WHERE t.id BETWEEN :first AND :last
"""

CALLS = """
INSERT INTO call_record (server, linkedid, caller_number, started_at, ended_at, first_queue, final_queue,
                         hold_seconds, talk_seconds, outcome, ivr_vars, recorded_at)
SELECT 'pbx1', 'bench.' || g, '13800138000', at, at + interval '3 minutes', 'general', 'general', (g * 7) % 40, 120,
       (ARRAY['answered', 'answered', 'answered', 'answered', 'answered', 'answered', 'answered', 'answered',
              'abandoned', 'timeout'])[1 + g % 10], '{}'::json, at
FROM (SELECT g, CAST(:start AS timestamptz) + (g::bigint * :seconds / :n) * interval '1 second' AS at
      FROM generate_series(1, :n) AS g) AS s
"""


def admin_url() -> str:
    return os.environ.get("HOTLINE_TEST_PG_URL", DEFAULT_PG)


async def pg_admin(admin: str, sql: str) -> None:
    """One statement on the maintenance database (CREATE / DROP DATABASE of a bench's scratch database)."""
    conn = await asyncpg.connect(admin, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[AsyncEngine]:
    """A new database with the ticket, callback and call tables; dropped afterwards."""
    admin = admin_url()
    name = f"hotline_bench_{prefix}_{uuid.uuid4().hex[:8]}"
    await pg_admin(admin, f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
    engine = make_engine(url, query_timeout=3600)
    try:
        tables = [*TICKET_TABLES, *CALLBACK_TABLES, CallRecord.__table__]
        async with engine.begin() as c:
            await c.run_sync(lambda s: Base.metadata.create_all(s, tables=tables))
        yield engine
    finally:
        await engine.dispose()
        await pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def seed(engine: AsyncEngine, count: int, start: datetime, seconds: int, *, history: bool,
               calls: int = 0) -> dict[str, float]:
    """`count` tickets created evenly over `seconds` from `start` (5 departments, 20 categories, 16
    districts, 5 channels, every combination within 1,600 consecutive tickets); with `history` each has the 7 events of a closed ticket (else it is only
    registered); `calls` stored calls over the same time (80 % answered). Then ANALYZE and the per-day figures' rebuild. Returns the seconds each part took."""
    took: dict[str, float] = {}
    t0 = time.perf_counter()
    async with engine.begin() as c:
        for code in DEPTS:
            await c.execute(text("INSERT INTO ticket_department (code, name, active, kind) VALUES (:c, :c, true, 'city')"),
                            {"c": code})
        await c.execute(text(TICKETS), {"channels": list(CHANNELS), "categories": CATEGORIES, "districts": DISTRICTS,
                                        "depts": len(DEPTS), "status": "closed" if history else "registered",
                                        "last_seq": 7 if history else 2, "start": start, "seconds": seconds,
                                        "n": count})
    took["tickets"] = time.perf_counter() - t0
    if history:
        t0 = time.perf_counter()
        async with engine.begin() as c:   # the secondary indexes are built once afterwards, not row by row
            await c.execute(text("DROP INDEX ix_ticket_event_at, ix_ticket_event_actor_ticket_id"))
        step = 1_000_000
        for first in range(1, count + 1, step):   # in slices: one statement of 35,000,000 rows is one huge transaction
            async with engine.begin() as c:
                await c.execute(text(HISTORY), {"first": first, "last": first + step - 1})
        async with engine.begin() as c:
            await c.execute(text("CREATE INDEX ix_ticket_event_at ON ticket_event (at)"))
            await c.execute(text("CREATE INDEX ix_ticket_event_actor_ticket_id ON ticket_event (actor, ticket_id)"))
        took["events"] = time.perf_counter() - t0
    if calls:
        t0 = time.perf_counter()
        async with engine.begin() as c:
            await c.execute(text(CALLS), {"start": start, "seconds": seconds, "n": calls})
        took["calls"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    async with engine.connect() as c:   # VACUUM sets the visibility map an index-only scan needs
        await (await c.execution_options(isolation_level="AUTOCOMMIT")).execute(text("VACUUM ANALYZE"))
    took["analyze"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    async with engine.begin() as c:
        await c.run_sync(rebuild)
    took["rebuild"] = time.perf_counter() - t0
    return took


def load() -> str:
    """The machine's load averages, printed beside every figure (2 cores shared)."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"
