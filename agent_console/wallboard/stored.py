"""Today's (Asia/Shanghai) and the 24-hour figures per queue, read from the call log table.

One query per wallboard refresh for the calls and one for the agent lines of queue_log; the
figures are queues/stored_figures.py's and queuelog/agents.py's, so an engine restart shows the
same numbers as before it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from calls.models import CallRecord
from queuelog.agent_store import AgentLineStore
from queuelog.agents import AgentTimeline
from queues.service_level import WINDOW
from queues.stored_figures import CENTER, StoredCall, agent_figures_since, figures_since

from .hourly import SHANGHAI, local_midnight

LOOKBACK = timedelta(hours=12)
"""Agent lines are read from this long before the window, so a sign-in or pause open at its start is known."""
AGENT_SHOWN = ("answered", "ring_no_answer", "talk_seconds", "average_talk", "wrap_up_seconds", "average_handling",
               "pause_count", "pause_seconds", "first_login", "last_logout", "logged_in")

SHOWN = ("offered", "answered", "answered_15s", "abandoned", "timeout", "overflowed", "average_wait",
         "longest_wait", "answered_15s_pct", "abandoned_pct", "connection_rate_pct")


class AgentLines:
    """The agent lines' timeline kept between refreshes: each refresh reads only the rows stored since
    the last one (a full read of a day's lines every 30 s would not scale to a large floor)."""

    def __init__(self) -> None:
        self.timeline = AgentTimeline()
        self.last_id = 0

    async def read(self, sessions, start: datetime) -> AgentTimeline:
        fresh = self.last_id == 0
        records, self.last_id = await AgentLineStore(sessions).newer(int((start - LOOKBACK).timestamp()),
                                                                     self.last_id)
        if fresh:
            records.sort(key=lambda r: r.time)   # several sources: one log order
        self.timeline.feed(records)
        self.timeline.prune(int((start - LOOKBACK).timestamp()))
        return self.timeline


async def read_stored(sessions, now: datetime, agent_lines: AgentLines | None = None) -> dict[str, dict[str, dict]]:
    """{"today": {queue: figures}, "day": {queue: figures}, "agents_today": {interface: figures},
    "agents": {"today": {member name: figures}, "day": {...}}}; the center is queue "" (CENTER)."""
    midnight, day = local_midnight(now), now - WINDOW
    async with sessions() as session:
        rows = await session.execute(
            select(CallRecord.started_at, CallRecord.outcome, CallRecord.first_queue, CallRecord.final_queue,
                   CallRecord.hold_seconds, CallRecord.answered_interface, CallRecord.talk_seconds)
            .where(CallRecord.started_at >= min(midnight, day)))
        calls = [StoredCall(*row) for row in rows.all()]
    start = min(midnight, day)
    timeline = await (agent_lines or AgentLines()).read(sessions, start)
    end = int(now.timestamp())
    return {"today": figures_since(calls, midnight), "day": figures_since(calls, day),
            "agents_today": agent_figures_since(calls, midnight),
            "agents": {"today": timeline.figures(int(midnight.timestamp()), end),
                       "day": timeline.figures(int(day.timestamp()), end)}}


def _clock_time(epoch: int | None) -> str | None:
    """HH:MM in Asia/Shanghai."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, SHANGHAI).strftime("%H:%M")


def agent_period(figures: dict | None) -> dict:
    """One period of one agent as the pages show it: the numbers, times as HH:MM, the pause log."""
    f = figures or {}
    shown = {key: f.get(key) for key in AGENT_SHOWN}
    for key in ("answered", "ring_no_answer", "talk_seconds", "wrap_up_seconds", "pause_count", "pause_seconds"):
        shown[key] = shown[key] or 0
    shown["logged_in"] = bool(shown["logged_in"])
    shown["first_login_at"] = _clock_time(f.get("first_login"))
    shown["last_logout_at"] = _clock_time(f.get("last_logout"))
    shown["pauses"] = [{"start_at": _clock_time(p["start"]), "end_at": _clock_time(p["end"]),
                        "reason": p["reason"] or "未注明", "seconds": p["seconds"]} for p in f.get("pauses", [])]
    return shown


def agent_rows(stored: dict) -> list[dict]:
    """The wallboard's per-agent table: every agent with a record today or in 24 h, by name."""
    agents = stored.get("agents", {})
    names = sorted(set(agents.get("today", {})) | set(agents.get("day", {})))
    return [{"name": name, **{period: agent_period(agents.get(period, {}).get(name)) for period in ("today", "day")}}
            for name in names]


def stored_rows(stored: dict[str, dict[str, dict]], labels: dict[str, str]) -> list[dict]:
    """The wallboard's table: the center first, then each queue, today and 24 h side by side."""
    names = sorted((set(stored.get("today", {})) | set(stored.get("day", {}))) - {CENTER})  # the center once, first
    rows = []
    for name in [CENTER, *names]:
        periods = {period: {k: stored.get(period, {}).get(name, {}).get(k) for k in SHOWN}
                   for period in ("today", "day")}
        rows.append({"queue": name, "label": "全中心" if name == CENTER else labels.get(name, name), **periods})
    return rows
