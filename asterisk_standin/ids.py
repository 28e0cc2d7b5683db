"""Identifier allocation the way Asterisk numbers things.

Uniqueid `<epoch>.<seq>` (epoch = process start, seq counts every channel),
Local channel suffix `-0000000N` (hex, per process), bridge ids as UUIDs.
"""
from __future__ import annotations

import random
import uuid


class IdAllocator:
    def __init__(self, start_epoch: float, *, rng: random.Random | None = None) -> None:
        self._epoch = int(start_epoch)
        self._chan_seq = 0
        self._local_seq = 0
        self._rng = rng or random.Random()

    def uniqueid(self) -> str:
        value = f"{self._epoch}.{self._chan_seq}"
        self._chan_seq += 1
        return value

    def channel_suffix(self) -> str:
        """`0000000N` suffix shared by Local/…, PJSIP/… and other tech channels."""
        value = f"{self._local_seq:08x}"
        self._local_seq += 1
        return value

    def bridge_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def command_id(self) -> str:
        return str(self._rng.randrange(1, 2**31))

    def session_id(self) -> str:
        return f"0x{self._rng.randrange(0x7F0000000000, 0x7FFFFFFFFFFF):x}"

    def mixmonitor_id(self) -> str:
        return f"0x{self._rng.randrange(0x7F0000000000, 0x7FFFFFFFFFFF):x}"
