"""Simulated citizens for the load: the stand-in's `Citizen`, with one shared event listener.

`asterisk_standin.people.Citizen.place` adds one Pbx listener per call, and `Pbx.emit` runs
every listener on every event (each building a dict of the message). With N calls up, each
event costs O(N): at N=400 that was 20 M listener calls and ~45 % of the stand-in's CPU, so
the load generator, not the engine, set the pace. `Switchboard` dispatches by the event's
`Channel` header instead (O(1)); `stock=True` keeps the stand-in's own path for comparison.
"""
from __future__ import annotations

from collections.abc import Callable

from asterisk_standin.channels import RING
from asterisk_standin.people import CallOutcome, Citizen
from asterisk_standin.pbx import Pbx

Listener = Callable[[str, list], None]


class Switchboard:
    """One Pbx listener; per-call listeners keyed by channel name (removed again on Hangup)."""

    def __init__(self, pbx: Pbx) -> None:
        self._by_channel: dict[str, Listener] = {}
        self._names: dict[int, str] = {}
        pbx.add_listener(self)

    def add(self, channel: str, listener: Listener) -> None:
        self._by_channel[channel] = listener
        self._names[id(listener)] = channel

    def remove_listener(self, listener: Listener) -> None:
        """Called by the citizen's own listener when its channel hangs up (as it would on the Pbx)."""
        name = self._names.pop(id(listener), None)
        if name is not None:
            self._by_channel.pop(name, None)

    def __call__(self, event: str, msg: list) -> None:
        for key, value in msg:
            if key == "Channel":
                listener = self._by_channel.get(value)
                if listener is not None:
                    listener(event, msg)
                return

    def __len__(self) -> int:
        return len(self._by_channel)


def place(citizen: Citizen, pbx: Pbx, board: Switchboard | None) -> CallOutcome:
    """`Citizen.place` without a script task, its listener on `board` (stock path when None)."""
    if board is None:
        return citizen.place(pbx)
    chan = pbx.new_channel(f"{citizen.trunk}-{pbx.ids.channel_suffix()}", context=citizen.context,
                           exten=citizen.dialed, state=RING)
    chan.endpoint = citizen
    chan.caller_num, chan.caller_name = citizen.caller_num, citizen.caller_name
    chan.conn_num, chan.conn_name = None, None
    chan.variables["__DNID"] = citizen.dialed
    out = citizen.outcome
    out.linkedid, out.channel = chan.linkedid, chan.name
    board.add(chan.name, citizen._listener(board, chan))  # noqa: SLF001 - the stand-in's own outcome tracking
    pbx.start_dialplan(chan)
    return out
