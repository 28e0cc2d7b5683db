"""`hotline partners add|list|revoke|deliveries`: partner API keys from the command line (issue 16.3).

A new key is printed once (only its SHA-256 is kept); every change is audited as `cli:<os user>`,
like the catalogue commands.
"""
from __future__ import annotations

import sys
from datetime import UTC, datetime

from hotline import migrate
from hotline.catalogue_cli import _audit
from hotline.config import Config
from hotline.db import make_engine, make_sessionmaker


def add_parsers(sub, config_arg) -> None:
    from channels.partner.keys import SCOPES

    p = sub.add_parser("partners", help="partner API: add a key, list keys, revoke a key, show webhook deliveries",
                       description="Partner API keys (Authorization: Bearer) and their scopes.")
    psub = p.add_subparsers(dest="partners_command", required=True, metavar="ACTION")
    q = psub.add_parser("add", help="create a key for a partner (the partner is created when new)",
                        description="Create an API key; it is printed once and kept only hashed.")
    config_arg(q)
    q.add_argument("code", help="partner code, e.g. province or district-heping")
    q.add_argument("--name", default="", help="display name, e.g. 省12345平台")
    q.add_argument("--scope", action="append", required=True, choices=SCOPES, help="repeat for several scopes")
    q = psub.add_parser("list", help="print partners and their keys (prefix, scopes, revoked, last used)",
                        description="Print partners and keys.")
    config_arg(q)
    q = psub.add_parser("revoke", help="revoke a key by its prefix", description="Revoke a key by its prefix.")
    config_arg(q)
    q.add_argument("prefix")
    q = psub.add_parser("deliveries", help="the last webhook deliveries (pending, delivered, failed)",
                        description="The last webhook deliveries.")
    config_arg(q)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


async def run_partners(args, config: Config) -> int:
    from channels.partner.directory import PartnerDirectory, PartnerError
    from channels.partner.webhooks import WebhookSender

    await migrate.require_head(config.database_url)
    engine = make_engine(config.database_url)
    try:
        sessions = make_sessionmaker(engine)
        clock = lambda: datetime.now(UTC)  # noqa: E731
        directory = PartnerDirectory(sessions, clock)
        if args.partners_command == "add":
            try:
                key = await directory.add_key(args.code, args.name, " ".join(args.scope))
            except PartnerError as exc:
                print(f"hotline: {exc}", file=sys.stderr)
                return 1
            prefix = key.split("_")[1]
            await _audit(sessions, "admin.partner.key_add", f"{args.code} {prefix} {' '.join(sorted(args.scope))}")
            print(key)
            print(f"已为 {args.code} 创建密钥（前缀 {prefix}）。密钥只显示这一次，请妥善交给合作方。", file=sys.stderr)
            return 0
        if args.partners_command == "revoke":
            done = await directory.revoke(args.prefix)
            await _audit(sessions, "admin.partner.key_revoke", args.prefix, "ok" if done else "failed")
            if not done:
                print(f"hotline: 没有可吊销的密钥 {args.prefix}", file=sys.stderr)
                return 1
            print(f"已吊销 {args.prefix}")
            return 0
        if args.partners_command == "list":
            for k in await directory.keys():
                state = f"revoked {_when(k.revoked_at)}" if k.revoked_at else "active"
                print(f"{k.partner}\t{k.name}\t{k.prefix}\t{k.scopes}\t{state}\tlast used {_when(k.last_used_at)}\t"
                      f"webhook {k.webhook_url or '-'}")
            return 0
        for d in await WebhookSender(sessions, clock).deliveries():
            print(f"{d.id}\t{d.ticket_number}.{d.event_seq}\t{d.status}\tattempts {d.attempts}\t"
                  f"next {_when(d.next_attempt_at)}\t{d.last_error or ''}")
        return 0
    finally:
        await engine.dispose()
