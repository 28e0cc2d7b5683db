"""POST /sms/inbound: the city SMS platform's uplink (`@public`; the platform signs every push instead).

The signature is checked before the body is parsed; a bad or missing one is 403, an oversized body
413, a malformed one 400, a sender over `[sms] uplink_per_sender` 429, more submissions at once than
`[citizen] max_in_flight` 503 (the platform retries) — all with nothing stored.
A taken message answers {"ticket_number", "duplicate"}; the citizen gets the number by SMS.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from agent_console.audit.service import Actor
from agent_console.auth.access import public
from agent_console.context import CONSOLE, client_ip
from channels.ratelimit import Busy, InFlight, Limited, WindowLimiter

from .inbound import SmsIntake
from .uplink import MAX_BODY, UplinkAdapter, UplinkRefused

log = logging.getLogger(__name__)


@dataclass
class Uplink:
    adapter: UplinkAdapter
    limiter: WindowLimiter          # messages per sender
    clock: object
    in_flight: InFlight              # shared with the web form ([citizen] max_in_flight)
    intake: SmsIntake | None = None  # built once the ticket store is up


UPLINK = web.AppKey("sms_uplink", Uplink)
MESSAGES = {400: "sms.malformed", 403: "sms.signature", 404: "sms.not_configured", 413: "sms.too_large"}


def _refused(status: int, error: str, **extra) -> web.Response:
    return web.json_response({"error": error, **extra}, status=status)


@public
async def inbound(request: web.Request) -> web.Response:
    cap = request.app[UPLINK]
    if (request.content_length or 0) > MAX_BODY:
        return _refused(413, "sms.too_large")
    body = await request.content.read(MAX_BODY + 1)
    try:
        sms = cap.adapter.parse(request.headers, body, cap.clock().timestamp())
    except UplinkRefused as exc:
        log.warning("sms.inbound refused from %s: %s", client_ip(request), exc.reason)
        return _refused(exc.status, MESSAGES.get(exc.status, "sms.refused"))
    try:
        cap.limiter.hit(sms.sender)
    except Limited as exc:
        log.warning("sms.inbound throttled sender=%s****", sms.sender[:3])
        return web.json_response({"error": "sms.rate_limited"}, status=429,
                                 headers={"Retry-After": str(int(exc.retry_after))})
    try:
        with cap.in_flight:
            got = await cap.intake.receive(sms)
    except Busy:
        log.warning("sms.inbound busy: refused msg_id=%s (the platform retries)", sms.msg_id)
        return web.json_response({"error": "sms.busy"}, status=503, headers={"Retry-After": "5"})
    if not got.duplicate:
        await request.app[CONSOLE].audit.record(Actor(None, "citizen", client_ip(request)), "sms.draft",
                                                got.number, "ok")
    return web.json_response({"ticket_number": got.number or None, "duplicate": got.duplicate})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/sms/inbound", inbound, name="sms-inbound")
