"""Wiring: one aiohttp application owns every long-lived resource through cleanup contexts.

The same factory serves `hotline run`, `hotline demo` and the tests. Resources start in
order (database, services, AMI, FastAGI) and stop in reverse, so nothing outlives what it
depends on.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from hotline.config import Config
from hotline.db import make_engine, make_sessionmaker
from hotline.health import Check, HealthChecks

log = logging.getLogger("hotline.engine")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Engine:
    """What the running engine holds; handed to capabilities instead of globals."""

    config: Config
    clock: Callable[[], datetime] = utc_now
    db: AsyncEngine | None = None
    sessions: async_sessionmaker | None = None
    services: dict[str, object] = field(default_factory=dict)
    ami: dict[str, object] = field(default_factory=dict)
    agi_routes: dict[str, Callable] = field(default_factory=dict)
    overrides: dict[str, object] = field(default_factory=dict)  # tests swap services here
    health: HealthChecks = field(default_factory=HealthChecks)  # each resource registers its check


ENGINE = web.AppKey("engine", Engine)


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = app[ENGINE]
    engine.db = make_engine(engine.config.database_url, query_timeout=engine.config.database.query_timeout)
    engine.sessions = make_sessionmaker(engine.db)
    engine.health.register("database", lambda: _database_check(engine))
    engine.health.register("engine", lambda: Check("ok", {"mode": engine.config.engine.mode,
                                                          "services": sorted(engine.services)}))
    yield
    await engine.db.dispose()


async def _database_check(engine: Engine) -> Check:
    from sqlalchemy import text

    try:
        async with engine.db.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # unreachable, refused, auth: the details say which
        return Check("down", {"error": type(exc).__name__})
    return Check("ok", {"dialect": engine.db.dialect.name})


async def _services(app: web.Application) -> AsyncIterator[None]:
    from hotline.services import build_services

    engine = app[ENGINE]
    engine.services.update(await build_services(engine.config, engine.sessions, engine.clock))
    engine.services.update(engine.overrides)
    from tickets.subcenters import sync_subcenter_departments

    await sync_subcenter_departments(engine.services["lines"], engine.services["tickets"])  # 分中心 = department
    yield


async def _speech(app: web.Application) -> AsyncIterator[None]:
    """The vosk model is loaded once; without one the engine still takes calls (transcript pending)."""
    from ivr.speech.model import load_speech_model
    from ivr.speech.transcriber import Transcriber

    engine = app[ENGINE]
    if "transcriber" in engine.overrides:
        yield
        return
    model = await load_speech_model(engine.config.speech.model_path)
    if not model.available:
        log.warning("%s", model.reason)
    transcriber = Transcriber(model, pool_size=engine.config.speech.pool_size)
    engine.services["transcriber"] = transcriber
    # speech off is a supported mode (transcripts wait), so it reports, not degrades
    engine.health.register("speech", lambda: Check("ok", {"available": transcriber.available}))
    yield
    await transcriber.aclose()


async def _transcript_sweep(app: web.Application) -> AsyncIterator[None]:
    """Fill in transcripts left pending while speech was off (apscheduler interval job)."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from ivr.speech.sweep import transcribe_pending

    engine = app[ENGINE]
    transcriber = engine.services.get("transcriber")
    if not getattr(transcriber, "available", False):
        yield
        return
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(transcribe_pending, "interval", args=(engine.services["tickets"], transcriber),
                      minutes=engine.config.speech.sweep_minutes, id="transcript-sweep",
                      next_run_time=utc_now(), coalesce=True, max_instances=1)
    scheduler.start()
    yield
    scheduler.shutdown(wait=False)


def _outbox_check(outbox) -> Check:
    """Waiting calls are normal during a database outage; a dead letter needs an operator (calls/spool.py)."""
    dead = outbox.dead_letters
    return Check("degraded" if dead else "ok", {"waiting": len(outbox), "dead_letters": dead})


async def _ami(app: web.Application) -> AsyncIterator[None]:
    """One AMI client per Asterisk; the live floor follows their events and resyncs on every connect."""
    from hotline.ami_wiring import make_clients
    from queues.live import LiveFloor
    from queues.membership import Membership

    from calls import CallLog, CallOutbox, CallTracker
    from calls.spool import DiskSpool

    from calls.model import EventReading, QueueCalls

    engine = app[ENGINE]
    visits = QueueCalls(engine.clock)  # the one reading of the queued calls: the floor and the call log share it
    floor = LiveFloor(engine.clock, visits=visits)
    membership = Membership()  # re-adds the signed-in agents when an Asterisk restarts
    engine.services.update(floor=floor, membership=membership)
    call_log = CallLog(engine.sessions, engine.clock, engine.services["tickets"],
                       max_attempts=engine.config.callbacks.missed_max_no_answer)
    # finished calls wait here (and on disk, for a crash) while the database is down
    outbox = CallOutbox(call_log.record, spool=DiskSpool(engine.config.engine.data_dir / "outbox"))
    outbox.start()
    tracker = CallTracker(engine.clock, outbox.put, visits=visits)
    engine.services.update(call_log=call_log, call_tracker=tracker, call_outbox=outbox, queue_calls=visits)
    reading = EventReading(visits, [floor, membership, tracker])  # each event read once, routed by name
    for client in make_clients(engine.config):
        client.on_connected(membership.on_connected)  # before the floor's resync: it then sees the re-added
        client.on_connected(floor.resync)
        client.on_connected(tracker.resync)
        client.subscribe(reading.handle, typed=True, inline=True, name="queue-calls")
        engine.ami[client.name] = client
        await client.start(wait=False)
    engine.health.register("ami", lambda: _ami_check(engine))
    # finished calls held while the database is down: their count says how much waits
    engine.health.register("call_outbox", lambda: _outbox_check(outbox))
    yield
    for client in engine.ami.values():
        await client.close()
    await outbox.close()


def _ami_check(engine: Engine) -> Check:
    """A link down leaves calls flowing through Asterisk but the floor, agents' queues and
    recordings blind: degraded; every link down: down."""
    links = {name: client.ready for name, client in engine.ami.items()}
    up = sum(links.values())
    status = "ok" if up == len(links) else "down" if up == 0 else "degraded"
    return Check(status, {"links": links})


async def _fastagi(app: web.Application) -> AsyncIterator[None]:
    from ivr.fastagi.limits import Limits
    from ivr.fastagi.server import AgiServer

    engine = app[ENGINE]
    agi = engine.config.agi
    server = AgiServer(engine.agi_routes, host=agi.host, port=agi.port, allowed_peers=agi.peer_allowlist(),
                       limits=Limits(max_header_bytes=agi.max_header_bytes, header_timeout=agi.header_timeout,
                                     media_timeout=agi.command_timeout))
    await server.start()
    engine.services["fastagi"] = server
    engine.health.register("fastagi", lambda: Check("ok", {"port": server.port, **asdict(server.status())}))
    log.info("FastAGI listening on %s:%d", agi.host, server.port)
    yield
    await server.close()


def build_app(config: Config, *, clock: Callable[[], datetime] = utc_now, agi_routes: dict | None = None,
              telephony: bool = True, service_overrides: dict | None = None,
              console_settings=None, recordings_settings=None, freeze_heap: bool = False,
              separate_ivr: bool = False, ivr_worker_routes: str | None = None) -> web.Application:
    """`telephony=False` builds the console alone (no AMI/FastAGI), e.g. for page tests;
    `separate_ivr` serves FastAGI from an IVR worker process this engine starts and restarts
    (`hotline run`, `hotline demo`: `[agi] ivr_worker`; hotline/ivr_worker/), else from this process
    (the tests); `ivr_worker_routes` ("module:function") replaces the worker's routes (benchmarks);
    `console_settings` replaces the ones derived from the config (tests shorten timings);
    `freeze_heap` (the engine's own run, demo, benchmarks; not tests, which start many engines
    and kill some in one process) takes the start-up heap out of the garbage collector's walk."""
    tickets = config.tickets  # a result's attachments arrive in one form post (issue 12)
    app = web.Application(client_max_size=tickets.attachment_max_bytes * tickets.attachment_max_files + (1 << 20))
    engine = Engine(config=config, clock=clock, overrides=dict(service_overrides or {}))
    app[ENGINE] = engine
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_services)
    if telephony:
        app.cleanup_ctx.append(_speech)
        app.cleanup_ctx.append(_transcript_sweep)
        app.cleanup_ctx.append(_ami)
        from hotline.queue_log_wiring import queue_log_ctx

        app.cleanup_ctx.append(queue_log_ctx)  # Asterisk's queue_log: the call log catches up from it
        if separate_ivr:  # the calls on an event loop, a database engine and a GIL of their own
            from hotline.ivr_worker.supervisor import ivr_worker_context

            app.cleanup_ctx.append(ivr_worker_context(ivr_worker_routes))
        else:
            app.cleanup_ctx.append(_routes)
            app.cleanup_ctx.append(_fastagi)
    if agi_routes:
        engine.agi_routes.update(agi_routes)
    from agent_console.app import setup_console

    setup_console(app, console_settings)
    from knowledge.web import setup_knowledge
    from recordings import setup_recordings
    from transfer.routes import setup_transfer

    setup_transfer(app)
    from callbacks.routes import setup_callbacks

    setup_callbacks(app)
    from reports.routes import setup_reports

    setup_reports(app)
    from hotspots.routes import setup_hotspots

    setup_hotspots(app)  # 热点与预警 (issue 16.6)
    if telephony:
        from surveys.wiring import setup_surveys

        setup_surveys(app)
    from surveys.console import setup_survey_console

    setup_survey_console(app)  # /surveys: the queue, pause/resume, the do-not-call list
    setup_knowledge(app)
    setup_recordings(app, recordings_settings)
    from supervision.wiring import setup_supervision

    setup_supervision(app)  # 督办 (issue 12.6)
    from channels import setup_channels

    setup_channels(app)
    if freeze_heap:
        app.on_startup.append(_freeze_heap)  # after every cleanup context above has started
        app.on_cleanup.append(_thaw_heap)
    return app


async def _freeze_heap(app: web.Application) -> None:
    """Start-up objects (modules, SQLAlchemy and Jinja state: ~160,000) leave the collector's view.

    A full collection walks every tracked object with the event loop stopped: ~50 ms for the
    engine's heap, landing in the IVR's replies whenever it runs, and a login flood's allocations
    make it run often. Frozen objects are never walked again (they live as long as the engine)."""
    gc.collect()
    gc.freeze()


async def _thaw_heap(app: web.Application) -> None:
    """The engine is done: its objects may be collected again (tests start many engines in one process)."""
    gc.unfreeze()


async def _routes(app: web.Application) -> AsyncIterator[None]:
    """FastAGI routes need the services above; built once they exist."""
    from hotline.services import agi_routes

    engine = app[ENGINE]
    for path, handler in agi_routes(engine).items():
        engine.agi_routes.setdefault(path, handler)
    _check_prompts(engine)
    drafts = engine.services.get("draft_spool")
    flusher = asyncio.get_running_loop().create_task(drafts.run(), name="draft-spool") if drafts else None
    if drafts is not None:
        # drafts waiting on disk mean the database did not answer the IVR in time
        engine.health.register("drafts", lambda: Check("degraded" if len(drafts) else "ok", {"waiting": len(drafts)}))
    yield
    if flusher is not None:
        flusher.cancel()
        await asyncio.gather(flusher, return_exceptions=True)
        await drafts.aclose()


def _check_prompts(engine) -> None:
    """Every prompt the IVR and dialplan play, in every language offered, where Asterisk looks."""
    sounds = engine.config.ivr.sounds_dir
    if sounds is None:
        return
    from ivr.prompts import load_catalogue
    from ivr.prompts.check import missing_prompts

    missing = missing_prompts(load_catalogue(), sounds, engine.config.ivr.front_end().languages)
    engine.services["prompts_missing"] = missing
    engine.health.register("prompts", lambda: Check("degraded" if missing else "ok",
                                                    {"missing": len(missing), "first": missing[:5]}))
    if missing:
        log.warning("提示音缺失 %d 个（%s）：%s …  用 hotline prompts install --dir %s 生成",
                    len(missing), sounds, ", ".join(missing[:5]), sounds)


async def serve(app: web.Application, host: str, port: int, stop: asyncio.Event) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("console listening on http://%s:%d/", host, port)
        await stop.wait()
    finally:
        await runner.cleanup()


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def run_engine(config: Config) -> int:
    from hotline.migrate import require_head

    logging.basicConfig(level=config.engine.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    await require_head(config.database_url)
    stop = asyncio.Event()
    stop_on_signals(stop)
    await serve(build_app(config, freeze_heap=True, separate_ivr=config.agi.ivr_worker), config.console.host,
                config.console.port, stop)
    return 0
