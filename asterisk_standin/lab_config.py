"""The config directory the stand-in runs from (extensions/queues/features/manager .conf)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config_files import Section, read_config, section_map
from .dialplan import Context, parse_dialplan


@dataclass
class ManagerUser:
    name: str
    secret: str
    read: str = "all"
    write: str = "all"


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
            users[sec.name] = ManagerUser(sec.name, sec.get("secret", "") or "", sec.get("read", "all") or "all", sec.get("write", "all") or "all")
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
