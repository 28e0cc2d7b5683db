"""MixMonitor(file,options) / StopMixMonitor([id]) dialplan applications."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import mixmonitor

if TYPE_CHECKING:
    from ..channels import Channel
    from ..pbx import Pbx


async def mix_monitor_app(pbx: Pbx, chan: Channel, data: str) -> None:
    filename, _, rest = data.partition(",")
    options = rest.split(",", 1)[0]
    if filename.strip():
        mixmonitor.start(pbx, chan, filename.strip(), options)


async def stop_mix_monitor_app(pbx: Pbx, chan: Channel, data: str) -> None:
    mixmonitor.stop(chan, data.strip() or None)


RECORDING_APPS = {"mixmonitor": mix_monitor_app, "stopmixmonitor": stop_mix_monitor_app}
