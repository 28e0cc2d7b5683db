"""Which 设分中心 lines a call can be handed to, and what Asterisk dials to reach each."""
from __future__ import annotations

from queues.models import MergeMode


def subcenter_dial(line, queue_context: str) -> str | None:
    """What to dial for a 设分中心 line: its number, or (the shipped 95598 has only seats in a queue) a Local
    channel into that queue, so blind and attended transfers follow one Dial/Originate like any number."""
    if line.mode != MergeMode.SUBCENTER or not line.enabled:
        return None
    if line.dial_target:
        return line.dial_target
    return f"Local/{line.queue}@{queue_context}" if line.queue else None
