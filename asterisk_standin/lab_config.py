"""The config directory the stand-in runs from (extensions/queues/features/manager .conf)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from .ami_filters import EventFilters, FilterError, parse_filter
from .config_files import Section, read_config, section_map
from .dialplan import Context, parse_dialplan

log = logging.getLogger(__name__)


@dataclass
class ManagerUser:
    """A manager.conf user. Without `read =` the stand-in keeps `all` (Asterisk would send no events)."""

    name: str
    secret: str
    read: str = "all"
    write: str = "all"
    filters: EventFilters = field(default_factory=EventFilters)


def manager_user(sec: Section) -> ManagerUser:
    """One user section; filters Asterisk refuses are logged and skipped as manager.c does."""
    user = ManagerUser(sec.name, sec.get("secret", "") or "", sec.get("read", "all") or "all", sec.get("write", "all") or "all")
    for key, value in sec.items:
        if key.lower().startswith("eventfilter"):
            try:
                user.filters.add(parse_filter(key, value))
            except FilterError as exc:
                log.warning("manager.conf [%s]: %s", sec.name, exc)
    return user


@dataclass
class LabConfig:
    contexts: dict[str, Context] = field(default_factory=dict)
    globals: dict[str, str] = field(default_factory=dict)
    queues: list[Section] = field(default_factory=list)
    features: dict[str, Section] = field(default_factory=dict)
    users: dict[str, ManagerUser] = field(default_factory=dict)

    @classmethod
    def load(cls, config_dir: Path) -> LabConfig:
        ext_sections = read_config(config_dir / "extensions.conf")
        globals_: dict[str, str] = {}
        for sec in ext_sections:
            if sec.name == "globals":
                globals_.update(dict(sec.items))
        users: dict[str, ManagerUser] = {}
        for sec in read_config(config_dir / "manager.conf"):
            if sec.name in ("general", ""):
                continue
            users[sec.name] = manager_user(sec)
        return cls(
            contexts=parse_dialplan(ext_sections),
            globals=globals_,
            queues=[s for s in read_config(config_dir / "queues.conf") if s.name not in ("general", "")],
            features=section_map(read_config(config_dir / "features.conf")),
            users=users,
        )

    def feature(self, name: str) -> str | None:
        fm = self.features.get("featuremap")
        return fm.get(name) if fm else None
