"""Whole flow (issue 10.4): an agent signs in, pauses with a reason, answers a citizen and takes
话后处理 on the stand-in, which writes queue_log as Asterisk 22 does; the wallboard's per-agent
figures equal a count from that queue_log, and after the engine is killed and started again
they are the same."""
from __future__ import annotations

import asyncio
import uuid

from asterisk_standin.people import Citizen
from agent_console.context import CONSOLE
from hotline.testing import running_hotline

QUEUE_LOG = {"queue_log": {"interval_seconds": 0.2, "settle_seconds": 1}}


async def _until(predicate, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.1)


def _counted(lines: list[str], agent: str) -> dict:
    """The figures counted by hand from queue_log lines (epoch|callid|queue|agent|event|data...)."""
    rows = [line.split("|") for line in lines]
    mine = [r for r in rows if r[3] == agent]
    talk = sum(int(r[6]) for r in mine if r[4] in ("COMPLETECALLER", "COMPLETEAGENT"))
    paused = [r for r in mine if r[4] == "PAUSEALL"]
    return {"answered": sum(1 for r in mine if r[4] == "CONNECT"), "talk_seconds": talk,
            "ring_no_answer": sum(1 for r in mine if r[4] == "RINGNOANSWER"),
            "reasons": [r[5] for r in paused]}


async def test_given_an_agent_day_on_the_standin_when_the_engine_restarts_then_its_figures_are_asterisks_and_unchanged(
        tmp_path, database_url):
    async with running_hotline(tmp_path, queue_log=True, database_url=database_url, config=QUEUE_LOG) as hotline:
        pbx = hotline.pbx
        name = f"坐席{uuid.uuid4().hex[:6]}"    # the PostgreSQL database is shared by the session's tests
        hotline.add_agent("PJSIP/8001", name, queue="hotline-general", talk_time=20.0, ring_time=1.0)
        pbx.queues.pause_member(None, "PJSIP/8001", True, "培训")
        await asyncio.sleep(0.5)                                   # ~10 s on the stand-in's clock
        pbx.queues.pause_member(None, "PJSIP/8001", False, "")
        out = hotline.call(Citizen("13900000001", "市民", dialed="12345", context="from-trunk"))
        await hotline.finished(out, timeout=30)
        assert out.answered_by
        pbx.queues.pause_member(None, "PJSIP/8001", True, "话后处理")
        await asyncio.sleep(0.3)
        pbx.queues.pause_member(None, "PJSIP/8001", False, "")
        expected = _counted(pbx.queue_log, name)
        assert expected["answered"] == 1 and expected["reasons"] == ["培训", "话后处理"]

        async def figures():
            board = hotline.app[CONSOLE].wallboard
            await board.refresh()
            return {row["name"]: row for row in board.view()["agent_figures"]}

        async def caught_up() -> bool:
            today = (await figures()).get(name, {}).get("today", {})
            return (today.get("answered") == 1 and today.get("pause_count") == 2 and today.get("talk_seconds")
                    and all(p["end_at"] for p in today["pauses"]))      # the last UNPAUSE read too

        await _until(caught_up)
        today = (await figures())[name]["today"]
        assert (today["answered"], today["talk_seconds"], today["ring_no_answer"]) == (
            expected["answered"], expected["talk_seconds"], expected["ring_no_answer"])
        assert [p["reason"] for p in today["pauses"]] == ["培训", "话后处理"]
        assert today["pauses"][0]["seconds"] >= 5 and today["wrap_up_seconds"] == today["pauses"][1]["seconds"]
        assert today["average_handling"] == round(today["talk_seconds"] + today["wrap_up_seconds"], 1)
        assert today["logged_in"] and today["first_login_at"]
        desk_figures = hotline.app[CONSOLE].wallboard.agent_figures(name)
        assert desk_figures["today"] == today

        await hotline.kill_engine()
        await hotline.start_engine()
        after = await figures()                                   # a new engine: nothing in memory
        assert after[name]["today"]["answered"] == today["answered"]
        assert {k: v for k, v in after[name]["today"].items() if k not in ("pauses", "pause_seconds")} == \
            {k: v for k, v in today.items() if k not in ("pauses", "pause_seconds")}
        assert [p["reason"] for p in after[name]["today"]["pauses"]] == ["培训", "话后处理"]
