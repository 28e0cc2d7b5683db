"""Where queue_log records come from: the file Asterisk writes (logger.conf `queue_log = yes`) or
the realtime table (extconfig.conf `queue_log => pgsql,<db>` or `odbc,...`) for an engine on
another host. Both hand the follower batches of records with the position to read on from:
the file's (inode, next byte), the table's next id (inode 0).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from queuelog.records import QueueLogRecord, parse_lines
from queuelog.tail import FileTail, TailPosition


@dataclass
class Batch:
    records: list[QueueLogRecord] = field(default_factory=list)
    position: TailPosition = field(default_factory=TailPosition)
    lines: int = 0
    bad: int = 0
    bad_samples: list[str] = field(default_factory=list)
    more: bool = False
    rotated: bool = False
    truncated: bool = False
    missing: bool = False


class FileSource:
    def __init__(self, tail: FileTail) -> None:
        self.tail = tail
        self.name = str(tail.path)

    async def read(self, position: TailPosition | None) -> Batch:
        return await asyncio.to_thread(self._read, position)

    def _read(self, position: TailPosition | None) -> Batch:
        read = self.tail.read(position)
        parsed = parse_lines(read.lines)
        return Batch(parsed.records, read.position, len(read.lines), parsed.bad, parsed.bad_samples, read.more,
                     read.rotated, read.truncated, read.missing)

    async def end(self) -> TailPosition | None:
        try:
            stat = await asyncio.to_thread(self.tail.path.stat)
        except FileNotFoundError:
            return None
        return TailPosition(stat.st_ino, stat.st_size)


QUEUE_LOG_TABLE = sa.Table(
    "queue_log", sa.MetaData(),   # Asterisk's own schema (contrib/realtime/postgresql/postgresql_queue_log.sql)
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("time", sa.DateTime), sa.Column("callid", sa.String(80)), sa.Column("queuename", sa.String(256)),
    sa.Column("agent", sa.String(80)), sa.Column("event", sa.String(32)),
    *(sa.Column(f"data{i}", sa.String(100)) for i in range(1, 6)))


class TableSource:
    """Rows of Asterisk's realtime `queue_log` table by id. Asterisk stores `time` as local time
    unless logger.conf sets `queue_log_realtime_use_gmt = yes`: pass the PBX's zone (or UTC)."""

    def __init__(self, db: AsyncEngine, *, zone: tzinfo | str = "Asia/Shanghai", batch: int = 20_000,
                 table: sa.Table = QUEUE_LOG_TABLE) -> None:
        self.db = db
        self.zone = ZoneInfo("UTC" if zone.upper() in ("UTC", "GMT") else zone) if isinstance(zone, str) else zone
        self.batch = batch
        self.table = table
        self.name = f"table:{table.name}"

    def _epoch(self, value) -> int | None:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            return None
        return int((value if value.tzinfo else value.replace(tzinfo=self.zone)).timestamp())

    async def read(self, position: TailPosition | None) -> Batch:
        start = position.offset if position else 0
        t = self.table
        async with self.db.connect() as conn:
            rows = (await conn.execute(sa.select(t).where(t.c.id >= start).order_by(t.c.id)
                                       .limit(self.batch + 1))).all()
        more = len(rows) > self.batch
        rows = rows[: self.batch]
        batch = Batch(position=TailPosition(0, rows[-1].id + 1 if rows else start), lines=len(rows), more=more)
        for row in rows:
            when = self._epoch(row.time)
            if when is None or not row.event:
                batch.bad += 1
                if len(batch.bad_samples) < 5:
                    batch.bad_samples.append(f"row {row.id}: no time or event")
                continue
            data = [row.data1 or "", row.data2 or "", row.data3 or "", row.data4 or "", row.data5 or ""]
            while data and data[-1] == "":
                data.pop()
            batch.records.append(QueueLogRecord(when, row.callid or "", row.queuename or "", row.agent or "",
                                                row.event, tuple(data), row.id))
        return batch

    async def end(self) -> TailPosition | None:
        async with self.db.connect() as conn:
            last = (await conn.execute(sa.select(sa.func.max(self.table.c.id)))).scalar_one_or_none()
        return TailPosition(0, (last or 0) + 1)
