"""Basic two-party bridges used by Dial() and Queue() and how the caller side waits in them.

`stay_bridged()` is the caller application's view of its bridge: it returns when the caller
hangs up or is redirected, or when nobody else is left. Members that hang up or are
redirected are handled as they go, and members can come and go meanwhile (an attended
transfer merges its target into the bridge), so the caller stays with whoever is there.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .channels import Bridge, Channel
    from .pbx import Pbx


def open_bridge(pbx: Pbx, callee: Channel, caller: Channel) -> Bridge:
    bridge = pbx.create_bridge()
    pbx.bridge_enter(bridge, callee)
    pbx.bridge_enter(bridge, caller)
    return bridge


def close_bridge(pbx: Pbx, bridge: Bridge) -> None:
    pbx.destroy_bridge(bridge)


async def stay_bridged(pbx: Pbx, bridge: Bridge, caller: Channel,
                       on_leave: Callable[[Channel, str], None] | None = None) -> str:
    """Wait in `bridge`; returns "caller" (hung up), "moved" (redirected) or "alone".

    `on_leave(member, why)` runs before a member's BridgeLeave (why = "hangup" / "moved"),
    e.g. for Queue's AgentComplete, which Asterisk sends before the BridgeLeave (fact 15).
    """
    from .redirect import release_leg

    while True:
        for other in [c for c in bridge.channels if c is not caller]:
            if not other.alive:
                if on_leave:
                    on_leave(other, "hangup")
                pbx.bridge_leave(other)
                if other.owned:
                    other.owned = False
                    pbx.destroy(other)
            elif other.redirect_to is not None:
                if on_leave:
                    on_leave(other, "moved")
                release_leg(pbx, other)
        if not caller.alive:
            return "caller"
        if caller.redirect_to is not None:
            return "moved"
        others = [c for c in bridge.channels if c is not caller]
        if not others and not bridge.hold_open:
            return "alone"
        waiters = [asyncio.ensure_future(e.wait()) for e in (caller.attention, bridge.changed, *(o.attention for o in others))]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in waiters:
                fut.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)


def release_others(pbx: Pbx, bridge: Bridge, caller: Channel) -> None:
    """The caller leaves for good: remaining dialed legs are hung up (05a single Redirect)."""
    for other in [c for c in bridge.channels if c is not caller]:
        pbx.bridge_leave(other)
        if other.owned:
            other.owned = False
            pbx.destroy(other, 16)
