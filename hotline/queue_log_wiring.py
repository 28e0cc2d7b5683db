"""The adapter between queuelog/ (Asterisk's durable record) and calls/ (the call log).

queuelog knows nothing of the call log, calls nothing of queue_log lines: this module turns a
settled `queuelog.CallOutcome` into a `calls.FinishedCall` marked as Asterisk's own record, and
runs the follower on engine start, on every AMI (re)connect and every `interval_seconds`; the
agent lines it reads are stored for the per-agent figures (queuelog/agent_store.py).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web

from calls.codes import Outcome
from calls.finished import FinishedCall
from queuelog.reducer import CallOutcome, QueueLogReducer, VisitOutcome

log = logging.getLogger(__name__)

OUTCOMES = {VisitOutcome.ANSWERED: Outcome.ANSWERED, VisitOutcome.TRANSFERRED: Outcome.ANSWERED,
            VisitOutcome.CONNECTED: Outcome.ANSWERED, VisitOutcome.ABANDONED: Outcome.ABANDONED,
            VisitOutcome.TIMEOUT: Outcome.TIMEOUT, VisitOutcome.EXIT_EMPTY: Outcome.NO_AGENT,
            VisitOutcome.EXIT_KEY: Outcome.ABANDONED, VisitOutcome.OVERFLOWED: Outcome.TIMEOUT}


def _at(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def to_finished(call: CallOutcome, server: str) -> FinishedCall:
    outcome = OUTCOMES.get(call.outcome, Outcome.ABANDONED)
    answered = outcome is Outcome.ANSWERED
    return FinishedCall(
        server=server, linkedid=call.callid, outcome=outcome, started_at=_at(call.started),
        ended_at=_at(call.ended), caller_number=call.caller_number, answered_at=_at(call.answered_at),
        left_queue_at=None if answered else _at(call.ended), first_queue=call.first_queue,
        final_queue=call.final_queue, hold_seconds=call.wait_seconds, talk_seconds=call.talk_seconds,
        answered_member=call.agent, queue_uniqueid=call.callid, from_queue_log=True)


def make_sink(call_log, server: str, tracker=None, outbox=None):
    """The follower's sink: Asterisk's outcomes into the call log. Calls the engine is still
    recording itself (followed by the tracker, or finished and waiting in the outbox) wait for
    that record, which carries the line, the IVR path and the ticket; a later run reconciles them."""

    async def sink(calls: list[CallOutcome]) -> set[str]:
        busy: set[str] = set()
        if tracker is not None:
            busy |= tracker.queue_ids_in_flight()
        if outbox is not None:
            busy |= outbox.waiting_queue_ids()
        ready = [c for c in calls if c.callid not in busy]
        stats = await call_log.reconcile([to_finished(c, server) for c in ready])
        if stats.inserted or stats.corrected:
            log.warning("queuelog.reconciled inserted=%d corrected=%d of %d", stats.inserted, stats.corrected,
                        stats.seen)
        return {c.callid for c in ready}

    return sink


def make_follower(engine, call_log):
    """The follower for `[queue_log] path` (or `table_url`), None when no queue_log is configured.
    A table source's database engine is disposed of with the engine (queue_log_ctx)."""
    from queuelog.agent_store import AgentLineStore
    from queuelog.follower import QueueLogFollower
    from queuelog.position import PositionStore
    from queuelog.sources import FileSource, TableSource
    from queuelog.tail import FileTail

    cfg = engine.config.queue_log
    if cfg.path is not None:
        reader, where = FileSource(FileTail(cfg.path)), str(cfg.path)
    elif cfg.table_url:
        from hotline.db import make_engine

        reader, where = TableSource(make_engine(cfg.table_url), zone=cfg.table_zone), "table:queue_log"
    else:
        return None
    server = cfg.server or (engine.config.ami.servers[0].name if engine.config.ami.servers else "")

    sink = make_sink(call_log, server, engine.services.get("call_tracker"), engine.services.get("call_outbox"))

    source = f"{server}:{where}"
    agent_lines = AgentLineStore(engine.sessions)

    async def lines_sink(records) -> None:   # the per-agent figures' record (queuelog/agents.py)
        await agent_lines.save(source, records)

    return QueueLogFollower(source, reader, PositionStore(engine.sessions, engine.clock),
                            sink, engine.clock, reducer=QueueLogReducer(settle_seconds=cfg.settle_seconds),
                            start_at_end=cfg.start_at_end, lines_sink=lines_sink)


async def queue_log_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context after the AMI one: catch up now, after every (re)connect, periodically."""
    from hotline.engine import ENGINE

    engine = app[ENGINE]
    follower = make_follower(engine, engine.services["call_log"])
    if follower is None:
        yield
        return
    engine.services["queue_log"] = follower
    tasks: set[asyncio.Task] = set()

    def spawn(reason: str) -> None:
        task = asyncio.get_running_loop().create_task(follower.catch_up(reason), name=f"queue-log-{reason}")
        tasks.add(task)
        task.add_done_callback(_done(tasks))

    async def on_connected(_session) -> None:  # after the tracker's resync: its lost calls get corrected
        spawn("ami-connect")

    for client in engine.ami.values():
        client.on_connected(on_connected)
    try:
        await follower.catch_up("start")
    except Exception:  # noqa: BLE001 - a missing file or a database hiccup must not stop the engine
        log.exception("queuelog.start_failed")
    periodic = asyncio.get_running_loop().create_task(
        follower.run_every(engine.config.queue_log.interval_seconds), name="queue-log-periodic")
    yield
    periodic.cancel()
    for task in [periodic, *tasks]:
        task.cancel()
    await asyncio.gather(periodic, *tasks, return_exceptions=True)
    db = getattr(follower.reader, "db", None)
    if db is not None:
        await db.dispose()


def _done(tasks: set[asyncio.Task]):
    def done(task: asyncio.Task) -> None:
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("queuelog.catch_up_failed", exc_info=task.exception())
    return done
