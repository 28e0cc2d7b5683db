"""The partner API (issue 16.3): versioned JSON under /api/v1 for apps and other platforms.

`setup_partner_api(app)` (from channels.setup_channels) adds the routes; its cleanup context builds
the directory of partners and keys, the desk (create/read through the ticket store) and the
webhook sender with its sweep (a PeriodicJob), once the database and the ticket store exist.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web

from hotline.engine import ENGINE
from hotline.periodic import PeriodicJob

from . import admin, views
from .desk import PartnerDesk
from .directory import PartnerDirectory
from .views import PARTNER_API
from .webhooks import WebhookSender

__all__ = ["PARTNER_API", "PartnerApi", "setup_partner_api"]
log = logging.getLogger(__name__)


@dataclass
class PartnerApi:
    max_body: int
    allow_insecure: bool
    directory: PartnerDirectory | None = None
    desk: PartnerDesk | None = None
    webhooks: WebhookSender | None = None
    job: PeriodicJob | None = None


def setup_partner_api(app: web.Application, *, schedule: bool = True) -> PartnerApi | None:
    """`schedule=False`: no background sweep (tests call `cap.webhooks.sweep()` themselves)."""
    engine = app[ENGINE]
    cfg = engine.config.partner_api
    if not cfg.enabled:
        return None
    insecure = cfg.webhook_allow_insecure
    cap = PartnerApi(cfg.max_body_bytes, engine.config.engine.mode != "production" if insecure is None else insecure)
    app[PARTNER_API] = cap
    views.add_routes(app.router)
    admin.add_routes(app.router)

    async def context(app: web.Application) -> AsyncIterator[None]:
        clock = lambda: engine.clock()  # noqa: E731 - tests move the engine's clock
        cap.directory = PartnerDirectory(engine.sessions, clock)
        cap.desk = PartnerDesk(engine.services["tickets"], engine.sessions, clock)
        cap.webhooks = WebhookSender(engine.sessions, clock, timeout=cfg.webhook_timeout_seconds,
                                     max_attempts=cfg.webhook_max_attempts, backoff=cfg.webhook_backoff_seconds,
                                     backoff_max=cfg.webhook_backoff_max_seconds)
        engine.services["partner_api"] = cap
        if schedule:
            async def sweep() -> None:
                await cap.webhooks.sweep()
            every = timedelta(seconds=cfg.webhook_every_seconds)
            cap.job = PeriodicJob("partner-webhooks", sweep, every, log, "partner.webhook.sweep_failed")
            cap.job.start(datetime.now(UTC) + every)
        try:
            yield
        finally:
            if cap.job is not None:
                await cap.job.stop()
            await cap.webhooks.close()

    app.cleanup_ctx.append(context)
    return cap
