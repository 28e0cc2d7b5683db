"""Wiring: one aiohttp application owns every long-lived resource through cleanup contexts.

The same factory serves `hotline run`, `hotline demo` and the tests. Resources start in
order (database, services, AMI, FastAGI) and stop in reverse, so nothing outlives what it
depends on.
"""
from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from hotline.config import Config
from hotline.db import make_engine, make_sessionmaker

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


ENGINE = web.AppKey("engine", Engine)


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = app[ENGINE]
    engine.db = make_engine(engine.config.database_url)
    engine.sessions = make_sessionmaker(engine.db)
    yield
    await engine.db.dispose()


async def _services(app: web.Application) -> AsyncIterator[None]:
    from hotline.services import build_services

    engine = app[ENGINE]
    engine.services.update(await build_services(engine.config, engine.sessions, engine.clock))
    engine.services.update(engine.overrides)
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


async def _ami(app: web.Application) -> AsyncIterator[None]:
    """One AMI client per Asterisk; the live floor follows their events and resyncs on every connect."""
    from hotline.ami_wiring import make_clients
    from queues.live import LiveFloor
    from queues.membership import Membership

    from calls import CallLog, CallOutbox, CallTracker

    engine = app[ENGINE]
    floor = LiveFloor(engine.clock)
    membership = Membership()  # re-adds the signed-in agents when an Asterisk restarts
    engine.services.update(floor=floor, membership=membership)
    call_log = CallLog(engine.sessions, engine.clock, engine.services["tickets"])
    outbox = CallOutbox(call_log.record)  # finished calls wait here while the database is down
    outbox.start()
    tracker = CallTracker(engine.clock, outbox.put)
    engine.services.update(call_log=call_log, call_tracker=tracker, call_outbox=outbox)
    for client in make_clients(engine.config):
        client.on_connected(membership.on_connected)  # before the floor's resync: it then sees the re-added
        client.on_connected(floor.resync)
        client.on_connected(tracker.resync)
        client.subscribe(floor.handle, typed=True, inline=True, name="live-floor")
        client.subscribe(membership.handle, typed=True, inline=True, name="membership")
        client.subscribe(tracker.handle, typed=True, inline=True, name="call-tracker")
        engine.ami[client.name] = client
        await client.start(wait=False)
    yield
    for client in engine.ami.values():
        await client.close()
    await outbox.close()


async def _fastagi(app: web.Application) -> AsyncIterator[None]:
    from ivr.fastagi.limits import Limits
    from ivr.fastagi.server import AgiServer

    engine = app[ENGINE]
    agi = engine.config.agi
    server = AgiServer(engine.agi_routes, host=agi.host, port=agi.port,
                       limits=Limits(max_header_bytes=agi.max_header_bytes, header_timeout=agi.header_timeout,
                                     media_timeout=agi.command_timeout))
    await server.start()
    engine.services["fastagi"] = server
    log.info("FastAGI listening on %s:%d", agi.host, server.port)
    yield
    await server.close()


async def _health(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    ami = {name: client.ready for name, client in engine.ami.items()}
    transcriber = engine.services.get("transcriber")
    missing = engine.services.get("prompts_missing")
    return web.json_response({"status": "ok" if not missing else "degraded", "mode": engine.config.engine.mode,
                              "ami": ami, "speech": getattr(transcriber, "available", False),
                              "prompts_missing": None if missing is None else len(missing),
                              "services": sorted(engine.services)})


def build_app(config: Config, *, clock: Callable[[], datetime] = utc_now, agi_routes: dict | None = None,
              telephony: bool = True, service_overrides: dict | None = None,
              console_settings=None, recordings_settings=None) -> web.Application:
    """`telephony=False` builds the console alone (no AMI/FastAGI), e.g. for page tests;
    `console_settings` replaces the ones derived from the config (tests shorten timings)."""
    app = web.Application()
    engine = Engine(config=config, clock=clock, overrides=dict(service_overrides or {}))
    app[ENGINE] = engine
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_services)
    if telephony:
        app.cleanup_ctx.append(_speech)
        app.cleanup_ctx.append(_transcript_sweep)
        app.cleanup_ctx.append(_ami)
        app.cleanup_ctx.append(_routes)
        app.cleanup_ctx.append(_fastagi)
    if agi_routes:
        engine.agi_routes.update(agi_routes)
    app.router.add_get("/healthz", _health)
    from agent_console.app import setup_console

    setup_console(app, console_settings)
    from knowledge.web import setup_knowledge
    from recordings import setup_recordings
    from transfer.routes import setup_transfer

    setup_transfer(app)
    setup_knowledge(app)
    setup_recordings(app, recordings_settings)
    return app


async def _routes(app: web.Application) -> AsyncIterator[None]:
    """FastAGI routes need the services above; built once they exist."""
    from hotline.services import agi_routes

    engine = app[ENGINE]
    for path, handler in agi_routes(engine).items():
        engine.agi_routes.setdefault(path, handler)
    _check_prompts(engine)
    yield


def _check_prompts(engine) -> None:
    """Every prompt the IVR and dialplan play, in every language offered, where Asterisk looks."""
    sounds = engine.config.ivr.sounds_dir
    if sounds is None:
        return
    from ivr.prompts import load_catalogue
    from ivr.prompts.check import missing_prompts

    missing = missing_prompts(load_catalogue(), sounds, engine.config.ivr.front_end().languages)
    engine.services["prompts_missing"] = missing
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
    await serve(build_app(config), config.console.host, config.console.port, stop)
    return 0
