"""Today's and the 24-hour figures from the stored call log: what an engine restart cannot reset.

Pure: call-log rows in, figures out, by the formulas of the live window (queues/service_level.py
`rates`, docs/metrics.md). A stored call keeps its first and final queue and its whole wait in
Asterisk's hold times, so per queue a call counts in the queue it ended in, and also, when it
came from another queue, as an overflow of that first queue.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from calls.codes import Outcome
from queues.service_level import UNANSWERED, rates

__all__ = ["CENTER", "StoredCall", "agent_figures_since", "figures_since"]

CENTER = ""  # key of the whole center's figures
_UNANSWERED = {Outcome.ABANDONED.value: "abandoned", Outcome.TIMEOUT.value: "timeout",
               Outcome.NO_AGENT.value: "no_agent"}


@dataclass(frozen=True)
class StoredCall:
    started_at: datetime
    outcome: str
    first_queue: str | None
    final_queue: str | None
    hold_seconds: int
    answered_interface: str | None = None
    talk_seconds: int | None = None


class _Tally:
    def __init__(self) -> None:
        self.offered = 0
        self.waits: list[int] = []
        self.counts = dict.fromkeys(UNANSWERED, 0)
        self.longest: int | None = None

    def add(self, outcome: str, wait: int) -> None:
        self.offered += 1
        self.longest = max(wait, self.longest or 0)
        if outcome == Outcome.ANSWERED.value:
            self.waits.append(wait)
        elif outcome in _UNANSWERED:
            self.counts[_UNANSWERED[outcome]] += 1
        elif outcome == "overflowed":
            self.counts["overflowed"] += 1
        # lost_track and the rest: offered, not decided

    def figures(self) -> dict:
        return rates(self.offered, self.waits, self.counts, self.longest)


def figures_since(calls: Iterable[StoredCall], since: datetime) -> dict[str, dict]:
    """{queue: figures, CENTER: figures} over the calls that started at or after `since` and
    reached a queue (a call that hung up in the IVR was never offered to an agent)."""
    tallies: dict[str, _Tally] = {CENTER: _Tally()}
    for call in calls:
        if call.started_at < since or not call.final_queue:
            continue
        wait = max(0, call.hold_seconds or 0)
        tallies[CENTER].add(call.outcome, wait)
        tallies.setdefault(call.final_queue, _Tally()).add(call.outcome, wait)
        if call.first_queue and call.first_queue != call.final_queue:
            tallies.setdefault(call.first_queue, _Tally()).add("overflowed", wait)
    return {queue: tally.figures() for queue, tally in tallies.items()}


def agent_figures_since(calls: Iterable[StoredCall], since: datetime) -> dict[str, dict]:
    """{interface: {"answered", "talk_seconds", "average_talk"}} for the calls answered since `since`:
    our own records, not Asterisk's CallsTaken (docs/metrics.md)."""
    found: dict[str, dict] = {}
    for call in calls:
        if call.started_at < since or call.outcome != Outcome.ANSWERED.value or not call.answered_interface:
            continue
        agent = found.setdefault(call.answered_interface, {"answered": 0, "talk_seconds": 0})
        agent["answered"] += 1
        agent["talk_seconds"] += max(0, call.talk_seconds or 0)
    for agent in found.values():
        agent["average_talk"] = round(agent["talk_seconds"] / agent["answered"], 1)
    return found
