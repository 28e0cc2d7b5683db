"""The `hotline` command: subcommands, config check, migrations, users, unusable databases."""
from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys

import pytest

from hotline.cli import main

SUBCOMMANDS = ("run", "demo", "simulate", "db", "config", "user")


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert f"\n    {name} " in out


@pytest.mark.parametrize("argv", [["run"], ["demo"], ["simulate"], ["db", "upgrade"], ["config", "check"],
                                  ["user", "add"]])
def test_each_subcommand_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    assert "usage: hotline" in capsys.readouterr().out


def test_config_check_reports_bad_value_and_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("HOTLINE_AGI__PORT", "many")
    assert main(["config", "check"]) == 2
    err = capsys.readouterr().err
    assert "agi.port = 'many'" in err and "integer" in err


def test_config_check_hides_secrets(monkeypatch, capsys):
    monkeypatch.setenv("HOTLINE_AMI__SECRET", "very-secret-value")
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "very-secret-value" not in out and "********" in out


def _env(monkeypatch, url):
    monkeypatch.setenv("HOTLINE_DATABASE__URL", url)


def test_db_upgrade_then_user_add_then_login_on_both_databases(fresh_database_url, monkeypatch, capsys):
    _env(monkeypatch, fresh_database_url)
    assert main(["db", "upgrade"]) == 0
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("a-good-password\n"))
    assert main(["user", "add", "lihua", "--role", "agent", "--name", "李华", "--password-stdin"]) == 0
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("a-good-password\n"))
    assert main(["user", "add", "lihua", "--role", "agent", "--password-stdin"]) == 2
    assert "already exists" in capsys.readouterr().err

    from agent_console.accounts.service import AccountService
    from hotline.db import make_engine, make_sessionmaker

    async def login():
        engine = make_engine(fresh_database_url)
        try:
            service = AccountService(make_sessionmaker(engine))
            good = await service.authenticate("lihua", "a-good-password")
            bad = await service.authenticate("lihua", "wrong-password")
            return good, bad
        finally:
            await engine.dispose()

    good, bad = asyncio.run(login())
    assert good is not None and good.display_name == "李华" and good.role_set == {"agent"}
    assert good.password_hash.startswith("$argon2id$")
    assert bad is None


def test_user_add_refuses_weak_password(tmp_path, monkeypatch, capsys):
    _env(monkeypatch, f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    assert main(["db", "upgrade"]) == 0
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("short\n"))
    assert main(["user", "add", "wang", "--role", "admin", "--password-stdin"]) == 2
    assert "至少" in capsys.readouterr().err


def test_user_add_before_upgrade_says_to_upgrade(tmp_path, monkeypatch, capsys):
    _env(monkeypatch, f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("a-good-password\n"))
    assert main(["user", "add", "wang", "--role", "admin", "--password-stdin"]) == 3
    assert "hotline db upgrade" in capsys.readouterr().err


def test_unreachable_database_gives_clear_message_and_exit_3(monkeypatch, capsys):
    _env(monkeypatch, "postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert main(["db", "upgrade"]) == 3
    err = capsys.readouterr().err
    assert "127.0.0.1:1" in err and "unavailable" in err


def test_locked_sqlite_database_gives_clear_message_and_exit_3(tmp_path, monkeypatch, capsys):
    path = tmp_path / "h.db"
    _env(monkeypatch, f"sqlite+aiosqlite:///{path}")
    assert main(["db", "upgrade"]) == 0
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        from hotline import migrate

        with pytest.raises(migrate.DatabaseUnavailable, match="locked"):
            asyncio.run(migrate.check_database(f"sqlite+aiosqlite:///{path}", timeout=0.5))
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "hotline", "--help"], capture_output=True, text=True, check=True)
    assert "12345" in out.stdout
