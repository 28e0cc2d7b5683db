"""Event delivery of the stand-in: listeners for every event, watchers for one channel's events.

AMI sessions (and test probes) listen to everything. Simulated people only care about their
own channel, so they watch it by name: with N calls up an event costs O(1) for them instead
of N listener calls (bench/ivr at N=400: 45 % of the stand-in's CPU went to that).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

Headers = list[tuple[str, Any]]
Listener = Callable[[str, Headers], None]


def channel_of(msg: Headers) -> Any:
    """The event's first `Channel` header (the channel it is about), or None."""
    for key, value in msg:
        if key == "Channel":
            return value
    return None


class EventBus:
    """Listeners and per-channel watchers in insertion order; adding/removing is O(1)."""

    def __init__(self) -> None:
        self._listeners: dict[Listener, None] = {}
        self._watchers: dict[str, dict[Listener, None]] = {}
        self._watched: dict[Listener, str] = {}

    def add_listener(self, listener: Listener) -> None:
        """`listener(event, msg)` for every event."""
        self._listeners[listener] = None

    def watch_channel(self, channel: str, listener: Listener) -> None:
        """`listener(event, msg)` for the events whose `Channel` header is `channel`."""
        self.remove_listener(listener)
        self._watchers.setdefault(channel, {})[listener] = None
        self._watched[listener] = channel

    def remove_listener(self, listener: Listener) -> None:
        """Stop a listener or a channel watcher (no-op if unknown)."""
        self._listeners.pop(listener, None)
        channel = self._watched.pop(listener, None)
        if channel is not None:
            watchers = self._watchers.get(channel)
            if watchers is not None:
                watchers.pop(listener, None)
                if not watchers:
                    del self._watchers[channel]

    def listener_count(self) -> int:
        return len(self._listeners) + len(self._watched)

    def emit(self, event: str, privilege: str, headers: Headers) -> None:
        self.emit_raw(event, [("Event", event), ("Privilege", privilege), *headers])

    def emit_raw(self, event: str, msg: Headers) -> None:
        for listener in tuple(self._listeners):
            listener(event, msg)
        if self._watchers:
            watchers = self._watchers.get(channel_of(msg))
            if watchers:
                for listener in tuple(watchers):
                    listener(event, msg)
