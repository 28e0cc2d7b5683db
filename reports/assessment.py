"""The 考核 figures. Pure: counts in, tallies and rates out.

Two ways in, equal by construction: `from_day_rows` takes the per-day counts the ticket store keeps
(the report page), `assess` replays whole ticket histories (the definition; tests and the bench's
baseline). Both count what `tickets.tally.Replay` says each event counts: dispatch/accept/return/
extend for the department the event names, a reply for the replying department, callback and
reopen for the department whose reply was being evaluated; only facts inside the period count,
earlier events only set context. Formulas: docs/metrics.md (考核指标).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tickets.tally import CENTER, CENTER_ONLY, COUNTS, EXTENSION_ACTIONS, SATISFIED, Replay

__all__ = ["CENTER", "CENTER_RATES", "COUNTS", "EXTENSION_ACTIONS", "RATES", "SATISFIED", "Assessment", "Tally",
           "assess", "from_day_rows", "pct"]

# key, label, numerator, denominator (docs/metrics.md)
RATES = (
    ("accept_on_time_pct", "按时签收率", "accepted_on_time", "accepted"),
    ("complete_on_time_pct", "按时办结率", "replied_on_time", "replied"),
    ("return_pct", "退单率", "returned", "dispatched"),
    ("extension_pct", "延期率", "extended", "dispatched"),
    ("callback_pct", "回访率", "visited", "replied"),
    ("satisfaction_pct", "满意率", "satisfied", "evaluated"),
    ("resolution_pct", "解决率", "resolved", "resolution_known"),
    ("reopen_pct", "重办率", "reopened", "replied"),
)
CENTER_RATES = (("direct_pct", "直接办结率", "direct", "registered"),)


class EventLike(Protocol):
    seq: int
    at: datetime
    action: Any          # tickets.codes.Action (a str enum) or its code
    from_status: Any
    detail: dict


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] += n

    def rates(self, rates=RATES) -> dict[str, float | None]:
        return {key: pct(self.counts[num], self.counts[den]) for key, _, num, den in rates}


def pct(numerator: int, denominator: int) -> float | None:
    """A percentage with one decimal; None (shown —) when nothing was counted."""
    return None if denominator == 0 else round(numerator * 100.0 / denominator, 1)


@dataclass
class Assessment:
    departments: dict[str, Tally]   # by department code; CENTER for the center's own replies
    center: Tally                   # the whole center: every department plus the center's own

    def department_rows(self) -> list[tuple[str, dict[str, int], dict[str, float | None]]]:
        return [(code, t.counts, t.rates()) for code, t in sorted(self.departments.items())]


def _tally(facts: Iterable[tuple[str, str, int]]) -> Assessment:
    """(department, count key, n) in: the departments' tallies and the center's."""
    depts: dict[str, Tally] = {}
    center = Tally()
    for dept, key, n in facts:
        if not n:
            continue
        if key not in CENTER_ONLY:
            depts.setdefault(dept or CENTER, Tally()).add(key, n)
        center.add(key, n)
    return Assessment(depts, center)


def assess(histories: Iterable[Sequence[EventLike]], start: datetime, end: datetime) -> Assessment:
    """Figures over the facts with start <= at < end; each history is one ticket's events, replayed
    whole (an event's meaning may depend on earlier ones)."""
    def facts():
        for events in histories:
            replay = Replay()
            for e in sorted(events, key=lambda x: x.seq):
                for fact in replay.step(e):
                    if start <= fact.at < end:
                        yield fact.dept, fact.key, 1
    return _tally(facts())


def from_day_rows(rows: Iterable[tuple[str, Mapping[str, int]]]) -> Assessment:
    """The same figures from the store's per-day rows (department, {count key: n}) of whole days."""
    return _tally((dept, key, counts.get(key, 0)) for dept, counts in rows for key in COUNTS)
