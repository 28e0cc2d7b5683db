"""MixMonitor recordings: start/stop/mute per channel, written as real 8 kHz 16-bit mono WAV.

The stand-in has no media; the file holds silence plus the citizen's speech (if the call's
trunk channel has one) for the recorded simulated duration, minus nothing for muting
(muted stretches are silence, as in Asterisk).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .recording import RATE, write_recording

if TYPE_CHECKING:
    from .channels import Channel
    from .pbx import Pbx


@dataclass
class MixMonitor:
    pbx: Pbx
    chan: Channel
    filename: str
    target: Path
    monitor_id: str
    started: float
    muted_since: float | None = None
    muted_total: float = 0.0
    closed: bool = False
    mutes: list[tuple[float, float]] = field(default_factory=list)

    def mute(self, on: bool) -> None:
        now = self.pbx.clock.now()
        if on and self.muted_since is None:
            self.muted_since = now
        elif not on and self.muted_since is not None:
            self.mutes.append((self.muted_since, now))
            self.muted_since = None

    def close(self) -> None:
        """Write the file and announce MixMonitorStop (also called when the channel hangs up)."""
        if self.closed:
            return
        self.closed = True
        self.mute(False)
        samples = int(round((self.pbx.clock.now() - self.started) * RATE))
        speech = None
        for c in (self.chan, self.chan.peer):
            source = getattr(getattr(c, "endpoint", None), "speech_for_recording", None) if c is not None else None
            if source:
                speech = source[0]
        try:
            write_recording(self.target, samples, speech)
        except OSError:
            pass
        if self in self.chan.mixmonitors:
            self.chan.mixmonitors.remove(self)
        self.pbx.chan_event("MixMonitorStop", self.chan)


def spool_path(pbx: Pbx, filename: str) -> Path:
    if pbx.spool_dir is not None:
        return pbx.spool_dir / filename.lstrip("/")
    return Path(filename)


def start(pbx: Pbx, chan: Channel, filename: str, options: str) -> MixMonitor:
    """Start recording; options `i(VAR)` stores the MixMonitor id in VAR (fact 28)."""
    mon = MixMonitor(pbx, chan, filename, spool_path(pbx, filename), pbx.ids.mixmonitor_id(), pbx.clock.now())
    chan.mixmonitors.append(mon)
    if "i(" in options:
        var = options.split("i(", 1)[1].split(")", 1)[0]
        pbx.set_var(chan, var, mon.monitor_id)
    pbx.set_var(chan, "MIXMONITOR_FILENAME", filename)
    pbx.chan_event("MixMonitorStart", chan)
    return mon


def stop(chan: Channel, monitor_id: str | None = None) -> bool:
    for mon in list(chan.mixmonitors):
        if monitor_id is None or mon.monitor_id == monitor_id:
            mon.close()
            return True
    return False
