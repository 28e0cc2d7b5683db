"""Matching: each AMI event the stand-in emitted (timestamped there) to the first websocket message
that shows its effect on a page; pure functions over the two processes' records.

An agent event expects the page of its interface (or the agent's row on a wallboard) to show:
AgentCalled → ringing, AgentConnect → talking, AgentComplete → no longer talking,
AgentRingNoAnswer → no longer ringing. Times are `time.monotonic()` of the same host.
"""
from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

EXPECT: dict[str, Callable[[str], bool]] = {
    "AgentCalled": lambda s: s == "ringing",
    "AgentConnect": lambda s: s == "talking",
    "AgentComplete": lambda s: s != "talking",
    "AgentRingNoAnswer": lambda s: s != "ringing",
}


@dataclass
class Delays:
    samples: list[float] = field(default_factory=list)  # seconds
    already: int = 0      # the page already showed that state (e.g. a baseline that started mid-call)
    superseded: int = 0   # the next event on that agent came before any message showed this one
    missed: int = 0       # never shown until the end of the window

    def add(self, other: Delays) -> None:
        self.samples += other.samples
        self.already += other.already
        self.superseded += other.superseded
        self.missed += other.missed

    def pct(self, q: float) -> float:
        if not self.samples:
            return float("nan")
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def match(events: list[tuple[float, str]], shown: list[tuple[float, str]], start: float, end: float) -> Delays:
    """`events`: one agent's (t, event name), sorted; `shown`: one page's (t, state) at each change, sorted."""
    delays = Delays()
    times = [t for t, _ in shown]
    for i, (t_event, name) in enumerate(events):
        if not start <= t_event <= end or name not in EXPECT:
            continue
        t_next = events[i + 1][0] if i + 1 < len(events) else float("inf")
        wants = EXPECT[name]
        j = bisect.bisect_left(times, t_event)
        if j > 0 and wants(shown[j - 1][1]) and name != "AgentCalled" and name != "AgentConnect":
            delays.already += 1
            continue
        while j < len(shown) and shown[j][0] <= t_next and not wants(shown[j][1]):
            j += 1
        if j < len(shown) and shown[j][0] <= t_next:
            delays.samples.append(shown[j][0] - t_event)
        elif t_next != float("inf"):
            delays.superseded += 1
        else:
            delays.missed += 1
    return delays


def agent_pages(events: dict[str, list], pages: dict[str, list], start: float, end: float) -> Delays:
    total = Delays()
    for iface, shown in pages.items():
        total.add(match(events.get(iface, []), shown, start, end))
    return total


def wallboards(events: dict[str, list], changes: list[list], start: float, end: float) -> Delays:
    """`changes`: [t, board, iface, state] whenever a board's row of that agent changed."""
    boards: dict[tuple[str, str], list] = {}
    for t, board, iface, state in changes:
        boards.setdefault((board, iface), []).append((t, state))
    total = Delays()
    for (_board, iface), shown in boards.items():
        total.add(match(events.get(iface, []), shown, start, end))
    return total


def ingest(events: dict[str, list], floor: list[list], start: float, end: float) -> Delays:
    """Stand-in emit → the engine's live floor notifying its listeners (AMI socket, parsing, projection).

    `floor`: [t, event name, iface] as the engine's floor listener saw them; both sides see every
    agent event since the traffic started, so the k-th of a kind on an agent pairs with the k-th.
    """
    seen: dict[tuple[str, str], list[float]] = {}
    for t, name, iface in floor:
        seen.setdefault((iface, name), []).append(t)
    delays = Delays()
    for iface, timeline in events.items():
        counts: dict[str, int] = {}
        for t_event, name in timeline:
            k = counts[name] = counts.get(name, -1) + 1
            if not start <= t_event <= end:
                continue
            arrived = seen.get((iface, name), [])
            if k < len(arrived):
                delays.samples.append(arrived[k] - t_event)
            else:
                delays.missed += 1
    return delays


@dataclass
class PopDelays(Delays):
    with_draft: int = 0   # complete pops that carried the IVR's draft ticket


def screen_pops(called: dict[str, list], pops: dict[str, list], start: float, end: float) -> PopDelays:
    """AgentCalled (the agent's phone starts ringing) → the first message on that agent's page whose pop for
    the call is complete (caller, IVR path and draft looked up). `called`: iface → [(t, linkedid)];
    `pops`: iface → [[t, linkedid, has_draft]] for every open agent page. A call that rings the same agent again counts once, from
    its first ring; a pop never completed on the page (e.g. the ring ended first) is `missed`."""
    delays = PopDelays()
    for iface, rings in called.items():
        if iface not in pops:  # a seat without an open page (750 seats, 500 pages): nothing to see
            continue
        shown = {linkedid: (t, draft) for t, linkedid, draft in pops[iface]}
        first: dict[str, float] = {}
        for t, linkedid in rings:
            first.setdefault(linkedid, t)
        for linkedid, t_ring in first.items():
            if not start <= t_ring <= end:
                continue
            if linkedid in shown and shown[linkedid][0] >= t_ring:
                delays.samples.append(shown[linkedid][0] - t_ring)
                delays.with_draft += bool(shown[linkedid][1])
            else:
                delays.missed += 1
    return delays
