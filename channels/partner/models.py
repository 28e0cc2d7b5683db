"""Tables of the partner API: partners, their API keys (hashed), the tickets each created, the webhook outbox.

An API key is kept only as SHA-256 (a 32-byte random key needs no slow hash); its first characters
(`prefix`) find the row. The webhook secret is kept as given: signing needs it in clear.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base
from tickets.models import Id, UtcDateTime


class Partner(Base):
    __tablename__ = "api_partner"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    webhook_url: Mapped[str | None] = mapped_column(String(512), nullable=True)
    webhook_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PartnerKey(Base):
    __tablename__ = "api_partner_key"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("api_partner.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(128))          # space separated
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PartnerTicket(Base):
    """A ticket a partner created: the relation that lets it read the ticket (and nothing else)."""

    __tablename__ = "api_partner_ticket"
    __table_args__ = (UniqueConstraint("partner_id", "idempotency_key", name="uq_api_partner_ticket_idem"),)

    ticket_number: Mapped[str] = mapped_column(String(14), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("api_partner.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    notified_seq: Mapped[int] = mapped_column(Integer, default=0)  # history seen by the webhook sweep
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookDelivery(Base):
    """One status change to POST to a partner: pending until a 2xx, retried with backoff, then failed."""

    __tablename__ = "api_webhook_delivery"
    __table_args__ = (UniqueConstraint("ticket_number", "event_seq", name="uq_api_webhook_delivery_event"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("api_partner.id"), index=True)
    ticket_number: Mapped[str] = mapped_column(String(14))
    event_seq: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)   # pending / delivered / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(String(256), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
