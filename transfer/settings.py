"""What transfers read from the engine's configuration (all with defaults; [transfer] is optional)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TransferSettings:
    """Config keys: [emergency] (targets, ring_timeout) and the optional [transfer] section."""

    emergency_targets: Mapping[str, str]
    emergency_ring_timeout: int = 60
    subcenter_ring_timeout: int = 30
    linkage_context: str = "emergency-linkage"     # rendered by queues/ (hotline-lines.conf)
    conference_context: str = "hotline-conference"  # asterisk-config/extensions.conf [hotline-conference]
    subcenter_context: str = "hotline-route"
    subcenter_queue_context: str = "hotline-subcenter-queue"  # extensions.conf: a queue-only sub-center's seats
    caller_id: str = "12345"

    @classmethod
    def from_config(cls, config) -> TransferSettings:
        section = getattr(config, "transfer", None)
        return cls(config.emergency.targets(), config.emergency.ring_timeout,
                   getattr(section, "subcenter_ring_timeout", 30),
                   getattr(section, "linkage_context", "emergency-linkage"),
                   getattr(section, "conference_context", "hotline-conference"))
