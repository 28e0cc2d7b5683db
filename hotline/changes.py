"""Settings an admin saves, announced: whoever keeps a copy elsewhere (the IVR worker process) hears of it.

The engine process owns the one `SettingsChanges`; `LineService.save` and `SettingsStore.put`
notify it after their transaction committed, so a listener that re-reads finds the new value.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class SettingsChanges:
    def __init__(self) -> None:
        self._listeners: list[Callable[[str], None]] = []

    def listen(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """`listener(what)` runs for every save (`what`: "lines" or a console setting's key); returns the unlisten."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def notify(self, what: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(what)
            except Exception:  # noqa: BLE001 - a listener failing must not fail the admin's save
                log.exception("settings change listener failed (%s)", what)
