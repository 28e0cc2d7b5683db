"""Mounting 督办 on the engine: the service (engine.services["supervision"]), its job and its pages."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from hotline.engine import ENGINE

from .gateway import LogGateway, WebhookGateway
from .schedule import SupervisionSchedule
from .service import Settings, Supervision


def gateway_of(section):
    if section.gateway == "webhook":
        if not section.webhook_url:
            raise ValueError("supervision.gateway = \"webhook\" needs supervision.webhook_url")
        return WebhookGateway(section.webhook_url, timeout=section.webhook_timeout)
    return LogGateway()


def settings_of(section) -> Settings:
    return Settings(warn_share=section.warn_share, remind_every=timedelta(minutes=section.remind_every_minutes),
                    escalate_after=section.escalate_after, retry_after=timedelta(seconds=section.retry_seconds),
                    send_timeout=section.webhook_timeout)


def setup_supervision(app: web.Application, *, schedule: bool = True) -> None:
    from . import views

    views.add_routes(app.router)

    async def context(app: web.Application) -> AsyncIterator[None]:
        engine = app[ENGINE]
        section = engine.config.supervision
        service = engine.services.get("supervision")
        if service is None:
            service = Supervision(engine.db, engine.sessions, engine.services["tickets"], lambda: engine.clock(),
                                  settings_of(section), gateway_of(section))
            engine.services["supervision"] = service
        engine.health.register("supervision", service.health)  # notices the SMS platform has not taken
        job = None
        if schedule and section.enabled:
            job = SupervisionSchedule(service, every=timedelta(seconds=section.sweep_seconds))
            job.start()
            engine.services["supervision_schedule"] = job
        try:
            yield
        finally:
            if job is not None:
                await job.stop()
            await service.gateway.close()

    app.cleanup_ctx.append(context)
