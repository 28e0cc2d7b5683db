"""Issue 10, Done when: the wallboard's figures equal a computation from queue_log, in a whole
flow. Simulated citizens call 12345 and 12315 (双号并行: its dedicated queue, overflowing to the
pool after 60 s) through the stand-in (its own process) into the engine (its own process); the
agents sit in both queues. A supervisor signs in to the console and reads the wallboard the way
its page does, as the JSON it polls and as the first message of its websocket. Its 今日 and 24 小时
figures per queue and for the whole center equal what this test counts in the stand-in's
queue_log file."""
from __future__ import annotations

import json

import aiohttp
import pytest

from hotline.testing_processes import Traffic, process_hotline
from tests.faults.asterisk_count import waits
from tests.faults.checks import (SUPERVISOR, console_login, expected_figures, wait_until_reconciled,
                                 wallboard_equals_queue_log)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

FIGURES = ("offered", "answered", "abandoned", "timeout", "overflowed", "answered_15s", "average_wait",
           "longest_wait")


def _expected(asterisk) -> dict[str, dict]:
    counts = expected_figures(asterisk)
    outcomes = [c.outcome for c in asterisk.values()]       # the center counts calls, not visits
    center = {"offered": len(outcomes), **{k: outcomes.count(k) for k in ("answered", "abandoned", "timeout")}}
    out = {queue: {**counts[queue], **waits(asterisk)[queue]} for queue in counts}
    return out, center


def _shown(rows: list[dict], period: str) -> tuple[dict, dict]:
    queues = {r["queue"]: {k: r[period][k] or 0 if k not in ("average_wait", "longest_wait") else r[period][k]
                           for k in FIGURES} for r in rows if r["queue"]}
    center = next(r[period] for r in rows if r["queue"] == "")
    return queues, {k: center[k] for k in ("offered", "answered", "abandoned", "timeout")}


async def _overflow_after(database_url: str, number: str, seconds: int) -> None:
    """An administrator's setting of the 双号并行 line (its dedicated seats' wait before the pool)."""
    from sqlalchemy import text

    from hotline.db import make_engine

    db = make_engine(database_url)
    try:
        async with db.begin() as conn:
            await conn.execute(text("UPDATE hotline_line SET overflow_after = :s WHERE number = :n"),
                               {"s": seconds, "n": number})
    finally:
        await db.dispose()


async def test_given_traffic_through_the_standin_then_the_wallboard_shows_the_figures_counted_from_queue_log(
        tmp_path, fault_database_url):
    # a short dedicated wait and a longer day: overflow and answer on the dedicated seats both happen even
    # when a loaded host shifts every call's timing (a 15 s wait over 400 s once saw no overflow)
    await _overflow_after(fault_database_url, "12315", 5)
    traffic = Traffic(time_scale=0.05, duration=500, dialed="12345,12315", queue="hotline-general,line-12315")
    async with process_hotline(tmp_path, fault_database_url, traffic=traffic, seeded=True) as lab:
        await lab.traffic_done()
        asterisk, diff, _ = await wait_until_reconciled(lab)
        assert not diff, diff
        got, want = await wallboard_equals_queue_log(lab)      # the stored figures refreshed
        assert got == want
        queues, center = _expected(asterisk)
        assert center["answered"] and center["abandoned"]
        assert queues["line-12315"]["overflowed"] and queues["line-12315"]["answered"]   # both paths seen

        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await console_login(http, lab.console_url, *SUPERVISOR)
            state = await (await http.get(f"{lab.console_url}/wallboard/state")).json()
            async with http.ws_connect(f"{lab.console_url.replace('http', 'ws')}/wallboard/live",
                                       headers={"Origin": lab.console_url}) as ws:
                first = json.loads((await ws.receive(timeout=10)).data)
            page = await http.get(f"{lab.console_url}/wallboard")
            assert page.status == 200 and 'data-testid="stored-table"' in await page.text()

        for board in (state["board"], first):               # what the page polls, what its socket pushes
            assert [r["queue"] for r in board["stored"]].count("") == 1      # 全中心 once (it was shown twice)
            for period in ("today", "day"):
                shown_queues, shown_center = _shown(board["stored"], period)
                assert shown_queues == queues, period
                assert shown_center == center, period
