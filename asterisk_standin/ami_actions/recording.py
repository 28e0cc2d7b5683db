"""Recording actions: MixMonitor, StopMixMonitor, MixMonitorMute (trace 06, fact 28)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import mixmonitor
from ..ami_wire import error, response

if TYPE_CHECKING:
    from ..ami_server import AmiServer, AmiSession
    from ..ami_wire import Request


def _channel(server: AmiServer, s: AmiSession, req: Request):
    name = req.get("Channel").strip()
    if not name:
        s.send(error(req.action_id, "No channel specified"))
        return None
    chan = server.pbx.find_channel(name)
    if chan is None:
        s.send(error(req.action_id, "No such channel"))
    return chan


async def mix_monitor(server: AmiServer, s: AmiSession, req: Request) -> None:
    chan = _channel(server, s, req)
    if chan is None:
        return
    filename = req.get("File").strip()
    if not filename:
        s.send(error(req.action_id, "Could not start monitoring channel"))
        return
    options = req.get("Options")
    if "i(" in options:
        mon = mixmonitor.start(server.pbx, chan, filename, options)
        s.send(response("Success", req.action_id, ("MixMonitorID", mon.monitor_id)))
        return
    s.send(response("Success", req.action_id))
    mixmonitor.start(server.pbx, chan, filename, options)


async def stop_mix_monitor(server: AmiServer, s: AmiSession, req: Request) -> None:
    chan = _channel(server, s, req)
    if chan is None:
        return
    wanted = req.get("MixMonitorID").strip() or None
    found = [m for m in chan.mixmonitors if wanted is None or m.monitor_id == wanted]
    if not found:
        s.send(error(req.action_id, "Could not stop monitoring channel"))
        return
    s.send(response("Success", req.action_id))
    found[0].close()


async def mix_monitor_mute(server: AmiServer, s: AmiSession, req: Request) -> None:
    chan = _channel(server, s, req)
    if chan is None:
        return
    direction = req.get("Direction").strip().lower() or "both"
    if direction not in ("read", "write", "both"):
        s.send(error(req.action_id, "Invalid direction specified. Must be read, write or both"))
        return
    state = req.get("State").strip().lower() in ("1", "true", "yes", "on")
    for mon in chan.mixmonitors:
        mon.mute(state)
    s.send(response("Success", req.action_id))
    server.pbx.chan_event("MixMonitorMute", chan, ("Direction", direction), ("State", int(state)))


RECORDING_ACTIONS = {"mixmonitor": mix_monitor, "stopmixmonitor": stop_mix_monitor, "mixmonitormute": mix_monitor_mute}
