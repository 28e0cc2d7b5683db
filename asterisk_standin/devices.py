"""Devices of the simulated core: dial strings → simulated endpoints, live channels per device, device states.

chan_pjsip resolves `PJSIP/119@emergency-trunk` as number 119 on endpoint `emergency-trunk` and names
the channel after the endpoint (`PJSIP/emergency-trunk-0000000N`); `PJSIP/8001` and `PJSIP/8001/<aor>`
are endpoint 8001. A simulated phone may be registered under the whole dial string (one number of a
trunk) or under the endpoint (`PJSIP/emergency-trunk`, every number). Live channels are indexed per
device so a state change costs O(channels of that device), not O(all channels).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .channels import DOWN, RINGING, UP

if TYPE_CHECKING:
    from .channels import Channel
    from .pbx import Pbx


@dataclass(frozen=True)
class DialTarget:
    """One interface of Dial()/Queue()/Originate: technology, endpoint and the optional number."""

    tech: str
    endpoint: str
    number: str | None = None

    @property
    def device(self) -> str:
        """Device (and channel name prefix) as Asterisk names it: `PJSIP/<endpoint>`."""
        return f"{self.tech}/{self.endpoint}"


def parse_dial_target(interface: str) -> DialTarget | None:
    """`TECH/[number@]endpoint[/aor]` → DialTarget; None when it is not a dial string at all."""
    tech, slash, resource = interface.partition("/")
    resource = resource.split("/", 1)[0]
    if not slash or not tech or not resource:
        return None
    number, at, endpoint = resource.rpartition("@")
    if not at:
        return DialTarget(tech, resource)
    if not endpoint or not number:
        return None
    return DialTarget(tech, endpoint, number)


def device_of(channel_name: str) -> str:
    """`PJSIP/8001-0000000a` → `PJSIP/8001`; `Local/x@ctx-0000000b;1` → `Local/x@ctx`."""
    return channel_name.rsplit("-", 1)[0]


class Devices:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx
        self.endpoints: dict[str, Any] = {}
        self._simulated: dict[str, int] = {}
        self._live: dict[str, dict[Channel, None]] = {}
        self._states: dict[str, str] = {}

    # ---- simulated endpoints -------------------------------------------------------------------
    def register(self, interface: str, endpoint: Any) -> None:
        """A simulated phone answers calls to `interface` (dial string or endpoint)."""
        target = parse_dial_target(interface)
        if interface not in self.endpoints and target is not None:
            self._simulated[target.device] = self._simulated.get(target.device, 0) + 1
        self.endpoints[interface] = endpoint

    def lookup(self, interface: str) -> tuple[Any | None, DialTarget | None]:
        """The simulated phone for a dial string (exact string first, then its endpoint) and the parsed target."""
        target = parse_dial_target(interface)
        endpoint = self.endpoints.get(interface)
        if endpoint is None and target is not None:
            endpoint = self.endpoints.get(target.device)
        return endpoint, target

    def is_simulated(self, device: str) -> bool:
        return device in self._simulated or device in self.endpoints

    # ---- live channels ---------------------------------------------------------------------------
    def channel_added(self, chan: Channel) -> None:
        self._live.setdefault(device_of(chan.name), {})[chan] = None

    def channel_removed(self, chan: Channel) -> None:
        device = device_of(chan.name)
        live = self._live.get(device)
        if live is not None:
            live.pop(chan, None)
            if not live:
                del self._live[device]

    def live(self, device: str) -> list[Channel]:
        return [c for c in self._live.get(device, ()) if not c.gone]

    # ---- device states ---------------------------------------------------------------------------
    def update(self, chan: Channel) -> None:
        """Device state of the channel's device → DeviceStateChange (on change) and QueueMemberStatus.

        Local devices are INUSE while any of their channels is past Down (traces 02a/02b); simulated
        phones (PJSIP/…) report RINGING / INUSE / NOT_INUSE from their channels.
        """
        if chan.name.startswith("CBAnn/"):
            return
        device = device_of(chan.name)
        if chan.tech == "Local":
            busy = any(c.state != DOWN for c in self.live(device))
            state, status = ("INUSE", 2) if busy else ("NOT_INUSE", 1)
        elif self.is_simulated(device):
            states = {c.state for c in self.live(device)}
            state, status = ("INUSE", 2) if UP in states else ("RINGING", 6) if RINGING in states else ("NOT_INUSE", 1)
        else:
            return
        if self._states.get(device) != state:
            self._states[device] = state
            self.pbx.device_state(device, state)
        self.pbx.queues.set_member_status(device, status)
