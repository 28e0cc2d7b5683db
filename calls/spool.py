"""Finished calls on disk until the call log has them (hotline/spool.py), so a kill -9 loses none."""
from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from calls.codes import Outcome
from calls.finished import FinishedCall
from hotline.spool import JsonSpool

log = logging.getLogger(__name__)

_TIMES = ("started_at", "ended_at", "answered_at", "left_queue_at")


def to_json(record: FinishedCall) -> dict:
    data = asdict(record)
    data["outcome"] = record.outcome.value
    for name in _TIMES:
        if data[name] is not None:
            data[name] = data[name].isoformat()
    return data


def from_json(data: dict) -> FinishedCall:
    data = dict(data)
    data["outcome"] = Outcome(data["outcome"])
    for name in _TIMES:
        if data.get(name) is not None:
            data[name] = datetime.fromisoformat(data[name])
    return FinishedCall(**data)


class DiskSpool:
    """The outbox's side of a JsonSpool: FinishedCall in, FinishedCall out."""

    def __init__(self, directory: Path) -> None:
        self._spool = JsonSpool(directory)

    def write(self, record: FinishedCall) -> str:
        return self._spool.write(to_json(record))

    def remove(self, key: str) -> None:
        self._spool.remove(key)

    def reject(self, key: str, reason: str) -> None:
        self._spool.reject(key, reason)

    def load(self) -> list[tuple[str, FinishedCall]]:
        found = []
        for key, data in self._spool.load():
            try:
                found.append((key, from_json(data)))
            except (ValueError, TypeError, KeyError) as exc:
                log.error("calls.spool_unreadable file=%s: %s", key, exc)
                self._spool.reject(key, f"unreadable: {exc}")
        return found

    def rejected_count(self) -> int:
        return self._spool.rejected_count()
