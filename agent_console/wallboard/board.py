"""Wallboard: the live floor's snapshot, labelled, with the targets marked and today's hourly chart.

The floor part is computed at render time, once per change for all open wallboards (they share
one view key, so the hub renders and serialises it once per flush): `changed` marks it stale, and
without changes it is recomputed at most once a second (the switch link may drop without a floor
event). Durations travel as `since` timestamps (ISO 8601) and the page counts them up, so the view
stays byte-identical while only time passes. The chart, today's and the 24-hour figures from
the call log (the ones an engine restart does not reset) and the queue labels come from the
database, re-read every `refresh_seconds` by one background task, never per page.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from queues.service_level import ANSWER_TARGET_S, TARGETS
from queues.stored_figures import CENTER
from tickets.validation import mask_number

from .hourly import read_today
from .kpi import EMPTY, kpis
from .stored import AgentLines, agent_period, agent_rows, read_stored, stored_rows

log = logging.getLogger(__name__)

STATE_ORDER = ("talking", "ringing", "idle", "paused", "unavailable")
STATE_LABELS = {"talking": "通话中", "ringing": "振铃中", "idle": "空闲", "paused": "示忙", "unavailable": "离线"}
OFFLINE_LABEL = "未签入/离线"   # an agent account with a phone that is in no queue
PERIODS = ("today", "day")
COUNT_LABELS = {"offered": "呼入", "answered": "接通", "abandoned": "放弃", "timeout": "排队超时",
                "overflowed": "溢出"}  # docs/metrics.md: a timeout and an overflow are not abandons
NO_CALLS = {"answered": 0, "talk_seconds": 0, "average_talk": None}
VIEW_KEY = "wallboard"  # every wallboard page shows the same view
FIGURE_LABELS = {"answered_15s_pct": f"{ANSWER_TARGET_S} 秒接通率", "abandoned_pct": "放弃率",
                 "connection_rate_pct": "24 小时接通率"}


class Wallboard:
    def __init__(self, services: dict, sessions, clock: Callable[[], datetime], changed: Callable[[], None], *,
                 ami: Mapping[str, object] | None = None, refresh_seconds: float = 30.0,
                 max_age: float = 1.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._services = services
        self._ami = ami if ami is not None else {}
        self._sessions = sessions
        self._clock = clock
        self._changed = changed
        self.refresh_seconds = refresh_seconds
        self.chart: dict = {"total": [0] * 24, "answered": [0] * 24, "hours": 0}
        self.stored: dict = {}
        self.agent_table: list[dict] = []   # per-agent figures (queue_log), rebuilt on every refresh
        self._agent_lines = AgentLines()     # read incrementally: only new rows per refresh
        self.labels: dict[str, str] = {}
        self.kpis: dict[str, dict[str, dict]] = {period: {} for period in PERIODS}
        self.roster: list[dict] = []         # agent accounts with a phone (who should be on the floor)
        self._task: asyncio.Task | None = None
        self._max_age = max_age
        self._monotonic = monotonic
        self._cached: tuple[float, dict] | None = None

    def floor_changed(self, *_: object) -> None:
        """Floor listener: the next view is recomputed."""
        self._cached = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="console-wallboard")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:  # noqa: BLE001 - a database hiccup leaves the last chart on screen
                log.exception("wallboard refresh failed")
            await asyncio.sleep(self.refresh_seconds)

    async def refresh(self) -> None:
        from queues.render import queue_defs

        lines = self._services.get("lines")
        if lines is not None:
            self.labels = {q.name: q.label for q in queue_defs(await lines.list())}
        now = self._clock()
        self.chart = await read_today(self._sessions, now)
        self.stored = await read_stored(self._sessions, now, self._agent_lines)
        self.agent_table = agent_rows(self.stored)
        self.kpis = {period: kpis(self.stored.get(period, {}), self.stored.get("agents", {}).get(period, {}),
                                  self.labels) for period in PERIODS}
        accounts = self._services.get("accounts")
        if accounts is not None:
            self.roster = sorted(({"name": u.display_name or u.username, "username": u.username,
                                   "interface": u.phone_interface} for u in await accounts.list_users()
                                  if u.active and "agent" in u.role_set and u.phone_interface),
                                 key=lambda a: (a["name"], a["interface"]))
        self._cached = None
        self._changed()

    def view(self) -> dict:
        now = self._monotonic()
        if self._cached is not None and now - self._cached[0] < self._max_age:
            return self._cached[1]
        view = self._compute()
        self._cached = (now, view)
        return view

    def _compute(self) -> dict:
        floor = self._services.get("floor")
        snapshot = floor.snapshot(mask_number) if floor is not None else {"queues": {}, "center": None,
                                                                          "agents": [], "callers": []}
        waiting = floor.waiting() if floor is not None else []
        queues = []
        empty = {"waiting": 0, "agents": {}, "service": {}}   # a configured queue nobody and nothing is in yet
        for name in sorted(set(snapshot["queues"]) | set(self.labels)):
            q = snapshot["queues"].get(name, empty)
            queues.append({"name": name, "label": self.labels.get(name, name), "waiting": q["waiting"],
                           "longest_since": _oldest(c for c in waiting if c.queue == name),
                           "agents": _states(q["agents"]), "service": _figures(q["service"]),
                           "kpi": self._kpi(name)})
        center_states: dict[str, int] = {}
        for agent in snapshot["agents"]:
            center_states[agent["state"]] = center_states.get(agent["state"], 0) + 1
        center = {"waiting": len(waiting), "longest_since": _oldest(waiting),
                  "agents": _states(center_states),
                  "service": _figures(snapshot["center"]) if snapshot["center"] else _figures({}),
                  "kpi": self._kpi(CENTER)}
        members = floor.agents if floor is not None else {}
        stored_agents = self.stored.get("agents_today", {})
        agents = [{"name": a["name"], "interface": a["interface"], "state": a["state"],
                   "state_label": STATE_LABELS.get(a["state"], a["state"]), "paused_reason": a["paused_reason"],
                   "since": _iso(getattr(members.get((a["server"], a["interface"])), "since", None)),
                   "queues": a["queues"], "answered": a["answered"],
                   "today": stored_agents.get(a["interface"], NO_CALLS)}
                  for a in sorted(snapshot["agents"], key=lambda a: (a["name"], a["interface"]))]
        connected = all(getattr(c, "ready", False) for c in self._ami.values())
        live = {a["interface"] for a in snapshot["agents"]}
        offline = [{**a, "state": "offline", "state_label": OFFLINE_LABEL}
                   for a in self.roster if a["interface"] not in live]
        center["offline"] = len(offline)
        return {"center": center, "queues": queues, "agents": agents, "offline": offline, "chart": self.chart,
                "stored": stored_rows(self.stored, self.labels), "agent_figures": self.agent_table,
                "targets": TARGETS, "connected": connected}

    def _kpi(self, queue: str) -> dict:
        return {period: self.kpis[period].get(queue, EMPTY) for period in PERIODS}

    def agent_figures(self, name: str) -> dict:
        """One agent's today and 24-hour figures (for the agent desk), as of the last refresh."""
        agents = self.stored.get("agents", {})
        return {period: agent_period(agents.get(period, {}).get(name)) for period in ("today", "day")}


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _oldest(callers) -> str | None:
    """When the longest-waiting of these callers joined (the page shows how long ago that was)."""
    return _iso(min((c.joined_at for c in callers), default=None))


def seconds_since(since: str | None, now: datetime) -> int:
    """Server-side rendering of a `since` (the first paint, before the script takes over)."""
    return max(0, round((now - datetime.fromisoformat(since)).total_seconds())) if since else 0


def _states(counts: dict[str, int]) -> list[dict]:
    return [{"state": s, "label": STATE_LABELS[s], "count": counts.get(s, 0)} for s in STATE_ORDER]


def _figures(figures: dict) -> dict:
    missed = set(figures.get("missed_targets", ()))
    shown = {key: {"label": label, "value": figures.get(key), "target": TARGETS[key], "missed": key in missed}
             for key, label in FIGURE_LABELS.items()}
    counts = {key: figures.get(key, 0) for key in COUNT_LABELS}
    return {**counts, "counts": [{"key": key, "label": label, "value": counts[key]}
                                 for key, label in COUNT_LABELS.items()],
            "figures": shown, "missed": sorted(missed)}
