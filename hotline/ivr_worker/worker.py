"""The IVR worker process: FastAGI with the `ivr` and `survey` routes, on an event loop of its own.

Started by the engine process (`supervisor.py`) with two inherited sockets: the FastAGI listening
socket the engine bound (so a restarted worker answers on the same port and a call arriving while it
starts waits in the backlog) and one end of a socket pair (`link.py`), over which it first receives
the engine's configuration. It owns everything a call touches: its database engine, the lines and
queue-settings caches, classification and emergency words, the speech model, the draft spool in
`<data_dir>/drafts`, and a read-only AMI view of the floor (available agents, callers ahead). It
never waits on the engine: the emergency ledger is a message, admins' saves arrive as messages.
When the engine goes away (the link closes) the worker stops.

    python -m hotline.ivr_worker --link-fd 5 --listen-fd 6      (only the engine starts it)
"""
from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict

from aiohttp import web

from hotline.config import Config
from hotline.engine import ENGINE, Engine, _database, _speech
from hotline.health import Check
from hotline.ivr_worker.link import Link

log = logging.getLogger("hotline.ivr_worker")
LINK = web.AppKey("ivr_worker_link", Link)
DEFAULT_ROUTES = "hotline.ivr_worker.worker:call_routes"
STATUS_SECONDS = 2.0


async def _call_services(app: web.Application) -> AsyncIterator[None]:
    """Tickets, lines, classification on the worker's own database engine; admins' settings as last saved."""
    from agent_console.admin.store import SettingsStore
    from callbacks.service import CallbackRules, CallbackService
    from hotline.ivr_worker.adapters import SettingsReload
    from hotline.services import build_call_services

    engine = app[ENGINE]
    engine.services.update(await build_call_services(engine.config, engine.sessions, engine.clock))
    # 回访 answers go through the one record_attempt rule, straight to the database (callbacks/service.py)
    engine.services["callbacks"] = CallbackService(engine.sessions, engine.services["tickets"], engine.clock,
                                                   CallbackRules.from_config(engine.config.callbacks))
    reload = SettingsReload(engine.services, SettingsStore(engine.sessions, engine.clock))
    await reload.load()
    engine.services["settings_reload"] = reload
    yield


async def _floor(app: web.Application) -> AsyncIterator[None]:
    """A read-only AMI client per Asterisk for the floor the IVR asks (agents free, callers ahead):
    the engine's own clients keep everything that acts (membership, the call log, transfers)."""
    from calls.model import EventReading, QueueCalls
    from hotline.ami_wiring import make_clients
    from queues.live import LiveFloor

    engine = app[ENGINE]
    visits = QueueCalls(engine.clock)
    floor = LiveFloor(engine.clock, visits=visits)
    engine.services.update(floor=floor, queue_calls=visits)
    reading = EventReading(visits, [floor])
    for client in make_clients(engine.config):
        client.on_connected(floor.resync)
        client.subscribe(reading.handle, typed=True, inline=True, name="ivr-floor")
        engine.ami[client.name] = client
        await client.start(wait=False)
    yield
    for client in engine.ami.values():
        await client.close()


def call_routes(engine: Engine, link: Link) -> dict[str, Callable]:
    """The citizen's front end and the automated survey, with their worker-side adapters."""
    from hotline.ivr_worker.adapters import LedgerRowWriter, LinkedLedgerFollow
    from ivr.frontend.wiring import make_ivr_route
    from surveys.wiring import attach_router, build_service, make_survey_handler

    survey = build_service(engine)  # the route's steps only: the engine runs the passes and dials
    attach_router(engine, survey)
    engine.services["surveys"] = survey
    fallback = LedgerRowWriter(engine.sessions, engine.clock, engine.config.emergency.targets())
    return {"ivr": make_ivr_route(engine, linkage_follow=LinkedLedgerFollow(link, fallback)),
            "survey": make_survey_handler(survey)}


def _routes_factory(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _serve(listen: socket.socket, routes: str) -> Callable:
    async def context(app: web.Application) -> AsyncIterator[None]:
        """The routes, the draft spool's flusher, then FastAGI on the engine's listening socket."""
        from ivr.fastagi.limits import Limits
        from ivr.fastagi.server import AgiServer

        engine, link = app[ENGINE], app[LINK]
        engine.agi_routes.update(_routes_factory(routes)(engine, link))
        drafts = engine.services.get("draft_spool")
        flusher = asyncio.get_running_loop().create_task(drafts.run(), name="draft-spool") if drafts else None
        agi = engine.config.agi
        server = AgiServer(engine.agi_routes, host=agi.host, allowed_peers=agi.peer_allowlist(), sock=listen,
                           limits=Limits(max_header_bytes=agi.max_header_bytes, header_timeout=agi.header_timeout,
                                         media_timeout=agi.command_timeout))
        await server.start()
        engine.services["fastagi"] = server
        engine.health.register("fastagi", lambda: Check("ok", {"port": server.port, **asdict(server.status())}))
        yield
        await server.close()
        if flusher is not None:
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
            await drafts.aclose()
    return context


def build_worker_app(config: Config, link: Link, listen: socket.socket, *, routes: str = DEFAULT_ROUTES,
                     service_overrides: dict | None = None) -> web.Application:
    """The worker's resources as cleanup contexts, started in order and stopped in reverse (no HTTP)."""
    app = web.Application()
    app[ENGINE] = Engine(config=config, overrides=dict(service_overrides or {}))
    app[LINK] = link
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_call_services)
    app.cleanup_ctx.append(_speech)
    app.cleanup_ctx.append(_floor)
    app.cleanup_ctx.append(_serve(listen, routes))
    return app


async def run_worker(link_fd: int, listen_fd: int) -> int:
    link = await Link.over(socket.socket(fileno=link_fd))
    listen = socket.socket(fileno=listen_fd)
    messages = link.messages()
    first = await anext(messages, None)
    if first is None or first.kind != "config":
        log.error("ivr_worker: no configuration from the engine; stopping")
        return 2
    config = Config.model_validate(first.data["config"])
    logging.basicConfig(level=config.engine.log_level,
                        format="%(asctime)s %(levelname)s %(name)s[ivr-worker]: %(message)s")
    app = build_worker_app(config, link, listen, routes=first.data.get("routes") or DEFAULT_ROUTES)
    runner = web.AppRunner(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runner.setup()
    try:
        engine = app[ENGINE]
        link.send("ready", pid=os.getpid(), port=engine.services["fastagi"].port)
        listener = asyncio.create_task(_listen(messages, engine, stop), name="ivr-worker-link")
        reporter = asyncio.create_task(_report(link, engine), name="ivr-worker-status")
        await stop.wait()
        for task in (listener, reporter):
            task.cancel()
        await asyncio.gather(listener, reporter, return_exceptions=True)
    finally:
        await runner.cleanup()
        link.close()
    return 0


async def _report(link: Link, engine: Engine, every: float = STATUS_SECONDS) -> None:
    """FastAGI's counts for the engine's /admin/health (sessions, accepted, refused peers …)."""
    server = engine.services["fastagi"]
    drafts = engine.services.get("draft_spool")
    while True:
        link.send("status", fastagi=asdict(server.status()), drafts=len(drafts) if drafts is not None else 0)
        await asyncio.sleep(every)


async def _listen(messages, engine: Engine, stop: asyncio.Event) -> None:
    """The engine's messages; the link closing means the engine is gone, and so the worker stops."""
    reload = engine.services["settings_reload"]
    try:
        async for message in messages:
            if message.kind == "changed":
                try:
                    await reload.changed(str(message.data.get("what", "")))
                except Exception:  # noqa: BLE001 - a failed re-read keeps the last copy; the next change retries
                    log.exception("ivr_worker.reload_failed")
    finally:
        log.info("ivr_worker: the engine closed the link; stopping")
        stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the IVR worker (started by the engine)")
    parser.add_argument("--link-fd", type=int, required=True)
    parser.add_argument("--listen-fd", type=int, required=True)
    args = parser.parse_args(argv)
    return asyncio.run(run_worker(args.link_fd, args.listen_fd))
