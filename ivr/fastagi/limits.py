"""Resource and time limits of the FastAGI server; one frozen value passed in by the caller."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    """Defaults fit a 12345 IVR: a real agi_* block is ~600 bytes, prompts last seconds.

    `hangup_grace`: a -1 result is either an error (missing prompt) or a hang-up; Asterisk
    sends the HANGUP line ~40 ms after the -1 (traces 03a/03c), so we wait this long for it.
    `max_header_bytes` is also the stream buffer limit, so it caps any single reply line too;
    `max_line_bytes` caps each environment line. Header and command timeouts are enforced by a sweep every `sweep_interval` seconds.
    """

    max_header_bytes: int = 16 * 1024
    max_line_bytes: int = 8 * 1024
    header_timeout: float = 5.0
    command_timeout: float = 10.0
    media_timeout: float = 600.0
    hangup_grace: float = 0.25
    max_usage_lines: int = 200
    sweep_interval: float = 0.5
