"""Mounting recordings on the engine: `setup_recordings(app)` after `setup_console(app)` in build_app.

The cleanup context starts once the database, the services, the AMI clients and the console
exist: it builds the catalogue, subscribes the recorder to every AMI client (with a resync on
each connect), and starts the retention schedule; it stops them in reverse.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from hotline.engine import ENGINE

from . import views
from .catalogue import Catalogue
from .context import RECORDINGS, Recordings
from .listens import ListenLedger
from .recorder import Recorder, RecorderSettings
from .retention import Retention
from .schedule import RetentionSchedule
from .settings import RecordingsSettings

log = logging.getLogger(__name__)
EVENTS = ("AgentConnect", "DialEnd", "MixMonitorStart", "MixMonitorStop", "MixMonitorMute", "VarSet", "Hangup")


def setup_recordings(app: web.Application, settings: RecordingsSettings | None = None) -> Recordings:
    engine = app[ENGINE]
    settings = settings or RecordingsSettings.from_config(engine.config)
    cap = Recordings(settings, ListenLedger(lambda: engine.clock(), settings.listen_audit_window))
    app[RECORDINGS] = cap
    views.add_routes(app.router)
    app.cleanup_ctx.append(recordings_context)
    return cap


async def recordings_context(app: web.Application) -> AsyncIterator[None]:
    engine, cap = app[ENGINE], app[RECORDINGS]
    settings = cap.settings
    clock = lambda: engine.clock()  # noqa: E731 - tests move the engine's clock
    cap.catalogue = Catalogue(engine.sessions, clock)
    cap.recorder = recorder = Recorder(
        cap.catalogue, RecorderSettings(settings.directory, settings.zone, settings.mixmonitor_options,
                                        settings.enabled, settings.settle_seconds),
        clock, {name: client.send for name, client in engine.ami.items()})
    engine.services["recordings"] = recorder
    subscriptions, closed = [], False

    async def resync(session) -> None:
        if not closed:
            await recorder.resync(session.server, session.send)

    for name, client in engine.ami.items():
        subscriptions.append((client, client.subscribe(recorder.handle, typed=True, events=EVENTS,
                                                       name="recordings")))
        client.on_connected(resync)
        if client.ready:
            try:
                await recorder.resync(name, client.send)
            except Exception:  # noqa: BLE001 - the next connect resyncs again
                log.exception("recordings.resync_failed server=%s", name)
    tickets = engine.services.get("tickets")
    cap.retention = Retention(engine.sessions, cap.catalogue, tickets, settings.retention, settings.directory, clock)
    if settings.schedule and tickets is not None:
        schedule = RetentionSchedule(cap.retention, clock, every=settings.retention_every,
                                     start_delay=settings.retention_start_delay)
        try:
            await schedule.start()
            cap.schedule = schedule
        except SQLAlchemyError:  # e.g. the migration creating the recordings tables has not run
            log.exception("recordings.retention.not_scheduled: recordings will not be deleted until a restart")
    try:
        yield
    finally:
        closed = True
        if cap.schedule is not None:
            await cap.schedule.stop()
        for client, sub in subscriptions:
            await client.fanout.unsubscribe(sub)
        await recorder.close()
