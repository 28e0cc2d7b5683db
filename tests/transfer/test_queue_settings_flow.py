"""队列设置 (issue 14.5) through the console and the stand-in running the shipped dialplan: an admin assigns
a 专席 queue's agents with a penalty, shortens the pool's longest wait, changes a queue's strategy; the
desk, Asterisk's members, the rendered queues.conf and a waiting caller all follow."""
from __future__ import annotations

import re

import pytest

from agent_console.context import CONSOLE

from queues.queue_settings import QueueSettings, QueueSettingsError, parse_queue_settings
from queues.render import QUEUES_FILE, render
from queues.routing import LineInfo
from queues.models import MergeMode
from transfer_support import login, transfer_hotline



def _section(text: str, queue: str) -> str:
    return text.split(f"[{queue}]", 1)[1].split("\n[", 1)[0]


async def test_an_admins_queue_settings_reach_the_desk_asterisk_and_a_waiting_caller(tmp_path):
    async with transfer_hotline(tmp_path) as hotline:
        admin = await login(hotline.client, "admin")
        saved = await hotline.client.post("/admin/queues/line-12315", headers=admin, json={
            "strategy": "leastrecent", "ring_timeout": "20", "wrapuptime": "30", "max_wait": "",
            "members": ["agent02"], "penalties": ["agent02=3"]})
        assert saved.status == 200, await saved.text()
        pool = await hotline.client.post("/admin/queues/hotline-general", headers=admin, json={
            "strategy": "rrmemory", "ring_timeout": 15, "wrapuptime": 10, "max_wait": 60, "members": [],
            "penalties": []})
        assert pool.status == 200, await pool.text()
        page = await (await hotline.client.get("/admin/queues")).text()
        assert 'value="leastrecent" selected' in page and "agent02=3" in page
        preview = await (await hotline.client.get("/admin/lines/preview", headers=admin)).json()
        assert "+strategy = leastrecent" in preview["diff"]
        applied = await (await hotline.client.post("/admin/lines/apply", headers=admin)).json()
        assert applied["ok"], applied
        directory = hotline.app[CONSOLE].settings.asterisk_config_dir
        installed = (directory / QUEUES_FILE).read_text(encoding="utf-8")
        assert "timeout = 20" in _section(installed, "line-12315") and "wrapuptime = 30" in _section(installed, "line-12315")
        assert hotline.pbx.queues.queues["line-12315"].strategy == "leastrecent"  # reloaded by the switch
        await hotline.client.post("/logout", headers=admin)

        agent01 = await login(hotline.client, "agent01")
        desk = await (await hotline.client.get("/agent/state", headers=agent01)).json()
        assert "line-12315" not in [q["name"] for q in desk["state"]["queues"]]
        refused = await hotline.client.post("/agent/queues/line-12315/join", headers=agent01)
        assert refused.status == 403 and "未被分配" in (await refused.json())["error"]["message"]
        await hotline.client.post("/logout", headers=agent01)

        agent02 = await login(hotline.client, "agent02")
        hotline.add_phone("PJSIP/8102", "坐席02")
        joined = await hotline.client.post("/agent/queues/line-12315/join", headers=agent02)
        assert joined.status == 200, await joined.text()
        member = hotline.pbx.queues.queues["line-12315"].members["PJSIP/8102"]
        assert member.penalty == 3

        # nobody in the pool: the caller waits the pool's 60 s, not the dialplan's 1800 s, then the callback list
        out = hotline.call("13800138073", "赵敏", patience=None)
        done = await hotline_finished(out, 30)
        assert done.queuestatus == "TIMEOUT" and 55 <= (done.waited or 0) <= 90


async def hotline_finished(outcome, timeout: float):
    import asyncio

    async with asyncio.timeout(timeout):
        await outcome.done.wait()
    return outcome


def test_bad_queue_settings_are_refused_in_chinese():
    with pytest.raises(QueueSettingsError, match="振铃策略只能是"):
        parse_queue_settings({"strategy": "wrandom"})
    with pytest.raises(QueueSettingsError, match="振铃超时应为 5–120"):
        parse_queue_settings({"ring_timeout": 500, "wrapuptime": 10})
    with pytest.raises(QueueSettingsError, match="没有这个用户：ghost"):
        parse_queue_settings({"ring_timeout": 15, "wrapuptime": 10, "members": ["ghost"]}, {"agent01"})
    with pytest.raises(QueueSettingsError, match="用户名=数字"):
        parse_queue_settings({"ring_timeout": 15, "wrapuptime": 10, "penalties": ["agent01:2"]})
    ok = parse_queue_settings({"ring_timeout": "15", "wrapuptime": "0", "max_wait": "", "members": "agent01, agent02"})
    assert ok.members == ("agent01", "agent02") and ok.max_wait is None and ok.allows("agent02")


def test_rendered_queues_conf_carries_each_queues_settings_and_defaults_elsewhere():
    lines = [LineInfo("12315", "市场监管", MergeMode.PARALLEL, queue="line-12315")]
    files = render(lines, {}, agi_url=None, queue_settings={"line-12315": QueueSettings("fewestcalls", 25, 45)})
    dedicated, pool = _section(files[QUEUES_FILE], "line-12315"), _section(files[QUEUES_FILE], "hotline-general")
    assert re.search(r"^strategy = fewestcalls$", dedicated, re.M) and "timeout = 25" in dedicated
    assert "wrapuptime = 45" in dedicated
    assert "strategy = rrmemory" in pool and "wrapuptime = 10" in pool
