"""Where a recording goes: an absolute path under the configured directory, named by date and Linkedid.

`<dir>/<YYYY>/<MM>/<DD>/<YYYYMMDD-HHMMSS>-<linkedid>.wav`, the date in the hotline's time zone
(what a supervisor searching "yesterday" means). Anything in a Linkedid that is not a safe
file-name character is replaced, so a hostile channel variable cannot escape the directory.
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

_UNSAFE = re.compile(r"[^0-9A-Za-z._-]")


class UnsafeDirectory(ValueError):
    error_id = "recording.directory.invalid"


def recordings_root(directory: Path | str) -> Path:
    root = Path(directory).expanduser().resolve()
    if str(root) == root.anchor:
        raise UnsafeDirectory(f"录音目录不能是根目录 / recordings directory {directory!r} resolves to {root}")
    return root


def recording_path(root: Path, linkedid: str, started_at: datetime, zone: ZoneInfo) -> Path:
    local = started_at.astimezone(zone)
    safe = _UNSAFE.sub("_", linkedid).strip(".") or "call"
    return root / f"{local:%Y}" / f"{local:%m}" / f"{local:%d}" / f"{local:%Y%m%d-%H%M%S}-{safe[:64]}.wav"


def is_inside(root: Path, path: Path | str) -> bool:
    """Files are only ever served or deleted when they lie under the recordings directory."""
    try:
        Path(path).resolve().relative_to(root)
    except ValueError:
        return False
    return True
