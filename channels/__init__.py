"""Channels into the one ticket store besides the phone: the citizen's web pages and the SMS gateway.

`setup_channels(app)` (from hotline.engine.build_app, after the console) adds the public routes;
its cleanup context builds the SMS outbox (engine.services["sms"]) and the citizen desk once the
database and the ticket store exist.
"""
from __future__ import annotations

from collections.abc import AsyncIterator

import logging

from aiohttp import web as aiohttp_web  # `web` is the channels.web subpackage here

from agent_console.audit.service import AuditLog
from hotline.engine import ENGINE

from .ratelimit import InFlight, WindowLimiter
from .sms import SmsOutbox, make_gateway
from .sms import views as sms_views
from .sms.inbound import SmsIntake
from .sms.notify import TicketNumberNotifier
from .sms.uplink import make_uplink
from .sms.uplink_views import UPLINK, Uplink
from .sms import uplink_views
from .web import review, views
from .web.attachments import AttachmentStore
from .web.codes import VerifyCodes
from .web.context import CITIZEN, Citizen
from .web.desk import CitizenDesk
from .web.intake_writer import IntakeStore, IntakeWriter
from .wechat import setup_wechat

__all__ = ["CITIZEN", "setup_channels"]
log = logging.getLogger(__name__)


def setup_channels(app: aiohttp_web.Application, gateway=None) -> Citizen:
    """`gateway` replaces the adapter the [sms] section asks for (tests)."""
    engine = app[ENGINE]
    cfg = engine.config.citizen
    clock = lambda: engine.clock()  # noqa: E731 - tests move the engine's clock
    window = cfg.window_seconds
    cap = Citizen(limits={
        "code_phone": WindowLimiter(clock, cfg.codes_per_phone, window),
        "code_ip": WindowLimiter(clock, cfg.codes_per_address, window),
        "submit_phone": WindowLimiter(clock, cfg.submits_per_phone, window),
        "submit_ip": WindowLimiter(clock, cfg.submits_per_address, window),
        "query_ip": WindowLimiter(clock, cfg.queries_per_address, window),
    }, in_flight=InFlight(cfg.max_in_flight))
    app[CITIZEN] = cap
    app[_GATEWAY] = gateway
    if cfg.enabled:
        views.add_routes(app.router)
        review.add_routes(app.router)
    sms_views.add_routes(app.router)
    sms = engine.config.sms
    app[UPLINK] = Uplink(make_uplink(sms), WindowLimiter(clock, sms.uplink_per_sender, sms.uplink_window_seconds),
                         clock, cap.in_flight)
    uplink_views.add_routes(app.router)  # 上行短信 (404 until [sms] uplink_secret is set)
    app.cleanup_ctx.append(_channels_context)
    setup_wechat(app, engine)
    from .partner import setup_partner_api

    setup_partner_api(app)  # /api/v1 (issue 16.3)
    return cap


_GATEWAY = aiohttp_web.AppKey("channels.sms_gateway", object)


async def _channels_context(app: aiohttp_web.Application) -> AsyncIterator[None]:
    engine, cap = app[ENGINE], app[CITIZEN]
    clock = lambda: engine.clock()  # noqa: E731
    gateway = app[_GATEWAY] or make_gateway(engine.config.sms)
    if gateway.name == "log" and engine.config.engine.mode == "production" and engine.config.citizen.enabled:
        log.warning("短信网关为仅写日志（sms.adapter = \"log\"）：生产环境的网上诉求验证码不会发到市民手机，"
                    "请配置 [sms] adapter = \"http\"")
    outbox = SmsOutbox(gateway, engine.sessions, clock)
    engine.services["sms"] = outbox
    citizen = engine.config.citizen
    attachments = AttachmentStore(engine.config.engine.data_dir / "citizen", engine.sessions, clock)
    store = IntakeStore(engine.services["tickets"], engine.db, attachments, AuditLog(engine.sessions, clock))
    writer = IntakeWriter(store, clock, max_items=citizen.batch_max_items, linger=citizen.batch_linger_ms / 1000,
                          timeout=citizen.batch_timeout_seconds, max_queued=citizen.batch_max_queued,
                          cooldown=citizen.batch_cooldown_seconds)
    cap.desk = CitizenDesk(engine.services["tickets"], engine.sessions, outbox,
                           VerifyCodes(clock, citizen.code_ttl_seconds), clock, attachments, writer)
    writer.start()
    sms = engine.config.sms
    notifier = TicketNumberNotifier(outbox, engine.sessions, clock, sms.notify_lines,
                                    sms.notify_every_seconds, sms.notify_max_attempts)
    engine.services["sms_notifier"] = notifier
    intake = SmsIntake(engine.services["tickets"], engine.sessions, outbox, clock, app[UPLINK].adapter.name)
    app[UPLINK].intake = engine.services["sms_inbound"] = intake
    notifier.start()
    try:
        yield
    finally:
        await writer.stop()  # what is queued is stored and answered before the database goes
        await notifier.stop()
        await intake.drain()
        await gateway.close()
