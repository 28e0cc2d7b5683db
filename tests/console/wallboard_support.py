"""Seeded records for the wallboard's ASA/AHT/occupancy (issue 14.4): stored calls, queue_log agent lines,
two 双号并行 lines (one queue with records, one with none) and the hand-computed figures."""
from __future__ import annotations

from datetime import timedelta

from calls.models import CallRecord
from queues.models import MergeMode
from queues.routing import LineInfo

GENERAL, LINE, EMPTY_QUEUE = "hotline-general", "line-12319", "line-12399"
BACK = 3000  # the seeded day starts this many seconds ago

# (outcome, first queue, final queue, hold seconds)
CALLS = [("answered", GENERAL, GENERAL, 10), ("answered", GENERAL, GENERAL, 20), ("abandoned", GENERAL, GENERAL, 30),
         ("answered", LINE, LINE, 6)]


def agent_lines(t: int) -> list[str]:
    both = (GENERAL, LINE)
    one = [f"{t}|MANAGER|{q}|坐席01|ADDMEMBER|" for q in both] + [
        f"{t + 100}|c.1|{GENERAL}|坐席01|CONNECT|10|a.1|2", f"{t + 220}|c.1|{GENERAL}|坐席01|COMPLETEAGENT|10|120|1",
        *(f"{t + 220}|NONE|{q}|坐席01|PAUSE|话后处理" for q in both), *(f"{t + 250}|NONE|{q}|坐席01|UNPAUSE|" for q in both),
        f"{t + 300}|c.2|{LINE}|坐席01|CONNECT|6|b.1|2", f"{t + 360}|c.2|{LINE}|坐席01|COMPLETECALLER|6|60|1",
        *(f"{t + 360}|NONE|{q}|坐席01|PAUSE|话后处理" for q in both), *(f"{t + 380}|NONE|{q}|坐席01|UNPAUSE|" for q in both),
        *(f"{t + 400}|NONE|{q}|坐席01|PAUSE|午休" for q in both), *(f"{t + 1000}|NONE|{q}|坐席01|UNPAUSE|" for q in both),
        *(f"{t + 2000}|MANAGER|{q}|坐席01|REMOVEMEMBER|" for q in both)]
    three = [f"{t}|MANAGER|{GENERAL}|坐席03|ADDMEMBER|", f"{t + 500}|c.3|{GENERAL}|坐席03|CONNECT|20|c.1|3",
             f"{t + 800}|c.3|{GENERAL}|坐席03|COMPLETEAGENT|20|300|1", f"{t + 800}|NONE|{GENERAL}|坐席03|PAUSE|话后处理",
             f"{t + 900}|NONE|{GENERAL}|坐席03|UNPAUSE|", f"{t + 1000}|MANAGER|{GENERAL}|坐席03|REMOVEMEMBER|"]
    return sorted(one + three, key=lambda line: int(line.split("|")[0]))


def expected() -> dict[str, dict]:
    """By hand from the lines above. 坐席01: talk 120 + 60, wrap-up 30 + 20, signed in 2000 s with a 600 s
    午休 (available 1400); 坐席03: talk 300, wrap-up 100, signed in and available 1000 s."""
    one, three = 120 + 60 + 30 + 20, 300 + 100
    return {
        "": {"asa": round((10 + 20 + 6) / 3, 1), "aht": round((one + three) / 3, 1), "answered": 3,
             "occupancy_pct": round((one + three) / (1400 + 1000) * 100, 1)},
        GENERAL: {"asa": round((10 + 20) / 2, 1), "aht": round((120 + 30 + 300 + 100) / 2, 1), "answered": 2,
                  "occupancy_pct": round((one + three) / (1400 + 1000) * 100, 1)},
        LINE: {"asa": 6.0, "aht": round((60 + 20) / 1, 1), "answered": 1, "occupancy_pct": round(one / 1400 * 100, 1)},
        EMPTY_QUEUE: {"asa": None, "aht": None, "answered": 0, "occupancy_pct": None},
    }


async def seed(engine) -> int:
    """Lines, calls and agent lines in the database; -> the first agent line's epoch."""
    from queuelog import parse_lines
    from queuelog.agent_store import AgentLineStore

    await engine.services["lines"].save(LineInfo("12319", "城建专席", MergeMode.PARALLEL, queue=LINE))
    await engine.services["lines"].save(LineInfo("12399", "夜间专席", MergeMode.PARALLEL, queue=EMPTY_QUEUE))
    now = engine.clock()
    async with engine.sessions() as session, session.begin():
        for i, (outcome, first, final, hold) in enumerate(CALLS):
            at = now - timedelta(seconds=BACK - 100 * (i + 1))
            session.add(CallRecord(server="kpi", linkedid=f"kpi{i}", started_at=at, ended_at=at, outcome=outcome,
                                   first_queue=first, final_queue=final, recorded_at=at, hold_seconds=hold,
                                   answered_interface="PJSIP/8101" if outcome == "answered" else None,
                                   talk_seconds=60 if outcome == "answered" else None, ivr_vars={}))
    t = int(now.timestamp()) - BACK
    await AgentLineStore(engine.sessions).save("standin:q", parse_lines(agent_lines(t)).records)
    return t
