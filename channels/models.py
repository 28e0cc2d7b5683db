"""Tables of the channels capability: every SMS sent (or tried), and the citizens' query codes.

A query code is kept only as a salted SHA-256: the code is shown once to the citizen and is
random enough (50 bits) that a fast hash is sufficient behind the per-address rate limit.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base
from tickets.models import Id, UtcDateTime


class SmsMessage(Base):
    __tablename__ = "sms_message"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    to_number: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(32))          # verify / ticket_number / ...
    text: Mapped[str] = mapped_column(Text)                # verification codes masked
    adapter: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))        # sent / failed
    error: Mapped[str | None] = mapped_column(String(256), nullable=True)
    ticket_number: Mapped[str | None] = mapped_column(String(14), nullable=True)


class QueryCode(Base):
    __tablename__ = "citizen_query_code"

    ticket_number: Mapped[str] = mapped_column(String(14), primary_key=True)
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Attachment(Base):
    """A file a citizen attached to a web request; the bytes are under <data_dir>/citizen/`stored`."""

    __tablename__ = "citizen_attachment"
    __table_args__ = (UniqueConstraint("ticket_number", "seq", name="uq_citizen_attachment_ticket_seq"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ticket_number: Mapped[str] = mapped_column(String(14), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(64))
    stored: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WechatMessage(Base):
    """One message a citizen sent the official account (issue 16.2), and the draft it went to.

    MsgId is unique: the platform retries a push it got no answer to within 5 s, a retry is
    answered with the same ticket number and stored once. Images keep the platform's reference
    (MediaId, PicUrl) and, when [wechat] app_secret is set, are fetched by MediaId (it lasts 3 days,
    a PicUrl is temporary) into the draft's citizen_attachment rows; `media_status` says how that went.
    """

    __tablename__ = "wechat_message"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    msg_id: Mapped[str] = mapped_column(String(32), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    account: Mapped[str] = mapped_column(String(64))       # ToUserName, the official account
    msg_type: Mapped[str] = mapped_column(String(16))      # text / image
    content: Mapped[str | None] = mapped_column(Text, nullable=True)
    pic_url: Mapped[str | None] = mapped_column(String(512), nullable=True)
    media_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)  # CreateTime
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ticket_number: Mapped[str] = mapped_column(String(14), index=True)
    # an image's fetch by MediaId (channels/wechat/media.py): pending / stored / refused / failed
    media_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    media_note: Mapped[str | None] = mapped_column(String(128), nullable=True)  # the attachment seq or why not


class SmsInbound(Base):
    """One SMS a citizen sent to the service number (上行短信), and the draft it became.

    msg_id (the platform's id) is unique: a retried push is answered with the same draft and stored
    once. The row is claimed before the draft is made, so two engines taking the same retry at once
    make one draft; `ticket_number` is empty only while that draft is being made.
    """

    __tablename__ = "sms_inbound"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    sender: Mapped[str] = mapped_column(String(32), index=True)
    to_number: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    adapter: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ticket_number: Mapped[str] = mapped_column(String(14), index=True, default="")
    duplicates: Mapped[int] = mapped_column(Integer, default=0)   # retries of this msg_id answered since


TABLES = (SmsMessage.__table__, QueryCode.__table__, Attachment.__table__, WechatMessage.__table__,
          SmsInbound.__table__)
