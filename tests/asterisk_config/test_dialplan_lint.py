"""The shipped dialplan plus the rendered includes pass asterisklint, as a PBX admin would check them."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from hotline.config import load_config
from queues.lines import SEED_CSV
from queues.models import MergeMode
from queues.render import render, write_atomically
from queues.routing import LineInfo

CONFIG_DIR = Path(__file__).parents[2] / "asterisk-config"


def _lint(directory: Path, command: str = "dialplan-check") -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("asterisklint")
    return subprocess.run([str(exe), command, "extensions.conf"], cwd=directory, capture_output=True, text=True,
                          timeout=60)


def _install(tmp_path: Path, lines: list[LineInfo]) -> Path:
    for conf in CONFIG_DIR.glob("*.conf"):
        shutil.copy(conf, tmp_path)
    config = load_config(None, {})
    write_atomically(tmp_path, render(lines, config.emergency.targets()))
    return tmp_path


def _demo_lines() -> list[LineInfo]:
    import csv

    with SEED_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        mode = MergeMode.from_label(row["example_mode"])
        queue = f"line-{row['number']}" if mode is MergeMode.PARALLEL else None
        out.append(LineInfo(row["number"], row["name"], mode, queue=queue))
    return out


def test_shipped_dialplan_with_rendered_lines_has_no_lint_findings(tmp_path):
    result = _lint(_install(tmp_path, _demo_lines()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "" and "W_" not in result.stderr and "E_" not in result.stderr


def test_lint_catches_a_broken_dialplan(tmp_path):
    directory = _install(tmp_path, _demo_lines())
    path = directory / "extensions.conf"
    path.write_text(path.read_text(encoding="utf-8") + "\n[broken]\nexten => s,1,NoOp(unbalanced\n",
                    encoding="utf-8")
    result = _lint(directory)
    assert "W_APP_BALANCE" in result.stdout + result.stderr


def test_the_dialplan_needs_only_stock_asterisk_modules(tmp_path):
    result = _lint(_install(tmp_path, _demo_lines()), "modules-show")
    for module in ("app_dial", "app_queue", "res_agi"):
        assert module in result.stdout


def test_fresh_install_before_the_first_apply_still_loads_every_shipped_context_and_queue_settings(tmp_path):
    """Issue 9.4: on a fresh Asterisk the rendered files do not exist yet; a plain #include of a
    missing file stops the whole file loading (no hotline context, app_queue declines to load)."""
    from asterisk_standin.config_files import read_config, section_map

    shipped = Path(__file__).resolve().parents[2] / "asterisk-config"
    for name in ("extensions.conf", "queues.conf"):
        shutil.copy(shipped / name, tmp_path / name)
    contexts = section_map(read_config(tmp_path / "extensions.conf"))
    assert {"from-trunk", "hotline-in", "hotline-route", "hotline-unknown-number"} <= set(contexts)
    assert "general" in section_map(read_config(tmp_path / "queues.conf"))


def test_the_engines_agi_address_comes_from_its_config_through_the_rendered_include(tmp_path):
    """Issue 9.4: no hard-coded agi://127.0.0.1:4573 once `hotline lines apply` ran: the rendered
    file continues [globals] and sets HOTLINE_AGI from the engine's [agi] configuration."""
    import shutil

    from asterisk_standin.lab_config import LabConfig

    shipped = Path(__file__).resolve().parents[2] / "asterisk-config"
    shutil.copy(shipped / "extensions.conf", tmp_path / "extensions.conf")
    shutil.copy(shipped / "queues.conf", tmp_path / "queues.conf")
    cfg = load_config(None, {}, {"agi": {"host": "0.0.0.0", "port": 14573}})
    assert cfg.agi.url() == "agi://127.0.0.1:14573"
    assert load_config(None, {}, {"agi": {"advertise_url": "agi://10.1.2.3:4573"}}).agi.url() == "agi://10.1.2.3:4573"
    write_atomically(tmp_path, render([LineInfo("12345", "政务服务便民热线", MergeMode.HUB)], agi_url=cfg.agi.url()))
    assert LabConfig.load(tmp_path).globals["HOTLINE_AGI"] == "agi://127.0.0.1:14573"
    (tmp_path / "hotline-lines.conf").unlink()
    assert LabConfig.load(tmp_path).globals["HOTLINE_AGI"] == "agi://127.0.0.1:4573"   # before the first apply


def test_a_hostile_agi_address_is_refused_by_the_config_and_by_the_renderer():
    import pytest

    from hotline.config import ConfigError

    for bad in ("agi://127.0.0.1:4573\n[evil]", "agi://h;x", "http://127.0.0.1:4573"):
        with pytest.raises(ConfigError):
            load_config(None, {}, {"agi": {"advertise_url": bad}})
        with pytest.raises(ValueError):
            render([LineInfo("12345", "政务服务便民热线", MergeMode.HUB)], agi_url=bad)
