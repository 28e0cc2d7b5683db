"""Webhooks: status changes of a partner's tickets POSTed to its URL, signed, retried with backoff.

An outbox, never a hook inside the ticket store: the sweep (a PeriodicJob) reads the history of
partner tickets past `notified_seq`, writes one `api_webhook_delivery` row per public status change,
then POSTs what is due, outside any transaction. A partner that is down costs the store nothing;
its rows wait with a growing delay (backoff, doubled each time up to `backoff_max`) and turn
`failed` after `max_attempts` (visible in `hotline partners deliveries`).

Wire format: POST JSON, headers `X-Hotline-Event`, `X-Hotline-Delivery` (stable id: number.seq, for
the partner's de-duplication), `X-Hotline-Timestamp` and `X-Hotline-Signature: sha256=<hex>` —
HMAC-SHA256 with the partner's webhook secret over `<timestamp>.<raw body>`.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from tickets.codes import Status
from tickets.models import Ticket, TicketEvent

from .desk import public_status
from .keys import sign
from .models import Partner, PartnerTicket, WebhookDelivery

log = logging.getLogger(__name__)
EVENT = "ticket.status_changed"
BATCH = 200


class WebhookSender:
    def __init__(self, sessions: async_sessionmaker, clock: Callable[[], datetime], *, timeout: float = 5.0,
                 max_attempts: int = 8, backoff: float = 10.0, backoff_max: float = 3600.0) -> None:
        self._sessions, self._clock = sessions, clock
        self.timeout, self.max_attempts = timeout, max_attempts
        self.backoff, self.backoff_max = backoff, backoff_max
        self._http: aiohttp.ClientSession | None = None

    async def sweep(self) -> int:
        """One pass: enqueue new status changes, deliver what is due. Returns deliveries made."""
        await self.enqueue()
        return await self.deliver()

    async def enqueue(self) -> int:
        now, added = self._clock(), 0
        async with self._sessions() as session, session.begin():
            rows = (await session.execute(
                select(PartnerTicket, Ticket.id, Ticket.last_event_seq, Partner.webhook_url)
                .join(Ticket, Ticket.number == PartnerTicket.ticket_number)
                .join(Partner, Partner.id == PartnerTicket.partner_id)
                .where(Ticket.last_event_seq > PartnerTicket.notified_seq).limit(BATCH))).all()
            for link, ticket_id, last_seq, url in rows:
                if url:
                    events = await session.scalars(
                        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                                  TicketEvent.seq > link.notified_seq,
                                                  TicketEvent.seq <= last_seq).order_by(TicketEvent.seq))
                    for e in events:
                        if e.from_status is None or e.to_status is None:
                            continue
                        before, after = public_status(Status(e.from_status)), public_status(Status(e.to_status))
                        if before["code"] == after["code"]:
                            continue  # an internal step: no public change to tell
                        payload = {"event": EVENT, "id": f"{link.ticket_number}.{e.seq}",
                                   "number": link.ticket_number, "external_id": link.external_id,
                                   "seq": e.seq, "at": e.at.isoformat(), "status": after, "previous": before}
                        session.add(WebhookDelivery(partner_id=link.partner_id, ticket_number=link.ticket_number,
                                                    event_seq=e.seq, payload=json.dumps(payload, ensure_ascii=False),
                                                    status="pending", attempts=0, next_attempt_at=now,
                                                    created_at=now))
                        added += 1
                link.notified_seq = last_seq  # without a URL, changes before registering are not sent
        return added

    async def deliver(self) -> int:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            due = (await session.execute(
                select(WebhookDelivery.id, WebhookDelivery.payload, WebhookDelivery.attempts,
                       Partner.webhook_url, Partner.webhook_secret)
                .join(Partner, Partner.id == WebhookDelivery.partner_id)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.id).limit(BATCH))).all()
            lease = now + timedelta(seconds=self.timeout * 2 + 5)
            claimed = []
            for row in due:  # another engine's sweep may have picked a row: claim each
                result = await session.execute(
                    update(WebhookDelivery).where(WebhookDelivery.id == row[0], WebhookDelivery.status == "pending",
                                                  WebhookDelivery.next_attempt_at <= now)
                    .values(next_attempt_at=lease))
                if result.rowcount == 1:
                    claimed.append(row)
        done = 0
        for delivery_id, payload, attempts, url, secret in claimed:
            error = await self._post(url, secret, delivery_id, payload) if url and secret else "no webhook URL"
            await self._record(delivery_id, attempts + 1, error)
            done += error is None
        return done

    async def _post(self, url: str, secret: str, delivery_id: int, payload: str) -> str | None:
        body = payload.encode()
        stamp = str(int(self._clock().timestamp()))
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Hotline-Event": EVENT,
                   "X-Hotline-Delivery": json.loads(payload)["id"], "X-Hotline-Timestamp": stamp,
                   "X-Hotline-Signature": sign(secret, stamp, body), "User-Agent": "hotline-12345-webhook/1"}
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._http.post(url, data=body, headers=headers, allow_redirects=False) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"[:256]

    async def _record(self, delivery_id: int, attempts: int, error: str | None) -> None:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            row = await session.get(WebhookDelivery, delivery_id)
            row.attempts = attempts
            if error is None:
                row.status, row.delivered_at, row.last_error = "delivered", now, None
                return
            row.last_error = error[:256]
            if attempts >= self.max_attempts:
                row.status = "failed"
                log.warning("partner.webhook.failed id=%s after %s attempts: %s", delivery_id, attempts, error)
            else:
                delay = min(self.backoff * 2 ** (attempts - 1), self.backoff_max)
                row.next_attempt_at = now + timedelta(seconds=delay)

    async def deliveries(self, limit: int = 100) -> list[WebhookDelivery]:
        async with self._sessions() as session:
            return list(await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc())
                                              .limit(limit)))

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
