"""What each history event counts in the 考核 figures (docs/metrics.md 考核指标). Pure: events in, facts out.

A ticket's events are replayed in order (seq) by `Replay`, so every event is attributed to the
department that owned the step then: dispatch/accept/return/extend to the department the event
names, reply to the replying department, callback and reopen to the department whose reply was
being evaluated. Each fact says when it counts: the event's instant, except 回访 (`visited`),
which counts on its reply's instant (a reply in the period that was called back, whenever).

The same replay feeds the report computed straight from the histories (reports/assessment.py)
and the per-day figures the store keeps as it writes each event (tickets/day_figures.py), so the
two cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

CENTER = ""          # replies by the center itself (直接办结 and the like): no department
EXTENSION_ACTIONS = frozenset({"ext_approve"})  # an approved 延期 (tickets/handling.py); the event names the department
SATISFIED = frozenset({"satisfied", "basically_satisfied"})

COUNTS = ("dispatched", "accepted", "accepted_on_time", "returned", "extended", "replied", "replied_on_time",
          "visited", "evaluated", "satisfied", "resolution_known", "resolved", "reopened", "unreachable",
          "registered", "direct")
CENTER_ONLY = frozenset({"registered", "direct"})
"""Counted for the whole center only, never in a department's row (registrations, 直接办结)."""

COUNTING_ACTIONS = frozenset({"dispatch", "register", "accept", "return", "reply", "callback", "reopen",
                              *EXTENSION_ACTIONS})
"""The actions that add to a figure; every other event (create, 督办, transcript ...) counts nothing."""
STATE_ACTIONS = ("dispatch", "reject_return", "reply", "callback")
"""The actions a later event's attribution depends on (acceptance deadline, the reply being evaluated)."""


class Fact(NamedTuple):
    at: datetime   # the instant whose day the fact counts on
    dept: str      # department code; CENTER for the center's own
    key: str       # one of COUNTS


def _code(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def _due(detail: dict, key: str) -> datetime | None:
    raw = detail.get(key)
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


@dataclass
class Replay:
    """One ticket's history so far; `step` returns what the next event counts."""

    accept_due: datetime | None = None
    last_reply: str | None = None                       # department whose reply the next callback evaluates
    open_reply: tuple[str, datetime] | None = None      # (department, at) of a reply not yet called back

    @classmethod
    def of(cls, events: Iterable[Any]) -> Replay:
        replay = cls()
        for e in sorted(events, key=lambda x: x.seq):
            replay.step(e)
        return replay

    def step(self, e: Any) -> list[Fact]:
        action, detail, at = _code(e.action), e.detail or {}, e.at
        out: list[Fact] = []

        def count(dept: str | None, key: str, when: datetime = at) -> None:
            out.append(Fact(when, dept or CENTER, key))

        if action in ("dispatch", "reject_return"):
            self.accept_due = _due(detail, "accept_due")
            if action == "dispatch":
                count(detail.get("lead"), "dispatched")
        elif action == "register":
            count(CENTER, "registered")
        elif action == "accept":
            count(detail.get("dept"), "accepted")
            stored = detail.get("on_time")  # written by the store since issue 13; older events: replayed
            if stored if isinstance(stored, bool) else (self.accept_due is None or at <= self.accept_due):
                count(detail.get("dept"), "accepted_on_time")
        elif action == "return":
            count(detail.get("dept"), "returned")
        elif action in EXTENSION_ACTIONS:
            count(detail.get("dept"), "extended")
        elif action == "reply":
            self.last_reply = detail.get("dept") or CENTER
            self.open_reply = (self.last_reply, at)
            count(self.last_reply, "replied")
            if detail.get("on_time", True):
                count(self.last_reply, "replied_on_time")
            if self.last_reply == CENTER and _code(e.from_status) == "registered":
                count(CENTER, "direct")
        elif action == "callback":
            evaluation = detail.get("evaluation")
            if evaluation is not None and self.open_reply is not None:
                count(self.open_reply[0], "visited", self.open_reply[1])
            self.open_reply = None
            if evaluation is None:
                count(self.last_reply, "unreachable")
            else:
                count(self.last_reply, "evaluated")
                if evaluation in SATISFIED:
                    count(self.last_reply, "satisfied")
                if isinstance(detail.get("resolved"), bool):
                    count(self.last_reply, "resolution_known")
                    if detail["resolved"]:
                        count(self.last_reply, "resolved")
        elif action == "reopen":
            count(self.last_reply, "reopened")
        return out

    @staticmethod
    def needs_history(action: Any, detail: dict | None) -> bool:
        """Whether what `action` counts depends on the earlier events (else `Replay().step` suffices)."""
        action = _code(action)
        if action in ("callback", "reopen"):
            return True
        return action == "accept" and not isinstance((detail or {}).get("on_time"), bool)
