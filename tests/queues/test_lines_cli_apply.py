"""`hotline lines import/render/apply` against the stand-in: the include files are written and
Asterisk is reloaded over AMI (calls reaching a newly added line's queue through the engine are
covered by the admin browser test)."""
from __future__ import annotations

import asyncio
import os
import sys

from asterisk_standin.standin import Standin
from hotline.demo import ASTERISK_CONFIG, DEMO_AMI_SECRET, write_manager_conf


async def _hotline(*args: str, env: dict) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "hotline", *args, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    return proc.returncode, out.decode()


async def test_lines_cli_renders_writes_and_reloads_the_switch(tmp_path):
    asterisk = tmp_path / "asterisk"
    asterisk.mkdir()
    for conf in ASTERISK_CONFIG.glob("*.conf"):
        (asterisk / conf.name).write_text(conf.read_text(encoding="utf-8"), encoding="utf-8")
    write_manager_conf(asterisk, DEMO_AMI_SECRET)
    (asterisk / "hotline-lines.conf").write_text("[hotline-lines]\n[emergency-linkage]\n", encoding="utf-8")
    (asterisk / "hotline-queues.conf").write_text("", encoding="utf-8")
    standin = Standin(asterisk, time_scale=0.05, ami_port=0, auth_fail_delay=0.05)
    port = await standin.start()
    env = {**os.environ, "HOTLINE_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'h.db'}",
           "HOTLINE_AMI__PORT": str(port), "HOTLINE_AMI__SECRET": DEMO_AMI_SECRET}
    try:
        assert (await _hotline("db", "upgrade", env=env))[0] == 0
        code, out = await _hotline("lines", "import", env=env)
        assert code == 0 and "imported 14 lines" in out
        code, out = await _hotline("lines", "render", "--dir", str(asterisk), env=env)
        assert code == 0 and "+[line-12315]" in out and "+exten => 12315,1,Set(__HOTLINE_LINE=12315)" in out

        code, out = await _hotline("lines", "apply", "--dir", str(asterisk), env=env)
        assert code == 0 and "reloaded" in out, out
        assert "[line-12315]" in (asterisk / "hotline-queues.conf").read_text(encoding="utf-8")
        assert "line-12315" in standin.pbx.queues.queues  # the switch re-read its queues
        assert standin.pbx.has_extension("hotline-lines", "12315")  # and its dialplan
        code, out = await _hotline("lines", "render", "--dir", str(asterisk), env=env)
        assert code == 0 and "(no changes)" in out
    finally:
        await standin.stop()


async def test_lines_apply_with_a_refused_ami_login_writes_the_files_and_says_in_chinese_what_to_fix(tmp_path):
    """On Asterisk 22 a wrong secret gets `Authentication failed` and a closed socket (trace 01): the
    administrator must get the files, a Chinese cause and fix, exit code 4, and no traceback."""
    asterisk = tmp_path / "asterisk"
    asterisk.mkdir()
    for conf in ASTERISK_CONFIG.glob("*.conf"):
        (asterisk / conf.name).write_text(conf.read_text(encoding="utf-8"), encoding="utf-8")
    write_manager_conf(asterisk, DEMO_AMI_SECRET)
    standin = Standin(asterisk, time_scale=0.05, ami_port=0, auth_fail_delay=0.05)
    port = await standin.start()
    env = {**os.environ, "HOTLINE_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'h.db'}",
           "HOTLINE_AMI__PORT": str(port), "HOTLINE_AMI__SECRET": "not-the-secret-in-manager-conf"}
    try:
        assert (await _hotline("db", "upgrade", env=env))[0] == 0
        assert (await _hotline("lines", "import", env=env))[0] == 0
        code, out = await _hotline("lines", "apply", "--dir", str(asterisk), env=env)
    finally:
        await standin.stop()
    assert code == 4, out
    assert "Traceback" not in out
    assert "AMI 登录被拒绝" in out and "manager.conf" in out and "重新运行 hotline lines apply" in out
    assert "[line-12315]" in (asterisk / "hotline-queues.conf").read_text(encoding="utf-8")
    assert "exten => 12315,1" in (asterisk / "hotline-lines.conf").read_text(encoding="utf-8")
    assert "line-12315" not in standin.pbx.queues.queues  # nothing was reloaded
