"""Nothing lost: the engine's call log, its callback worklist (漏接回拨) and the wallboard's
figures against what the stand-in's queue_log says Asterisk did (tests/faults/asterisk_count.py)."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import aiohttp
from sqlalchemy import select

from calls.models import CallRecord, MissedCall
from hotline.db import make_engine, make_sessionmaker
from hotline.testing_processes import ProcessHotline
from tests.faults.asterisk_count import AsteriskCall, figures, finished, read_queue_log

SUPERVISOR = ("banzhang", "demo-supervisor")   # seeded demo account (hotline/demo.py)
MISSES = ("abandoned", "timeout", "no_agent")


@dataclass
class Differences:
    calls: list[str]
    worklist: list[str]

    def __bool__(self) -> bool:
        return bool(self.calls or self.worklist)


def asterisk_calls(lab: ProcessHotline) -> dict[str, AsteriskCall]:
    return finished(read_queue_log(lab.queue_log))


async def read_engine(database_url: str) -> tuple[list[CallRecord], list[MissedCall]]:
    db = make_engine(database_url)
    try:
        async with make_sessionmaker(db)() as session:
            calls = list((await session.execute(select(CallRecord))).scalars())
            missed = list((await session.execute(select(MissedCall))).scalars())
        return calls, missed
    finally:
        await db.dispose()


def compare(asterisk: dict[str, AsteriskCall], calls: list[CallRecord], missed: list[MissedCall]) -> Differences:
    """Every queue_log call once in the call log with Asterisk's outcome, queues, agent and wait;
    every missed caller once on the pending worklist, no answered caller there."""
    by_callid: dict[str, list[CallRecord]] = {}
    for row in calls:
        for key in {row.queue_uniqueid, row.linkedid} - {None}:
            by_callid.setdefault(key, []).append(row)
    wrong = []
    for callid, call in sorted(asterisk.items()):
        rows = {r.id: r for r in by_callid.get(callid, [])}
        if len(rows) != 1:
            wrong.append(f"{callid} {call.caller}: {len(rows)} call-log rows, Asterisk {call.outcome}")
            continue
        row = next(iter(rows.values()))
        got = (row.outcome, row.first_queue, row.final_queue, row.answered_member or "", row.hold_seconds)
        want = (call.outcome, call.first_queue, call.final_queue, call.agent, call.wait)
        if got != want:
            wrong.append(f"{callid} {call.caller}: engine {got} != Asterisk {want}")
    pending: dict[str, list[MissedCall]] = {}
    for row in missed:
        if row.status == "pending":
            pending.setdefault(row.caller_number, []).append(row)
    listed = []
    for _callid, call in sorted(asterisk.items()):
        rows = pending.get(call.caller, [])
        if call.outcome in MISSES:
            if len(rows) != 1 or rows[0].miss_count != 1 or rows[0].reason != call.outcome:
                listed.append(f"{call.caller} ({call.outcome}): worklist "
                              f"{[(r.reason, r.miss_count) for r in rows]}, expected once as {call.outcome}")
        elif rows:
            listed.append(f"{call.caller} was answered but is on the worklist: {[(r.reason, r.linkedid) for r in rows]}")
    return Differences(wrong, listed)


async def wait_until_reconciled(lab: ProcessHotline, timeout: float = 20.0) -> tuple[dict, Differences, float]:
    """Polls the database until the call log and the worklist equal the queue_log (or `timeout`);
    returns the last comparison and how long it took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while True:
        asterisk = asterisk_calls(lab)
        calls, missed = await read_engine(lab.database_url)
        diff = compare(asterisk, calls, missed)
        if not diff or loop.time() - started > timeout:
            return asterisk, diff, loop.time() - started
        await asyncio.sleep(0.5)


async def console_login(http: aiohttp.ClientSession, base: str, username: str, password: str) -> None:
    form = await http.get(f"{base}/login")
    token = re.search(r'name="login_token" value="([^"]+)"', await form.text()).group(1)
    resp = await http.post(f"{base}/login", data={"username": username, "password": password, "login_token": token},
                           allow_redirects=False)
    assert resp.status in (302, 303), await resp.text()


async def wallboard_board(lab: ProcessHotline) -> dict:
    """The wallboard's JSON state as a signed-in supervisor's page polls it."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await console_login(http, lab.console_url, *SUPERVISOR)
        resp = await http.get(f"{lab.console_url}/wallboard/state")
        assert resp.status == 200, await resp.text()
        return (await resp.json())["board"]


SHOWN = ("offered", "answered", "abandoned", "timeout", "overflowed")


def stored_figures(board: dict) -> dict[str, dict[str, int]]:
    """The wallboard's 今日 figures per queue (the center left out)."""
    return {row["queue"]: {k: row["today"][k] or 0 for k in SHOWN} for row in board["stored"] if row["queue"]}


def expected_figures(asterisk: dict[str, AsteriskCall]) -> dict[str, dict[str, int]]:
    return {q: {k: f[k] for k in SHOWN} for q, f in figures(asterisk).items()}


async def wallboard_equals_queue_log(lab: ProcessHotline, timeout: float = 10.0) -> tuple[dict, dict]:
    """The wallboard refreshes its stored figures every `chart_refresh_seconds`: wait for it."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while True:
        want = expected_figures(asterisk_calls(lab))
        got = stored_figures(await wallboard_board(lab))
        if got == want or loop.time() - started > timeout:
            return got, want
        await asyncio.sleep(1.0)
