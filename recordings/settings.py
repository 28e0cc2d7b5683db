"""Recordings settings, from `config.recordings` with defaults for the keys it lacks yet.

Keys read (section [recordings]): directory (path), retention_days (int, 180),
retention_by_line ({line: days}, {}), confidential_retention_days (int | None),
download_roles (list, ["supervisor"]), enabled (bool, true), mixmonitor_options (str, "b"),
retention_every_hours (float, 6), listen_audit_minutes (float, 10).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from agent_console.accounts.models import ROLES

from .naming import recordings_root
from .retention import RetentionPolicy


class SettingsError(ValueError):
    error_id = "recording.settings.invalid"


@dataclass(frozen=True)
class RecordingsSettings:
    directory: Path
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    download_roles: tuple[str, ...] = ("supervisor",)
    enabled: bool = True
    mixmonitor_options: str = "b"
    retention_every: timedelta = timedelta(hours=6)
    retention_start_delay: timedelta = timedelta(seconds=30)
    listen_audit_window: timedelta = timedelta(minutes=10)
    settle_seconds: float = 1.0
    schedule: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "directory", recordings_root(self.directory))
        bad = [r for r in self.download_roles if r not in ROLES]
        if bad:
            raise SettingsError(f"recordings.download_roles {bad}: expected roles from {ROLES}")
        if not set(self.mixmonitor_options) <= set("abvVWirtSpm()0123456789_ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
            raise SettingsError(f"recordings.mixmonitor_options {self.mixmonitor_options!r}: unexpected characters")

    @classmethod
    def from_config(cls, config, **overrides) -> RecordingsSettings:
        rec = config.recordings
        policy = RetentionPolicy(default_days=rec.retention_days,
                                 by_line=dict(getattr(rec, "retention_by_line", None) or {}),
                                 confidential_days=getattr(rec, "confidential_retention_days", None))
        values = dict(directory=rec.directory, zone=ZoneInfo(config.engine.timezone), retention=policy,
                      download_roles=tuple(getattr(rec, "download_roles", None) or ("supervisor",)),
                      enabled=getattr(rec, "enabled", True),
                      mixmonitor_options=getattr(rec, "mixmonitor_options", None) or "b",
                      retention_every=timedelta(hours=getattr(rec, "retention_every_hours", None) or 6),
                      listen_audit_window=timedelta(minutes=getattr(rec, "listen_audit_minutes", None) or 10))
        values.update(overrides)
        return cls(**values)
