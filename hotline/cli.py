"""`hotline` command line: run the engine, the demo, the stand-in, migrations, config and users."""
from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path

from hotline.config import Config, ConfigError, load_config
from hotline.migrate import DatabaseUnavailable

EXIT_CONFIG = 2
EXIT_DATABASE = 3


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", "--config", type=Path, default=None,
                   help="TOML config file (default: $HOTLINE_CONFIG, else built-in defaults + HOTLINE_* env)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotline",
        description="12345 政务服务便民热线引擎 — IVR and contact-center engine beside Asterisk.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run the engine (FastAGI, AMI, console) against a real Asterisk",
                       description="Run the engine: FastAGI server, AMI connections and the agent console.")
    _config_arg(p)

    p = sub.add_parser("demo", help="engine + Asterisk stand-in + demo data on SQLite, ready to watch",
                       description="Start the Asterisk stand-in, the engine and simulated citizens and agents "
                                   "on an SQLite file; prints the console address and demo accounts.")
    p.add_argument("--data-dir", type=Path, default=Path("data/demo"), help="where the demo keeps its files")
    p.add_argument("--console-port", type=int, default=8080)
    p.add_argument("--ami-port", type=int, default=5038)
    p.add_argument("--agi-port", type=int, default=4573)
    p.add_argument("--rate", type=float, default=None,
                   help="simulated calls per second (default: about 80%% occupancy of the pool agents)")
    p.add_argument("--agents", type=int, default=4, help="simulated agents logged in (default 4)")
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds (default: run until Ctrl-C)")
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--loop-seconds", type=float, default=30.0,
                   help="mean seconds a simulated department or dispatcher takes per step (default 30)")
    p.add_argument("--survey-after", type=int, default=1,
                   help="minutes after a reply the survey call goes out (default 1; demo only)")

    p = sub.add_parser("simulate", help="the Asterisk stand-in: AMI + FastAGI client + simulated traffic",
                       description="Run the Asterisk stand-in for tests, demos and load tests (大话务量测试).")
    _add_simulate_options(p)

    p = sub.add_parser("db", help="database schema", description="Database schema management (Alembic).")
    dbsub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    q = dbsub.add_parser("upgrade", help="apply migrations up to the newest schema",
                         description="Apply Alembic migrations up to head (or --revision).")
    _config_arg(q)
    q.add_argument("--revision", default="head")
    q = dbsub.add_parser("current", help="print the schema revision of the database",
                         description="Print the database's current schema revision and the newest one.")
    _config_arg(q)

    p = sub.add_parser("config", help="configuration", description="Configuration tools.")
    csub = p.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    q = csub.add_parser("check", help="validate the configuration and print it with secrets hidden",
                        description="Load defaults < file < HOTLINE_* environment, validate, print the result.")
    _config_arg(q)

    p = sub.add_parser("lines", help="merged hotlines: list, import, render and apply to Asterisk",
                       description="Merged hotlines (整体并入 / 双号并行 / 设分中心) and the Asterisk include files "
                                   "rendered from them.")
    lsub = p.add_subparsers(dest="lines_command", required=True, metavar="ACTION")
    q = lsub.add_parser("list", help="print the configured lines", description="Print the configured lines.")
    _config_arg(q)
    q = lsub.add_parser("import", help="load lines from a CSV (number,name,department,example_mode,note)",
                        description="Insert or update lines from a CSV shaped like the shipped merged-hotlines.csv.")
    _config_arg(q)
    q.add_argument("csv", type=Path, nargs="?", default=None, help="default: the shipped national list")
    for action, text in (("render", "print the diff against the installed include files"),
                         ("apply", "write the include files and reload every Asterisk over AMI")):
        q = lsub.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".")
        _config_arg(q)
        q.add_argument("--dir", type=Path, required=True, help="Asterisk config directory, e.g. /etc/asterisk")

    p = sub.add_parser("prompts", help="IVR prompts: install placeholder audio for every catalogued sound",
                       description="Prompts of the IVR and the shipped dialplan.")
    psub = p.add_subparsers(dest="prompts_command", required=True, metavar="ACTION")
    q = psub.add_parser("install", help="write every catalogued prompt for every language where Asterisk looks",
                        description="Write <dir>/<lang>/<name>.wav (8 kHz placeholders from espeak-ng) for every "
                                    "prompt the IVR and the dialplan play; recorded prompts already there are kept "
                                    "unless --force.")
    q.add_argument("--dir", type=Path, required=True, help="Asterisk sounds directory, e.g. /var/lib/asterisk/sounds")
    q.add_argument("--lang", action="append", help="language(s): zh, en, yue; default all")
    q.add_argument("--catalogue", type=Path, help="an operator's prompt catalogue TOML (default: the shipped one)")
    q.add_argument("--force", action="store_true", help="overwrite existing files (recorded prompts!)")

    p = sub.add_parser("user", help="console accounts", description="Console accounts.")
    usub = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    q = usub.add_parser("add", help="create a console account",
                        description="Create an account with one or more roles (agent, supervisor, admin). "
                                    "The password is asked for, or read from stdin with --password-stdin.")
    _config_arg(q)
    q.add_argument("username")
    q.add_argument("--role", action="append", required=True, choices=["agent", "supervisor", "admin"],
                   help="repeat for several roles")
    q.add_argument("--name", default="", help="display name, e.g. 张敏")
    q.add_argument("--phone", default=None, help="the agent's phone as Asterisk dials it, e.g. PJSIP/8001")
    q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    from hotline.catalogue_cli import add_parsers as catalogue_parsers

    catalogue_parsers(sub, _config_arg)
    from hotline.partners_cli import add_parsers as partner_parsers

    partner_parsers(sub, _config_arg)
    return parser


def _add_simulate_options(p: argparse.ArgumentParser) -> None:
    from asterisk_standin.cli import build_parser as standin_options

    standin_options(p)


def _load(args) -> Config:
    path = args.config or (Path(os.environ["HOTLINE_CONFIG"]) if os.environ.get("HOTLINE_CONFIG") else None)
    return load_config(path, os.environ)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseUnavailable as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return EXIT_DATABASE
    except KeyboardInterrupt:
        return 130


def _dispatch(args) -> int:
    if args.command == "config":
        return _config_check(_load(args))
    if args.command == "db":
        return _db(args)
    if args.command == "user":
        return _user_add(args)
    if args.command == "prompts":
        from ivr.prompts.generate import main as install_prompts

        argv = ["--out", str(args.dir)] + [a for lang in args.lang or [] for a in ("--lang", lang)]
        argv += ["--catalogue", str(args.catalogue)] if args.catalogue else []
        return install_prompts(argv + (["--force"] if args.force else []))
    if args.command == "lines":
        from hotline.lines_cli import run_lines

        return asyncio.run(run_lines(args, _load(args)))
    if args.command in ("catalogue", "deadlines"):
        from hotline import catalogue_cli

        runner = catalogue_cli.run_catalogue if args.command == "catalogue" else catalogue_cli.run_deadlines
        return asyncio.run(runner(args, _load(args)))
    if args.command == "partners":
        from hotline.partners_cli import run_partners

        return asyncio.run(run_partners(args, _load(args)))
    if args.command == "run":
        from hotline.engine import run_engine

        return asyncio.run(run_engine(_load(args)))
    if args.command == "demo":
        from hotline.demo import run_demo

        return asyncio.run(run_demo(args, os.environ))
    if args.command == "simulate":
        from asterisk_standin.cli import run as run_standin

        return asyncio.run(run_standin(args)) or 0
    raise AssertionError(args.command)


def _config_check(config: Config) -> int:
    shown = config.model_dump(mode="json")
    for server in shown["ami"]["servers"]:
        if server.get("secret"):
            server["secret"] = "********"
    if shown["console"].get("session_key"):
        shown["console"]["session_key"] = "********"
    if shown["database"].get("password"):
        shown["database"]["password"] = "********"
    from hotline.migrate import safe_url

    print(f"configuration OK (mode {config.engine.mode}); database {safe_url(config.database_url)}")
    import json

    print(json.dumps(shown, ensure_ascii=False, indent=2))
    return 0


def _db(args) -> int:
    from hotline import migrate

    config = _load(args)
    url = config.database_url
    if url.startswith("sqlite"):
        config.engine.data_dir.mkdir(parents=True, exist_ok=True)
    current = asyncio.run(migrate.check_database(url))
    if args.db_command == "current":
        print(f"database revision: {current or '(empty)'}; newest: {migrate.head_revision()}")
        return 0
    migrate.upgrade(url, args.revision)
    print(f"database {migrate.safe_url(url)} upgraded to {args.revision} (was {current or 'empty'})")
    return 0


def _user_add(args) -> int:
    from agent_console.accounts.policy import PasswordPolicy
    from agent_console.accounts.service import AccountError, AccountService
    from hotline import migrate
    from hotline.db import make_engine, make_sessionmaker

    config = _load(args)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("密码 Password: ")

    async def add() -> None:
        await migrate.require_head(config.database_url)
        engine = make_engine(config.database_url)
        try:
            # the configured policy ([console.password_policy]); an admin's later edit lives in the database
            policy = PasswordPolicy(**config.console.password_policy.model_dump())
            await AccountService(make_sessionmaker(engine), policy=policy).add_user(
                args.username, password, args.role, args.name, phone_interface=args.phone)
        finally:
            await engine.dispose()

    try:
        asyncio.run(add())
    except (AccountError, ValueError) as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"user {args.username} created with roles {', '.join(sorted(set(args.role)))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
