"""`hotline catalogue ...` and `hotline deadlines ...`: the 派单目录 and the 限时 rules from the command line.

Every change is written to the console's audit log as `cli:<os user>`, like an admin's edit in the console.
Exit 1 when a catalogue file has bad rows (each printed, nothing applied) or a rule is refused.
"""
from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime

from hotline import migrate
from hotline.config import Config
from hotline.db import make_engine, make_sessionmaker

UNITS = {"minutes": "分钟", "working_days": "个工作日"}


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except Exception:  # noqa: BLE001 - no login name in a container
        return "cli"


async def _audit(sessions, action: str, target: str, result: str = "ok") -> None:
    from agent_console.audit.service import Actor, AuditLog

    await AuditLog(sessions, lambda: datetime.now(UTC)).record(Actor(None, _who(), "local"), action, target, result)


async def run_catalogue(args, config: Config) -> int:
    from tickets.catalogue import Catalogue, CatalogueError, CatalogueImportError, shown

    await migrate.require_head(config.database_url)
    engine = make_engine(config.database_url)
    try:
        sessions = make_sessionmaker(engine)
        catalogue = Catalogue(sessions, lambda: datetime.now(UTC))
        if args.catalogue_command == "list":
            for r in await catalogue.rules():
                print(f"{r.id}\t{shown(r.category)}\t{r.district or '*'}\t{r.lead}\t{';'.join(r.co)}\t"
                      f"{r.classifier_label or ''}")
            return 0
        try:
            text = args.file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"hotline: 无法读取 {args.file}：{exc}", file=sys.stderr)
            return 1
        try:
            result = await catalogue.import_csv(text, _who())
        except CatalogueImportError as exc:
            for line in exc.lines():
                print(line, file=sys.stderr)
            print(f"导入失败：{len(exc.errors)} 行有错误，未导入任何规则", file=sys.stderr)
            await _audit(sessions, "admin.catalogue.import", f"{args.file.name} {len(exc.errors)} bad rows", "failed")
            return 1
        except CatalogueError as exc:
            print(f"hotline: {exc.message}", file=sys.stderr)
            await _audit(sessions, "admin.catalogue.import", args.file.name, "failed")
            return 1
        await _audit(sessions, "admin.catalogue.import",
                     f"{args.file.name} added {result['added']} changed {result['changed']}")
        print(f"导入成功：新增 {result['added']} 条，更新 {result['changed']} 条")
        return 0
    finally:
        await engine.dispose()


async def run_deadlines(args, config: Config) -> int:
    from tickets.deadline_admin import delete_limit, list_limits, save_limit
    from tickets.deadlines import Limit, seed_default_rules
    from tickets.errors import TicketError

    await migrate.require_head(config.database_url)
    engine = make_engine(config.database_url)
    try:
        sessions = make_sessionmaker(engine)
        await seed_default_rules(sessions)  # what the engine seeds on start: the rules in force before any edit
        if args.deadlines_command == "list":
            for x in sorted(await list_limits(sessions), key=lambda x: (x.kind, x.request_type, x.urgency)):
                print(f"{x.kind}\t{x.request_type}\t{x.urgency}\t{x.amount} {UNITS[x.unit]}")
            return 0
        target = f"{args.kind} {args.type}/{args.urgency}"
        try:
            if args.deadlines_command == "delete":
                before = await delete_limit(sessions, args.kind, args.type, args.urgency)
                if before is None:
                    raise TicketError("没有这条时限规则")
                await _audit(sessions, "admin.deadline.delete", f"{target} {before.amount} {before.unit}")
                print(f"已删除 {target}（对新工单生效）")
                return 0
            limit = Limit(args.kind, args.type, args.urgency, args.amount, args.unit)
            before = await save_limit(sessions, limit)
        except TicketError as exc:
            await _audit(sessions, f"admin.deadline.{args.deadlines_command}", target, "failed")
            print(f"hotline: {exc}", file=sys.stderr)
            return 1
        was = f"{before.amount} {before.unit}" if before else "（无）"
        await _audit(sessions, "admin.deadline.save", f"{target} {was} -> {limit.amount} {limit.unit}")
        print(f"已保存 {target} = {limit.amount} {UNITS[limit.unit]}（原 {was}；对新工单生效，已有工单保留原时限）")
        return 0
    finally:
        await engine.dispose()


def add_parsers(sub, config_arg) -> None:
    from pathlib import Path

    from tickets.codes import RequestType, Urgency
    from tickets.deadlines import KINDS, UNITS as UNIT_CODES

    p = sub.add_parser("catalogue", help="派单目录: list or import the dispatch catalogue (category -> departments)",
                       description="The dispatch catalogue (派单目录/职责清单).")
    csub = p.add_subparsers(dest="catalogue_command", required=True, metavar="ACTION")
    q = csub.add_parser("list", help="print the catalogue rules", description="Print the catalogue rules.")
    config_arg(q)
    q = csub.add_parser("import", help="load rules from a CSV (category,district,lead,co,classifier)",
                        description="Check every row of the CSV; any bad row is printed with its number and "
                                    "nothing is applied. Rules with the same category and district are updated.")
    config_arg(q)
    q.add_argument("file", type=Path)

    p = sub.add_parser("deadlines", help="限时 rules: list, set or delete acceptance/completion limits",
                       description="Deadline rules; changes apply to new tickets, existing ones keep theirs.")
    dsub = p.add_subparsers(dest="deadlines_command", required=True, metavar="ACTION")
    q = dsub.add_parser("list", help="print the rules", description="Print the deadline rules.")
    config_arg(q)
    types = ["*", *[t.value for t in RequestType]]
    urgencies = ["*", *[u.value for u in Urgency]]
    for action in ("set", "delete"):
        q = dsub.add_parser(action, help=f"{action} one rule", description=f"{action.title()} one deadline rule.")
        config_arg(q)
        q.add_argument("kind", choices=KINDS)
        q.add_argument("--type", default="*", choices=types, help="request type (default *)")
        q.add_argument("--urgency", default="*", choices=urgencies, help="urgency (default *)")
        if action == "set":
            q.add_argument("amount", type=int)
            q.add_argument("unit", choices=UNIT_CODES)
