"""Records on disk until a slow or absent database has them, so a kill -9 loses none.

One JSON file per record, written to a temporary name and renamed (atomic on POSIX): a crash leaves
either the whole record or none. Without fsync the files survive the process dying, not the machine
losing power. Records refused for good move to `rejected/`: dead letters an operator looks at.
Used by the call outbox (calls/spool.py) and the IVR's ticket drafts (tickets/draft_spool.py).
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class JsonSpool:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.rejected_dir = self.directory / "rejected"
        self.rejected_dir.mkdir(parents=True, exist_ok=True)
        # names sort in arrival order across restarts: this run's start in ns, then a counter
        self._seq = itertools.count()
        self._prefix = f"{time.time_ns():020d}"

    def write(self, data: dict[str, Any]) -> str:
        key = f"{self._prefix}-{next(self._seq):09d}.json"
        tmp = self.directory / f".{key}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.directory / key)
        return key

    def remove(self, key: str) -> None:
        (self.directory / key).unlink(missing_ok=True)

    def reject(self, key: str, reason: str) -> None:
        path = self.directory / key
        if path.exists():
            os.replace(path, self.rejected_dir / key)
            (self.rejected_dir / f"{key}.reason.txt").write_text(reason, encoding="utf-8")

    def load(self) -> list[tuple[str, dict[str, Any]]]:
        """What is waiting, oldest first; an unreadable file becomes a dead letter."""
        found = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                log.error("spool.unreadable file=%s: %s", path, exc)
                self.reject(path.name, f"unreadable: {exc}")
                continue
            found.append((path.name, data))
        return found

    def __len__(self) -> int:
        return sum(1 for _ in self.directory.glob("*.json"))

    def rejected_count(self) -> int:
        return sum(1 for _ in self.rejected_dir.glob("*.json"))
