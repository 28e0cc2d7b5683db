"""The web intake's group commit (channels/web/intake_writer.py), on SQLite and PostgreSQL: many citizens
submitting at once each get their own ticket number, stored with its query code before they are told it;
a batch the database refuses answers every one of its citizens 系统繁忙 and stores none of them — no draft,
no query code, no audit row, no attachment file — and their SMS codes still work for the next try."""
from __future__ import annotations

import asyncio
import io
import re

from aiohttp import FormData
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from agent_console.audit.models import AuditEntry
from channels.models import Attachment, QueryCode
from channels.web.context import CITIZEN
from channels.web.intake_writer import IntakeStore
from console_support import MovableClock, make_config, running_console
from hotline.engine import ENGINE
from test_channels_citizen import FORM, query, token_of
from tickets.codes import Channel, Status

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500


def intake_config(tmp_path, database_url):
    config = make_config(tmp_path)
    big = 10_000
    return config.model_copy(update={
        "database": config.database.model_copy(update={"url": database_url}),
        "citizen": config.citizen.model_copy(update={"submits_per_address": big, "codes_per_address": big})})


def phones(first: int, count: int) -> list[str]:
    return [f"1390{first + i:07d}" for i in range(count)]


async def post_submission(client, phone: str, code: str, *, files=()):
    """One citizen's form, as the browser posts it (multipart when a file is attached)."""
    token = token_of(await (await client.get("/citizen/new")).text())
    fields = {**FORM, "phone": phone, "content": f"{FORM['content']}（{phone}）", "sms_code": code,
              "form_token": token, "action": "submit"}
    if not files:
        return await client.post("/citizen/new", data=fields)
    data = FormData()
    for key, value in fields.items():
        data.add_field(key, value)
    for name, body in files:
        data.add_field("files", io.BytesIO(body), filename=name, content_type="image/png")
    return await client.post("/citizen/new", data=data)


async def answered(response) -> tuple[int, str]:
    return response.status, await response.text()


async def stored_for(app, numbers_or_phones: list[str]) -> dict[str, int]:
    """What the store holds for these citizens: their drafts, query codes, audit rows and attachment rows."""
    engine = app[ENGINE]
    drafts = [t for phone in numbers_or_phones for t in await engine.services["tickets"].search(caller=phone)]
    numbers = [t.number for t in drafts]
    async with engine.sessions() as session:
        codes = await session.scalar(select(func.count()).select_from(QueryCode)
                                     .where(QueryCode.ticket_number.in_(numbers))) if numbers else 0
        files = await session.scalar(select(func.count()).select_from(Attachment)
                                     .where(Attachment.ticket_number.in_(numbers))) if numbers else 0
        audit = await session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "citizen.submit", AuditEntry.target.in_(numbers))
                                     ) if numbers else 0
    return {"drafts": len(drafts), "codes": codes, "files": files, "audit": audit}


async def test_given_many_citizens_submitting_at_once_when_answered_then_every_number_is_distinct_stored_and_readable(
        tmp_path, fresh_database_url):
    async with running_console(intake_config(tmp_path, fresh_database_url), MovableClock()) as (app, client):
        desk = app[CITIZEN].desk
        people = phones(1000, 60)
        codes = {phone: desk.codes.issue(phone) for phone in people}  # the codes their SMS carried
        batches_before = desk.writer.batches

        results = await asyncio.gather(*(post_submission(client, p, codes[p]) for p in people))
        pages = [await answered(r) for r in results]
        assert [status for status, _ in pages] == [200] * len(people), pages[0][1][:500]
        numbers = [re.search(r'id="ticket-number">(\d+)<', html).group(1) for _, html in pages]
        qcodes = [re.search(r'id="query-code" class="c-code">([A-Z0-9]+)<', html).group(1) for _, html in pages]
        assert len(set(numbers)) == len(people), "every citizen has a number of their own"
        assert desk.writer.batches - batches_before < len(people), "stored in shared transactions, not one each"

        tickets = app[ENGINE].services["tickets"]
        for phone, number in zip(people, numbers, strict=True):
            ticket = await tickets.get(number)
            assert (ticket.caller, ticket.channel, ticket.status) == (phone, Channel.WEB, Status.DRAFT)
            assert ticket.content.endswith(f"（{phone}）") and ticket.address == FORM["address"]
            assert [e.action for e in await tickets.history(number)] == ["create"]
        for number, qcode in zip(numbers, qcodes, strict=True):  # every citizen reads theirs with their code
            seen = await desk.lookup(number, qcode)
            assert seen is not None and (seen.number, seen.status) == (number, "已提交，待受理")
        for number, qcode in list(zip(numbers, qcodes, strict=True))[::7]:  # and the page shows it
            html = await (await query(client, number, qcode)).text()
            assert "已提交，待受理" in html and number in html
        wrong = await query(client, numbers[0], qcodes[1])
        assert wrong.status == 404, "another citizen's query code does not open this ticket"
        assert await stored_for(app, people) == {"drafts": 60, "codes": 60, "files": 0, "audit": 60}


class FailingStore(IntakeStore):
    """The real batch SQL, then the database gives up before the commit (a lost connection, a full disk)."""

    def __init__(self, real: IntakeStore) -> None:
        self.__dict__.update(real.__dict__)
        self.batches: list[int] = []

    async def insert(self, conn, items, now, placed):
        await super().insert(conn, items, now, placed)
        self.batches.append(len(items))
        raise OperationalError("COMMIT", {}, Exception("disk I/O error (injected)"))


async def test_given_a_batch_the_database_fails_when_citizens_wait_then_all_get_busy_and_none_is_stored(
        tmp_path, fresh_database_url):
    async with running_console(intake_config(tmp_path, fresh_database_url), MovableClock()) as (app, client):
        desk = app[CITIZEN].desk
        writer = desk.writer
        people = phones(2000, 8)
        codes = {phone: desk.codes.issue(phone) for phone in people}
        real, failing = writer.store, FailingStore(writer.store)
        writer.store = failing
        now = [1000.0]
        writer.monotonic = lambda: now[0]

        results = await asyncio.gather(*(post_submission(client, p, codes[p], files=[("路灯.png", PNG)] if i == 0
                                                         else ()) for i, p in enumerate(people)))
        pages = [await answered(r) for r in results]
        assert failing.batches and sum(failing.batches) == len(people), "the SQL of every submission ran"
        assert [status for status, _ in pages] == [503] * len(people)
        assert all("系统繁忙" in html and "尚未提交" in html for _, html in pages)
        assert all(r.headers["Retry-After"] == "5" for r in results)
        assert all(FORM["address"] in html for _, html in pages), "the form comes back filled in"
        assert await stored_for(app, people) == {"drafts": 0, "codes": 0, "files": 0, "audit": 0}
        root = tmp_path / "citizen"
        assert not root.exists() or [p for p in root.rglob("*") if p.is_file()] == [], "no file left behind"

        writer.store = real  # the database is back, but the failure was a moment ago: refused at once
        status, html = await answered(await post_submission(client, people[0], codes[people[0]]))
        assert status == 503 and "系统繁忙" in html and await stored_for(app, people[:1]) == {
            "drafts": 0, "codes": 0, "files": 0, "audit": 0}

        now[0] += writer.cooldown + 0.1
        again = [await answered(await post_submission(client, p, codes[p])) for p in people[:3]]
        assert [status for status, _ in again] == [200] * 3, "the SMS codes were given back"
        numbers = [re.search(r'id="ticket-number">(\d+)<', html).group(1) for _, html in again]
        assert len(set(numbers)) == 3
        assert await stored_for(app, people) == {"drafts": 3, "codes": 3, "files": 0, "audit": 3}
