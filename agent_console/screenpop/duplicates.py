"""Possible duplicate requests: the same caller saying much the same thing within 30 days.

Pure: texts and tickets in, flags out. Similarity is the Jaccard index of character bigrams,
which works on Chinese without word segmentation and is cheap enough for a screen pop.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

WINDOW = timedelta(days=30)
THRESHOLD = 0.35
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def bigrams(text: str) -> frozenset[str]:
    compact = _NOISE.sub("", text or "").lower()
    if len(compact) < 2:
        return frozenset({compact}) if compact else frozenset()
    return frozenset(compact[i:i + 2] for i in range(len(compact) - 1))


def similarity(a: str, b: str) -> float:
    left, right = bigrams(a), bigrams(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def ticket_text(ticket) -> str:
    """What the citizen asked: the registered content, else the IVR transcript."""
    content = ticket.content or ""
    if content and content != "未接通来电，待回拨":
        return content
    return ticket.transcript or ""


def duplicate_numbers(text: str, earlier: Iterable, now: datetime, *, window: timedelta = WINDOW,
                      threshold: float = THRESHOLD) -> set[str]:
    """Numbers of earlier tickets (same caller, already filtered) within `window` whose text is similar."""
    if not (text or "").strip():
        return set()
    found = set()
    for ticket in earlier:
        if now - ticket.created_at > window:
            continue
        if similarity(text, ticket_text(ticket)) >= threshold:
            found.add(ticket.number)
    return found
