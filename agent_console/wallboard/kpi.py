"""ASA, AHT and occupancy per queue and for the center, from the stored figures (docs/metrics.md).

Pure: the call log's figures (`figures_since`, for the answered calls' waits) and the queue_log agent
figures (`AgentTimeline.figures`, for talk, wrap-up, pauses and sign-in time) in, one dict per queue out.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from queuelog.agents import WRAP_UP_REASON
from queues.stored_figures import CENTER

EMPTY = {"asa": None, "aht": None, "occupancy_pct": None, "answered": 0, "handling_seconds": 0,
         "available_seconds": 0}


def _available(agent: Mapping) -> int:
    """Signed-in seconds minus the pauses that are not wrap-up (a break is no time to take calls)."""
    other = sum(p["seconds"] for p in agent.get("pauses", []) if p["reason"] != WRAP_UP_REASON)
    return max(0, agent.get("signed_in_seconds", 0) - other)


def _handling(agent: Mapping) -> int:
    return agent.get("talk_seconds", 0) + agent.get("wrap_up_seconds", 0)


def _one(asa, answered: int, handling: int, occupied: int, available: int) -> dict:
    return {"asa": asa, "aht": round(handling / answered, 1) if answered else None,
            "occupancy_pct": round(min(occupied, available) / available * 100, 1) if available else None,
            "answered": answered, "handling_seconds": handling, "available_seconds": available}


def kpis(calls: Mapping[str, Mapping], agents: Mapping[str, Mapping], queues: Iterable[str]) -> dict[str, dict]:
    """{queue: figures, CENTER: figures} for `queues` plus every queue with a record.

    `calls`: {queue: figures_since(...) figures}; `agents`: {member name: AgentTimeline figures}."""
    names = set(queues) | (set(calls) - {CENTER})
    for agent in agents.values():
        names |= set(agent.get("by_queue", {})) | set(agent.get("member_of", []))
    names.discard(CENTER)
    out = {CENTER: _one(calls.get(CENTER, {}).get("average_wait"),
                        sum(a.get("answered", 0) for a in agents.values()),
                        sum(_handling(a) for a in agents.values()),
                        sum(_handling(a) for a in agents.values()),
                        sum(_available(a) for a in agents.values()))}
    for name in names:
        in_queue = [a.get("by_queue", {}).get(name, {}) for a in agents.values()]
        members = [a for a in agents.values() if name in a.get("member_of", [])]
        out[name] = _one(calls.get(name, {}).get("average_wait"), sum(q.get("answered", 0) for q in in_queue),
                         sum(q.get("talk_seconds", 0) + q.get("wrap_up_seconds", 0) for q in in_queue),
                         sum(_handling(a) for a in members), sum(_available(a) for a in members))
    return out
