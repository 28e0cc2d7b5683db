"""A citizen's WeChat conversation becomes ONE ticket draft (channel wechat) for an agent to complete.

A message from an OpenID within `conversation_seconds` of its previous one, while that draft is
still a draft, is added to it; otherwise a new draft starts. The draft's content is the first text
(the agent rewrites it at 登记), its transcript the whole conversation, one line per message, images
as their platform reference (MediaId, PicUrl). Messages of one OpenID are taken one at a time (a lock
per OpenID, in this process), so a quick second message cannot open a second draft.

With a `MediaSource` (media.py), an image is fetched by MediaId after the platform has been answered
(it waits 5 s at most), in a background task: JPEG or PNG by its first bytes and at most the web
form's file limit, kept as the draft's next attachment; anything else is refused and said so in the
transcript. A fetch that fails is marked `failed` (the MediaId stays in the transcript for 3 days).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from channels.models import WechatMessage
from channels.web.attachments import MAX_FILE_BYTES, sniff
from tickets.codes import Status
from tickets.errors import TicketError
from tickets.views import format_local

from .media import MediaError, MediaSource
from .protocol import Message

log = logging.getLogger(__name__)
IMAGE_KINDS = ("image/jpeg", "image/png")
ACTOR = "citizen-wechat"
MAX_PER_DRAFT = 100  # a longer conversation continues in a new draft (the transcript stays bounded)


@dataclass(frozen=True)
class Received:
    number: str
    new_draft: bool
    duplicate: bool  # the platform's retry of a MsgId already taken in


def line(row: WechatMessage) -> str:
    at = format_local(row.sent_at)
    if row.msg_type == "image":
        kept = {"stored": f" 已存为附件 {row.media_note}", "refused": f" 未保存：{row.media_note}",
                "failed": " 获取失败，请在 3 天内据 MediaId 补取"}.get(row.media_status or "", "")
        return f"{at} [图片] MediaId={row.media_id} PicUrl={row.pic_url}{kept}"
    return f"{at} {row.content}"


class WechatIntake:
    def __init__(self, tickets, sessions, clock, conversation_seconds: int, *, media: MediaSource | None = None,
                 attachments=None) -> None:
        self._tickets, self._sessions, self._clock = tickets, sessions, clock
        self.window = timedelta(seconds=conversation_seconds)
        self._locks: dict[str, asyncio.Lock] = {}
        self.media, self.attachments = media, attachments  # attachments: channels.web.attachments.AttachmentStore
        self._fetches: set[asyncio.Task] = set()

    async def receive(self, msg: Message) -> Received:
        lock = self._locks.setdefault(msg.from_user, asyncio.Lock())
        try:
            async with lock:
                return await self._receive(msg)
        finally:
            if not lock.locked():
                self._locks.pop(msg.from_user, None)

    async def _receive(self, msg: Message) -> Received:
        now = self._clock()
        async with self._sessions() as session:
            seen = (await session.execute(select(WechatMessage.ticket_number)
                                          .where(WechatMessage.msg_id == msg.msg_id))).scalar_one_or_none()
            if seen is not None:
                return Received(seen, False, True)
            last = (await session.execute(
                select(WechatMessage).where(WechatMessage.openid == msg.from_user,
                                            WechatMessage.received_at >= now - self.window)
                .order_by(WechatMessage.id.desc()).limit(1))).scalar_one_or_none()
            count = 0 if last is None else (await session.execute(
                select(func.count()).where(WechatMessage.ticket_number == last.ticket_number))).scalar_one()
        number = last.ticket_number if last is not None and count < MAX_PER_DRAFT else None
        if number is not None:
            try:
                if (await self._tickets.get(number)).status is not Status.DRAFT:
                    number = None  # already 登记ed: what follows is a new request
            except TicketError:
                number = None
        fetch = msg.msg_type == "image" and self.media is not None and self.attachments is not None
        row = WechatMessage(msg_id=msg.msg_id, openid=msg.from_user, account=msg.to_user, msg_type=msg.msg_type,
                            content=msg.content, pic_url=msg.pic_url, media_id=msg.media_id,
                            sent_at=datetime.fromtimestamp(msg.create_time, UTC), received_at=now,
                            ticket_number=number or "", media_status="pending" if fetch else None)
        if number is None:
            view = await self._tickets.create_draft(actor=ACTOR, channel="wechat",
                                                    content=msg.content or "[图片]", transcript=line(row),
                                                    transcript_status="done")
            row.ticket_number = view.number
            if not await self._store(row):
                return await self._seen(msg, view.number)
            self._fetch_later(fetch, row)
            return Received(view.number, True, False)
        if not await self._store(row):
            return await self._seen(msg, number)
        await self._retell(number)
        self._fetch_later(fetch, row)
        return Received(number, False, False)

    async def _retell(self, number: str) -> None:
        await self._tickets.attach_transcript(number, "\n".join(line(r) for r in await self.messages(number)),
                                              "done", ACTOR)

    def _fetch_later(self, fetch: bool, row: WechatMessage) -> None:
        if fetch:
            task = asyncio.get_running_loop().create_task(self._fetch(row.id, row.ticket_number, row.media_id),
                                                          name="wechat-media")
            self._fetches.add(task)
            task.add_done_callback(self._fetches.discard)

    async def _fetch(self, row_id: int, number: str, media_id: str) -> None:
        status, note = "failed", None
        try:
            data = await self.media.fetch(media_id, MAX_FILE_BYTES)
            kind = sniff(data[:16])
            if kind is None or kind[0] not in IMAGE_KINDS:
                status, note = "refused", "不是 JPG 或 PNG 图片"
            else:
                seq = await self.attachments.add(number, f"wechat-{media_id[:40]}.{kind[1]}", data, *kind)
                status, note = "stored", str(seq)
        except MediaError as exc:
            if exc.too_large:
                status, note = "refused", f"超过 {MAX_FILE_BYTES // (1024 * 1024)} MB"
            log.warning("wechat.media.%s media_id=%s ticket=%s: %s", status, media_id[:40], number, exc)
        except Exception:  # noqa: BLE001 - the message stands; marked failed
            log.exception("wechat.media.failed media_id=%s ticket=%s", media_id[:40], number)
        async with self._sessions() as session, session.begin():
            await session.execute(update(WechatMessage).where(WechatMessage.id == row_id)
                                  .values(media_status=status, media_note=note))
        try:
            await self._retell(number)
        except TicketError:
            pass  # registered meanwhile: the attachment is there, the agent's text stays

    async def drain(self) -> None:
        """Wait for the image fetches under way (shutdown, tests)."""
        while self._fetches:
            await asyncio.gather(*list(self._fetches), return_exceptions=True)

    async def _store(self, row: WechatMessage) -> bool:
        """False when another engine process took this MsgId in meanwhile (the lock is per process)."""
        try:
            async with self._sessions() as session, session.begin():
                session.add(row)
        except IntegrityError:
            return False
        return True

    async def _seen(self, msg: Message, fallback: str) -> Received:
        async with self._sessions() as session:
            seen = (await session.execute(select(WechatMessage.ticket_number)
                                          .where(WechatMessage.msg_id == msg.msg_id))).scalar_one_or_none()
        return Received(seen or fallback, False, True)

    async def messages(self, number: str) -> list[WechatMessage]:
        async with self._sessions() as session:
            return list(await session.scalars(select(WechatMessage).where(WechatMessage.ticket_number == number)
                                              .order_by(WechatMessage.id)))
