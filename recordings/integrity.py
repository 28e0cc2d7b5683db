"""Checking a catalogued recording against its file: missing and damaged files are flagged.

The first check after the recording ends fixes size and sha256; every later one compares to
them. A quick check only stats the file (size and mtime); a full one re-reads and re-hashes it
(before serving a file, and whenever the quick check sees a change).
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from .catalogue import Catalogue, RecordingView
from .filecheck import FileCheck, inspect_file, stat_matches
from .models import State
from .naming import is_inside

log = logging.getLogger(__name__)


def judge(view: RecordingView, check: FileCheck, first: bool) -> tuple[State, str | None]:
    if not check.exists:
        return State.MISSING, check.problem
    if not check.valid:
        return State.DAMAGED, check.problem
    if not first and check.sha256 != view.sha256:
        return State.DAMAGED, f"校验和已改变 / sha256 changed ({view.size_bytes} -> {check.size} bytes)"
    return State.COMPLETE, None


async def verify(catalogue: Catalogue, view: RecordingView, root: Path, *, full: bool = False) -> RecordingView:
    """Returns the row as it stands after the check (its state may have become missing/damaged)."""
    if view.state in (State.DELETED, State.RECORDING):
        return view
    path = Path(view.file_path)
    if not is_inside(root, path):
        return await _flag(catalogue, view, State.DAMAGED, None, "文件不在录音目录内 / outside the recordings directory")
    first = view.sha256 is None
    if not first and not full:
        same = await asyncio.to_thread(stat_matches, path, view.size_bytes, view.file_mtime_ns)
        if same or (same is None and view.state is State.MISSING):
            return view  # nothing changed on disk since the last check
    check = await asyncio.to_thread(inspect_file, path)
    state, problem = judge(view, check, first)
    if state is view.state and problem == view.problem and not first and check.mtime_ns == view.file_mtime_ns:
        return view
    return await _flag(catalogue, view, state, check, problem, first=first)


async def _flag(catalogue: Catalogue, view: RecordingView, state: State, check: FileCheck | None,
                problem: str | None, *, first: bool = False) -> RecordingView:
    if state is not State.COMPLETE:
        log.warning("recordings.flagged id=%s linkedid=%s state=%s file=%s problem=%s", view.id, view.linkedid,
                    state.value, view.file_path, problem)
    return await catalogue.record_check(view.id, state, check, problem, first=first)
