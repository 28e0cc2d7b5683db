"""GB/T 33358-2016 figures over a sliding 24 hours, by the definitions in docs/metrics.md.

Each queue visit is judged by calls/outcome.py (the rule the call log uses too): a queue timeout
is not an abandon although Asterisk sends QueueCallerAbandon for both, and an overflow from a
dedicated queue to the pool is its own outcome there. Waits are Asterisk's own HoldTime, never
the engine's clock. Per queue, every visit counts; for the whole center a call counts once, by
Linkedid: answered anywhere means answered, and its wait is the sum of its queues' hold times.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from calls.model import QueueCalls
from calls.outcome import QueueVisit, VisitOutcome, answered_wait, visit_outcome

WINDOW = timedelta(hours=24)
ANSWER_TARGET_S = 15
TARGETS = {"answered_15s_pct": 80.0, "connection_rate_pct": 95.0, "abandoned_pct": 5.0}
UNANSWERED = ("abandoned", "timeout", "overflowed", "no_agent")


@dataclass
class _Entry:
    at: datetime
    visit: QueueVisit

    @property
    def linkedid(self) -> str:
        return self.visit.linkedid

    @property
    def uniqueid(self) -> str:
        return self.visit.uniqueid

    def outcome(self) -> VisitOutcome | None:
        return visit_outcome(self.visit, call_over=self.visit.ended)


class ServiceLevel:
    """A reader of the queued calls' model (calls/model.py): it keeps the visits of its window and
    counts them; it writes no fact of its own. Built alone it has a model of its own, fed through
    `visits` (the fact methods below are the model's, kept for callers that feed it by hand)."""

    def __init__(self, clock: Callable[[], datetime], window: timedelta = WINDOW,
                 visits: QueueCalls | None = None) -> None:
        self._clock = clock
        self._window = window
        self.visits = visits if visits is not None else QueueCalls(clock)
        self.visits.joined_listeners.append(self._joined)
        self._entries: deque[_Entry] = deque()
        self._calls: dict[str, list[_Entry]] = {}          # Linkedid -> visits in order
        self._answers: deque[tuple[datetime, tuple[str, str]]] = deque()

    def _joined(self, visit: QueueVisit) -> None:
        entry = _Entry(visit.joined_at, visit)
        self._entries.append(entry)
        self._calls.setdefault(visit.linkedid, []).append(entry)

    def agent_connected(self, agent: tuple[str, str]) -> None:
        """An AgentConnect of this agent (server, interface): the per-agent count of the window."""
        self._answers.append((self._clock(), agent))

    # --- facts, fed by hand (the model's; a shared model is fed by calls.model.EventReading) ------
    def joined(self, queue: str, linkedid: str, uniqueid: str) -> None:
        self.visits.joined(queue, linkedid, uniqueid)

    def answered(self, queue: str, uniqueid: str, hold_time: int | None, agent: tuple[str, str]) -> None:
        self.agent_connected(agent)
        self.visits.answered(queue, uniqueid, hold_time, agent[1])

    def abandon_reported(self, uniqueid: str, hold_time: int | None) -> None:
        self.visits.abandon_reported(uniqueid, hold_time)

    def left(self, uniqueid: str) -> None:
        self.visits.left(uniqueid)

    def status(self, uniqueid: str, value: str) -> None:
        self.visits.status(uniqueid, value)

    def hangup(self, uniqueid: str, linkedid: str, *, gone: bool) -> None:
        self.visits.hangup(uniqueid, linkedid, gone=gone)

    # --- figures -----------------------------------------------------------------------------------
    def _prune(self) -> None:
        cutoff = self._clock() - self._window
        while self._entries and self._entries[0].at < cutoff:
            entry = self._entries.popleft()
            visits = self._calls.get(entry.linkedid)
            if visits and visits[0] is entry:
                visits.pop(0)
                if not visits:
                    del self._calls[entry.linkedid]
        while self._answers and self._answers[0][0] < cutoff:
            self._answers.popleft()

    def agent_answered(self, server: str, interface: str) -> int:
        self._prune()
        return sum(1 for _, agent in self._answers if agent == (server, interface))

    def figures(self, queue: str | None) -> dict:
        """Percentages are over decided calls (answered, abandoned, timed out, overflowed, refused):
        a caller still waiting is neither a success nor a failure yet. None while nothing is
        decided (the wallboard shows '—')."""
        self._prune()
        counts = dict.fromkeys(UNANSWERED, 0)
        waits: list[int] = []
        if queue is not None:
            entries = [e for e in self._entries if e.visit.queue == queue]
            offered = len(entries)
            for entry in entries:
                outcome = entry.outcome()
                if outcome is VisitOutcome.ANSWERED:
                    waits.append(entry.visit.hold_seconds or 0)
                elif outcome is not None:
                    counts[outcome.value] += 1
        else:
            offered = len(self._calls)
            for visits in self._calls.values():
                wait = answered_wait([e.visit for e in visits])
                if wait is not None:
                    waits.append(wait)
                    continue
                outcome = visits[-1].outcome()
                if outcome is not None:
                    counts[outcome.value] += 1
        return rates(offered, waits, counts)


def rates(offered: int, waits: list[int], counts: dict[str, int], longest: int | None = None) -> dict:
    """The figures from counts (docs/metrics.md): `waits` are the answered calls' hold times,
    `counts` the unanswered outcomes. Shared by the live window and the stored call log."""
    return rates_from_totals(offered, len(waits), sum(waits), sum(1 for w in waits if w <= ANSWER_TARGET_S),
                             counts, longest)


def rates_from_totals(offered: int, answered: int, wait_sum: int, within: int, counts: dict[str, int],
                      longest: int | None = None) -> dict:
    """`rates` from totals a database sums (the 考核 report's year of calls): answered calls, the sum
    of their hold times and how many were answered within ANSWER_TARGET_S."""
    counts = {key: counts.get(key, 0) for key in UNANSWERED}
    decided = answered + sum(counts.values())

    def pct(n: int) -> float | None:
        return round(100.0 * n / decided, 1) if decided else None

    figures = {
        "offered": offered, "answered": answered, **counts,
        "waiting_or_in_progress": max(0, offered - decided),
        "answered_15s": within,
        "average_wait": round(wait_sum / answered, 1) if answered else None,
        "longest_wait": longest,
        "answered_15s_pct": pct(within),
        "abandoned_pct": pct(counts["abandoned"]),
        "connection_rate_pct": pct(answered),
    }
    figures["missed_targets"] = missed_targets(figures)
    return figures


def missed_targets(figures: dict) -> list[str]:
    missed = []
    for key, target in TARGETS.items():
        value = figures.get(key)
        if value is None:
            continue
        if (key == "abandoned_pct" and value > target) or (key != "abandoned_pct" and value < target):
            missed.append(key)
    return missed
