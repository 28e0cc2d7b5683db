"""Reading a queue_log file from a saved position, safe across rotation and truncation.

The position is (inode, offset). On the next read:
- same inode, file at least as long: go on from the offset;
- same inode, file shorter (truncated, `> queue_log` or copytruncate): start again at 0;
- another inode (logrotate or `logger rotate` renamed it): finish the old file from the offset
  if it is still beside it (queue_log.0, queue_log.1, queue_log-20261202 ...), then the new one from 0.
Only whole lines are returned: a last line Asterisk is still writing waits for its newline.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class TailPosition:
    inode: int = 0
    offset: int = 0


@dataclass
class TailRead:
    lines: list[tuple[int, bytes]] = field(default_factory=list)   # (offset in the current file, line)
    position: TailPosition = field(default_factory=TailPosition)
    rotated: bool = False
    truncated: bool = False
    more: bool = False               # stopped at max_bytes: read again to go on
    missing: bool = False            # the file does not exist (yet)


class FileTail:
    def __init__(self, path: Path | str, *, max_bytes: int = 16 << 20) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes

    def read(self, position: TailPosition | None) -> TailRead:
        """Blocking; the follower runs it in a thread."""
        position = position or TailPosition()
        result = TailRead(position=position)
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            result.missing = True
            return result
        offset = position.offset
        if position.inode and stat.st_ino != position.inode:
            result.rotated = True
            old = self._rotated_file(position.inode)
            if old is not None:
                for _off, line in self._read_from(old, position.offset, self.max_bytes)[0]:
                    result.lines.append((0, line))  # the old file's tail counts as the new file's start
            offset = 0
        elif stat.st_size < offset:
            result.truncated = True
            offset = 0
        lines, end, more = self._read_from(self.path, offset, self.max_bytes)
        result.lines.extend(lines)
        result.position = TailPosition(stat.st_ino, end)
        result.more = more
        return result

    @staticmethod
    def _read_from(path: Path, offset: int, max_bytes: int) -> tuple[list[tuple[int, bytes]], int, bool]:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read(max_bytes + 1)
        more = len(data) > max_bytes
        data = data[:max_bytes]
        cut = data.rfind(b"\n")
        if cut < 0:
            return [], offset, False if not more else True
        data = data[: cut + 1]
        lines, start = [], 0
        for piece in data.splitlines(keepends=True):
            lines.append((offset + start, piece))
            start += len(piece)
        return lines, offset + len(data), more

    def _rotated_file(self, inode: int) -> Path | None:
        parent, name = self.path.parent, self.path.name
        try:
            entries = list(os.scandir(parent))
        except OSError:
            return None
        for entry in entries:
            if entry.name != name and entry.name.startswith(name) and entry.is_file():
                try:
                    if entry.inode() == inode:
                        return Path(entry.path)
                except OSError:
                    continue
        return None
