"""What a wallboard page needs to go from the view it shows to the current one.

The agent table is most of a wallboard's bytes (≈170 bytes × 750 seats) while a batch changes a
handful of rows, so after the first full view a page gets the small parts whole and only the
agent rows that changed (`agents`) or went (`gone`). The view objects are never mutated once
rendered, so an unchanged view is the same object and costs nothing to compare.
"""
from __future__ import annotations

WHOLE = ("center", "queues", "offline", "chart", "stored", "agent_figures", "targets", "connected")


def board_delta(shown: dict, current: dict) -> dict | None:
    """None when the page already shows `current`; else a message with `"delta": true`."""
    if shown is current:
        return None
    before = {a["interface"]: a for a in shown["agents"]}
    changed = [a for a in current["agents"] if before.get(a["interface"]) != a]
    now = {a["interface"] for a in current["agents"]}
    gone = [i for i in before if i not in now]
    if not changed and not gone and all(shown.get(k) == current.get(k) for k in WHOLE):
        return None
    return {"delta": True, **{k: current[k] for k in WHOLE if k in current}, "agents": changed, "gone": gone}
