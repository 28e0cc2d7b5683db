"""Placing an outbound leg for Dial()/Queue(): Local pairs and simulated endpoints (PJSIP/…).

`OutboundLeg` reports ringing/answer/hangup through asyncio events so the dialer
(queue engine or Dial) can race them against its own timeouts.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .channels import DOWN, RINGING, UP, Channel

if TYPE_CHECKING:
    from .pbx import Pbx


class OutboundLeg:
    """One called interface: `chan` is what the caller sees (the `;1` half for Local)."""

    def __init__(self, pbx: Pbx, caller: Channel, interface: str, app_name: str) -> None:
        self.pbx = pbx
        self.caller = caller
        self.interface = interface
        self.app_name = app_name
        self.chan: Channel | None = None
        self.ringing = asyncio.Event()
        self.answered = asyncio.Event()
        self.failed = False
        self.dial_string = interface.split("/", 1)[1] if "/" in interface else interface
        self.started = pbx.clock.now()

    def create(self) -> bool:
        """Create the channel(s) and emit the pre-dial events; False if the interface is unusable."""
        pbx, caller = self.pbx, self.caller
        tech = self.interface.split("/", 1)[0]
        if tech == "Local":
            target = self.dial_string.split("/", 1)[0]
            one, two = pbx.new_local_pair(target, linkedid=caller.linkedid)
            one.owned = True
            if self.app_name == "AppDial":
                # Dial: the leg shows the dialed exten as its number and gets its connected line at once (05a)
                one.exten = caller.exten
                pbx.newexten(one, self.app_name, "(Outgoing Line)")
                pbx.set_callerid(one, caller.exten, caller.caller_name)
                pbx.set_connected(one, caller.caller_num, caller.caller_name)
                pbx.set_callerid(two, caller.caller_num, caller.caller_name)
                pbx.set_connected(two, caller.exten, caller.caller_name)
            else:
                pbx.newexten(one, self.app_name, "(Outgoing Line)")
                pbx.set_callerid(one, caller.caller_num, caller.caller_name)
                pbx.set_callerid(two, caller.caller_num, caller.caller_name)
                pbx.set_connected(two, caller.caller_num, caller.caller_name)
            pbx.local_bridge_event(one, two)
            self._inherit(one, two)
            one.exten = caller.exten
            self.chan = one
            one.state_watchers.append(self._on_state)
            self._two = two
            return True
        endpoint, target = pbx.devices.lookup(self.interface)
        if endpoint is None or target is None or not endpoint.available():
            self.failed = True
            return False
        name = f"{target.device}-{pbx.ids.channel_suffix()}"
        chan = pbx.new_channel(name, context="from-internal", exten=caller.exten, state=DOWN, linkedid=caller.linkedid)
        chan.owned = True
        chan.endpoint = endpoint
        pbx.set_callerid(chan, endpoint.number, endpoint.name)
        pbx.set_connected(chan, caller.caller_num, caller.caller_name)
        chan.state_watchers.append(self._on_state)
        self._inherit(chan)
        self.chan = chan
        return True

    def _inherit(self, *targets: Channel) -> None:
        """`_VAR` / `__VAR` of the caller are set on the new channels (`__` keeps inheriting)."""
        for name, forever in self.caller.inherit.items():
            value = self.caller.variables.get(name)
            if value is None:
                continue
            for target in targets:
                target.variables[name] = value
                if forever:
                    target.inherit[name] = True

    def start(self) -> None:
        """After AgentCalled/DialBegin: let the far side run (dialplan or endpoint script)."""
        if self.chan is None:
            return
        if self.chan.tech == "Local":
            self.pbx.start_dialplan(self._two)
        else:
            self.pbx.spawn(self.chan.endpoint.on_incoming(self.pbx, self.chan), name=f"endpoint {self.chan.name}")

    def _on_state(self, chan: Channel) -> None:
        if chan.state == RINGING and not self.ringing.is_set():
            self.ringing.set()
            if chan.tech == "Local" and self.app_name == "AppQueue":
                self.pbx.newexten(chan, self.app_name, "(Outgoing Line)")
                self.pbx.set_connected(chan, self.caller.caller_num, self.caller.caller_name)
        elif chan.state == UP and not self.answered.is_set():
            self.answered.set()
            if chan.tech == "Local" and self.app_name == "AppQueue":
                self.pbx.newexten(chan, self.app_name, "(Outgoing Line)")
                self.pbx.set_connected(chan, self.caller.caller_num, self.caller.caller_name)

    def cancel(self, cause: int = 0) -> None:
        """Hang up an unanswered (or finished) leg; the Local `;2` then unwinds on its own."""
        if self.chan is not None and not self.chan.gone:
            self.chan.owned = False
            self.pbx.destroy(self.chan, cause)
