"""Bridge and connected-line operations of the simulated core (mixed into Pbx).

Kept apart from pbx.py so the channel lifecycle and the bridge model can be read separately.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .channels import Bridge, bridge_block, channel_block

if TYPE_CHECKING:
    from .channels import Channel


class BridgeOps:
    bridges: dict[str, Bridge]
    ids: Any

    def emit(self, event: str, privilege: str, headers: list) -> None:  # provided by Pbx
        raise NotImplementedError

    def set_connected(self, chan: Channel, num: str | None, name: str | None) -> None:  # provided by Pbx
        raise NotImplementedError

    def set_callerid(self, chan: Channel, num: str | None, name: str | None) -> None:  # provided by Pbx
        raise NotImplementedError

    def update_connected(self, chan: Channel, num: str | None, name: str | None) -> None:
        """Connected line changes on `chan`; a Local peer sees it as a caller-id change once it next
        services its frames (after its current application, or at hangup), as in 05c."""
        self.set_connected(chan, num, name)
        if chan.tech == "Local" and chan.peer is not None and not chan.peer.gone:
            chan.peer.pending_callerid = (num, name)

    def flush_callerid(self, chan: Channel) -> None:
        if chan.pending_callerid is not None:
            num, name = chan.pending_callerid
            chan.pending_callerid = None
            self.set_callerid(chan, num, name)

    # ---- bridges ---------------------------------------------------------------------------
    def create_bridge(self, **kwargs: Any) -> Bridge:
        bridge = Bridge(self.ids.bridge_id(), **kwargs)
        self.bridges[bridge.uniqueid] = bridge
        self.emit("BridgeCreate", "call,all", bridge_block(bridge))
        return bridge

    def bridge_enter(self, bridge: Bridge, chan: Channel) -> None:
        bridge.channels.append(chan)
        chan.bridge = bridge
        self.emit("BridgeEnter", "call,all", [*bridge_block(bridge), *channel_block(chan)])
        bridge.touch()

    def bridge_leave(self, chan: Channel) -> None:
        bridge = chan.bridge
        if bridge is None:
            return
        if chan in bridge.channels:
            bridge.channels.remove(chan)
        chan.bridge = None
        self.emit("BridgeLeave", "call,all", [*bridge_block(bridge), *channel_block(chan)])
        if len(bridge.channels) == 2 and bridge.technology == "softmix" and bridge.bridge_type == "basic":
            a, b = bridge.channels  # a three-way dropped back to two parties: they now see each other (09b)
            self.update_connected(b, a.caller_num, a.caller_name)
            self.update_connected(a, b.caller_num, b.caller_name)
        bridge.touch()

    def destroy_bridge(self, bridge: Bridge) -> None:
        for chan in list(bridge.channels):
            self.bridge_leave(chan)
        if self.bridges.pop(bridge.uniqueid, None) is not None:
            self.emit("BridgeDestroy", "call,all", bridge_block(bridge))
