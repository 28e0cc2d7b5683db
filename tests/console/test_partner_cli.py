"""`hotline partners add|list|revoke|deliveries` against a migrated database (SQLite and PostgreSQL):
the key is printed once, stored hashed, works as a bearer key until revoked; every change audited."""
from __future__ import annotations

import asyncio
import hashlib

from sqlalchemy import select

from agent_console.audit.models import AuditEntry
from channels.partner.directory import PartnerDirectory
from channels.partner.models import PartnerKey
from console_support import MovableClock
from hotline.cli import main
from hotline.db import make_engine, make_sessionmaker


def _run(url: str, work):
    async def go():
        engine = make_engine(url)
        try:
            return await work(make_sessionmaker(engine))
        finally:
            await engine.dispose()
    return asyncio.run(go())


def test_cli_adds_lists_and_revokes_partner_keys_audited(fresh_database_url, monkeypatch, capsys):
    monkeypatch.setenv("HOTLINE_DATABASE__URL", fresh_database_url)
    assert main(["db", "upgrade"]) == 0  # migration 0020_partner_api creates the tables
    capsys.readouterr()
    assert main(["partners", "add", "province", "--name", "省12345平台", "--scope", "tickets:create",
                 "--scope", "tickets:read"]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("hk_")
    prefix = key.split("_")[1]

    async def stored(sessions):
        async with sessions() as session:
            return list(await session.scalars(select(PartnerKey)))
    (row,) = _run(fresh_database_url, stored)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest() and row.scopes == "tickets:create tickets:read"
    caller = _run(fresh_database_url, lambda s: PartnerDirectory(s, MovableClock()).authenticate(key))
    assert caller.code == "province" and caller.scopes == {"tickets:create", "tickets:read"}

    assert main(["partners", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"province\t省12345平台\t{prefix}\ttickets:create tickets:read\tactive" in listed and key not in listed
    assert main(["partners", "revoke", prefix]) == 0
    assert main(["partners", "revoke", prefix]) == 1
    assert _run(fresh_database_url, lambda s: PartnerDirectory(s, MovableClock()).authenticate(key)) is None
    assert main(["partners", "deliveries"]) == 0

    async def audit(sessions):
        async with sessions() as session:
            return [(r.action, r.result) for r in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert _run(fresh_database_url, audit) == [("admin.partner.key_add", "ok"), ("admin.partner.key_revoke", "ok"),
                                               ("admin.partner.key_revoke", "failed")]
