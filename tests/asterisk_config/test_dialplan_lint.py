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


def _readme_section(title: str) -> str:
    text = (CONFIG_DIR / "README.md").read_text(encoding="utf-8")
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_the_readme_names_every_module_the_dialplan_and_a_real_asterisk_needed(tmp_path):
    """asterisklint's list plus what a real Asterisk 22.10.1 showed was missing otherwise: func_channel
    (CHANNEL(language) over AGI), res_musiconhold (hold music), res_timing_timerfd (bridge_softmix and
    music on hold open a timer), bridge_softmix (ConfBridge)."""
    needed = {line.split()[-1] for line in _lint(_install(tmp_path, _demo_lines()), "modules-show").stdout.splitlines()
              if line.startswith("load => ")}
    needed = {name.removesuffix(".so") for name in needed}
    assert {"app_dial", "app_queue", "res_agi"} <= needed
    modules = _readme_section("Modules")
    missing = sorted(m for m in needed | {"func_channel", "res_musiconhold", "res_timing_timerfd", "bridge_softmix"}
                     if m not in modules)
    assert missing == []


def test_every_shipped_file_is_in_the_readme_table_and_the_queues_hold_music_class_is_shipped():
    """A fresh Asterisk has no music-on-hold class unless one is configured (res_musiconhold then
    disables itself): the class the rendered queues name must come with the shipped files."""
    from asterisk_standin.config_files import read_config, section_map

    table = (CONFIG_DIR / "README.md").read_text(encoding="utf-8").split("## First install", 1)[0]
    shipped = sorted(p.name for p in CONFIG_DIR.glob("*.conf*"))
    assert [name for name in shipped if f"`{name}`" not in table] == []
    rendered = render([LineInfo("12345", "政务服务便民热线", MergeMode.HUB)], load_config(None, {}).emergency.targets())
    classes = {line.split("=", 1)[1].strip() for text in rendered.values() for line in text.splitlines()
               if line.replace(" ", "").startswith("musicclass=")}
    assert classes == {"default"}
    moh = section_map(read_config(CONFIG_DIR / "musiconhold.conf"))
    assert set(moh) >= classes


def test_a_real_asterisk_applies_the_shipped_eventfilters_exactly():
    """Trace 20 (real Asterisk 22.10.1, AMI user `hotline` from manager.conf.sample): only the named events
    arrive and VarSet only for the contract's variables, so the advanced filter syntax is what Asterisk reads."""
    import re

    from hotline.ami.protocol import AmiReader

    sample = (CONFIG_DIR / "manager.conf.sample").read_text(encoding="utf-8")
    names = set(re.findall(r"^eventfilter\(action\(include\),name\((\w+)\)", sample, re.M))
    (pattern,) = re.findall(r"^eventfilter\(action\(include\),name\(VarSet\).*?= (.+)$", sample, re.M)
    raw = CONFIG_DIR.parent / "tests" / "fixtures" / "traces" / "raw"
    messages = AmiReader().feed((raw / "20-ami-agi-queue-call-hotline-user.ami1.from_asterisk.bin").read_bytes())
    events = [m for m in messages if m.get("Event")]
    seen = {m.get("Event") for m in events}
    assert {"QueueCallerJoin", "AgentConnect", "AgentComplete", "DialEnd", "Hangup", "VarSet"} <= seen
    assert seen <= names
    variables = {m.get("Variable") for m in events if m.get("Event") == "VarSet"}
    assert {"AGISTATUS", "HOTLINE_ACTION", "__HOTLINE_LINE"} <= variables
    assert all(re.search(pattern, v) for v in variables)
