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


ENGINE = web.AppKey("engine", Engine)


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = app[ENGINE]
    engine.db = make_engine(engine.config.database_url)
    engine.sessions = make_sessionmaker(engine.db)
    yield
    await engine.db.dispose()


async def _health(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    return web.json_response({"status": "ok", "mode": engine.config.engine.mode,
                              "services": sorted(engine.services)})


def build_app(config: Config, *, clock: Callable[[], datetime] = utc_now,
              extra_contexts: tuple = ()) -> web.Application:
    app = web.Application()
    app[ENGINE] = Engine(config=config, clock=clock)
    app.cleanup_ctx.append(_database)
    for ctx in extra_contexts:
        app.cleanup_ctx.append(ctx)
    app.router.add_get("/healthz", _health)
    return app


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
