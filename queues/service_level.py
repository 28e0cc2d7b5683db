"""GB/T 33358-2016 figures over a sliding 24 hours: answered within 15 s, abandoned, connection rate.

Per queue, every offer counts (an overflow from a dedicated queue is "not answered there").
For the whole center a call counts once, by Linkedid: answered anywhere means answered, and
its wait runs from the first queue it joined.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)
ANSWER_TARGET_S = 15
TARGETS = {"answered_15s_pct": 80.0, "connection_rate_pct": 95.0, "abandoned_pct": 5.0}


@dataclass
class _Call:
    first_offered: datetime
    answered_after: float | None = None
    abandoned: bool = False


class ServiceLevel:
    def __init__(self, clock: Callable[[], datetime], window: timedelta = WINDOW) -> None:
        self._clock = clock
        self._window = window
        self._queue_events: dict[str, deque[tuple[datetime, str, float]]] = {}
        self._calls: dict[str, _Call] = {}
        self._call_order: deque[tuple[datetime, str]] = deque()

    def _record(self, queue: str, kind: str, wait: float) -> None:
        self._queue_events.setdefault(queue, deque()).append((self._clock(), kind, wait))

    def offered(self, queue: str, linkedid: str) -> None:
        self._record(queue, "offered", 0.0)
        if linkedid and linkedid not in self._calls:
            now = self._clock()
            self._calls[linkedid] = _Call(now)
            self._call_order.append((now, linkedid))

    def answered(self, queue: str, linkedid: str, hold_time: float) -> None:
        self._record(queue, "answered", float(hold_time))
        call = self._calls.get(linkedid)
        if call is not None and call.answered_after is None:
            call.answered_after = (self._clock() - call.first_offered).total_seconds()
            call.abandoned = False

    def abandoned(self, queue: str, linkedid: str, hold_time: float) -> None:
        self._record(queue, "abandoned", float(hold_time))
        call = self._calls.get(linkedid)
        if call is not None and call.answered_after is None:
            call.abandoned = True

    def _prune(self) -> datetime:
        cutoff = self._clock() - self._window
        for events in self._queue_events.values():
            while events and events[0][0] < cutoff:
                events.popleft()
        while self._call_order and self._call_order[0][0] < cutoff:
            _, linkedid = self._call_order.popleft()
            self._calls.pop(linkedid, None)
        return cutoff

    def figures(self, queue: str | None) -> dict:
        """Percentages are over decided calls (answered or abandoned): a caller still waiting is
        neither a success nor a failure yet. None while nothing is decided (the wallboard shows '—')."""
        self._prune()
        if queue is not None:
            events = self._queue_events.get(queue, ())
            offered = sum(1 for _, k, _ in events if k == "offered")
            answered = [w for _, k, w in events if k == "answered"]
            abandoned = sum(1 for _, k, _ in events if k == "abandoned")
        else:
            calls = list(self._calls.values())
            offered = len(calls)
            answered = [c.answered_after for c in calls if c.answered_after is not None]
            abandoned = sum(1 for c in calls if c.abandoned)

        decided = len(answered) + abandoned

        def pct(n: int) -> float | None:
            return round(100.0 * n / decided, 1) if decided else None

        figures = {
            "offered": offered, "answered": len(answered), "abandoned": abandoned,
            "waiting_or_in_progress": max(0, offered - decided),
            "answered_15s_pct": pct(sum(1 for w in answered if w <= ANSWER_TARGET_S)),
            "abandoned_pct": pct(abandoned),
            "connection_rate_pct": pct(len(answered)),
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
