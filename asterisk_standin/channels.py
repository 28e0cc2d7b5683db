"""Channel and bridge model (what Asterisk calls ast_channel / ast_bridge), plus their AMI blocks.

A Channel is plain state plus three async primitives used by applications:
`sleep()` (aborts on hangup), `wait_digit()` and `hangup_event`. Local channels come in
pairs (`;1` is the dialed half, `;2` runs the dialplan); `peer` links the halves.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .clock import Clock

STATE_DESC = {0: "Down", 1: "Rsrvd", 2: "OffHook", 3: "Dialing", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}
DOWN, RING, RINGING, UP = 0, 4, 5, 6
UNKNOWN = "<unknown>"
CAUSE_TEXT = {0: "Unknown", 16: "Normal Clearing", 17: "User busy", 19: "No user responding", 21: "Call Rejected", 1: "Unallocated (unassigned) number", 34: "Circuit/channel congestion"}


class ChannelHungUp(Exception):
    """Raised inside an application when its channel has been hung up."""

    error_id = "standin.channel_hung_up"


class ChannelRedirected(Exception):
    """Raised inside an application when AMI Redirect/BlindTransfer moved its channel elsewhere."""

    error_id = "standin.channel_redirected"


@dataclass
class Bridge:
    uniqueid: str
    technology: str = "simple_bridge"
    bridge_type: str = "basic"
    creator: str = UNKNOWN
    name: str = UNKNOWN
    channels: list[Channel] = field(default_factory=list)
    video_mode: str = "none"
    hold_open: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def touch(self) -> None:
        """Wake whoever waits on this bridge's membership."""
        old, self.changed = self.changed, asyncio.Event()
        old.set()


class Channel:
    def __init__(self, clock: Clock, name: str, uniqueid: str, linkedid: str, *, context: str, exten: str, state: int = DOWN) -> None:
        self.clock = clock
        self.name = name
        self.uniqueid = uniqueid
        self.linkedid = linkedid
        self.state = state
        self.caller_num: str | None = None
        self.caller_name: str | None = None
        self.conn_num: str | None = None
        self.conn_name: str | None = None
        self.language = "en"
        self.accountcode = ""
        self.context = context
        self.exten = exten
        self.priority = 1
        self.variables: dict[str, str] = {}
        self.peer: Channel | None = None
        self.bridge: Bridge | None = None
        self.app = ""
        self.appdata = ""
        self.created = clock.now()
        self.answered_at: float | None = None
        self.hangup_event = asyncio.Event()
        self.attention = asyncio.Event()
        self.redirect_to: tuple[str, str, int] | None = None
        self.skip_newexten = False
        self.in_feature = False
        self.app_only = False
        self.inherit: dict[str, bool] = {}
        self.before_up = None
        self.pending_callerid: tuple[str | None, str | None] | None = None
        self.answered = asyncio.Event()
        self.hangup_cause = 16
        self.hangup_kind: str | None = None
        self.gone = False
        self.dtmf: asyncio.Queue[str] = asyncio.Queue()
        self.task: asyncio.Task | None = None
        self.agi_active = False
        self.tech = name.split("/", 1)[0]
        self.audio_source: str | None = None
        self.mixmonitors: list[object] = []
        self.endpoint: object | None = None
        self.owned = False
        self.media_started = asyncio.Event()
        self.state_watchers: list = []

    @property
    def state_desc(self) -> str:
        return STATE_DESC.get(self.state, "Unknown")

    @property
    def alive(self) -> bool:
        return not self.gone and not self.hangup_event.is_set()

    def mark_hangup(self) -> None:
        self.hangup_event.set()
        self.attention.set()

    def request_redirect(self, context: str, exten: str, priority: int) -> None:
        """Async goto: the running application is interrupted and the dialplan resumes there."""
        self.redirect_to = (context, exten, priority)
        self.context, self.exten, self.priority = context, exten, priority
        self.attention.set()

    def check(self) -> None:
        """Raise if the channel was hung up or redirected while an application waited."""
        if not self.alive:
            raise ChannelHungUp()
        if self.redirect_to is not None:
            raise ChannelRedirected()

    def callerid_all(self) -> str:
        name = self.caller_name or ""
        num = self.caller_num or ""
        return f'"{name}" <{num}>' if name else f"<{num}>"

    async def sleep(self, sim_seconds: float) -> None:
        """Sleep in simulated seconds; raise ChannelHungUp if the channel goes away."""
        self.check()
        try:
            async with asyncio.timeout(self.clock.real_seconds(sim_seconds)):
                await self.attention.wait()
        except TimeoutError:
            return
        self.check()

    async def wait_digit(self, sim_seconds: float | None) -> str | None:
        """Next DTMF digit or None on timeout (None → wait forever)."""
        self.check()
        if not self.dtmf.empty():
            return self.dtmf.get_nowait()
        get = asyncio.ensure_future(self.dtmf.get())
        hung = asyncio.ensure_future(self.attention.wait())
        timeout = None if sim_seconds is None else self.clock.real_seconds(sim_seconds)
        try:
            done, _ = await asyncio.wait({get, hung}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in (get, hung):
                if not fut.done():
                    fut.cancel()
            await asyncio.gather(get, hung, return_exceptions=True)
        if get in done and not get.cancelled():
            return get.result()
        if hung in done:
            self.check()
        return None


def channel_block(chan: Channel, prefix: str = "") -> list[tuple[str, object]]:
    """The standard 14-line channel block (fact 13), optionally prefixed (Dest…, LocalOne…)."""
    return [
        (prefix + "Channel", chan.name),
        (prefix + "ChannelState", chan.state),
        (prefix + "ChannelStateDesc", chan.state_desc),
        (prefix + "CallerIDNum", chan.caller_num or UNKNOWN),
        (prefix + "CallerIDName", chan.caller_name or UNKNOWN),
        (prefix + "ConnectedLineNum", chan.conn_num or UNKNOWN),
        (prefix + "ConnectedLineName", chan.conn_name or UNKNOWN),
        (prefix + "Language", chan.language),
        (prefix + "AccountCode", chan.accountcode),
        (prefix + "Context", chan.context),
        (prefix + "Exten", chan.exten),
        (prefix + "Priority", chan.priority),
        (prefix + "Uniqueid", chan.uniqueid),
        (prefix + "Linkedid", chan.linkedid),
    ]


def bridge_block(bridge: Bridge, prefix: str = "") -> list[tuple[str, object]]:
    return [
        (prefix + "BridgeUniqueid", bridge.uniqueid),
        (prefix + "BridgeType", bridge.bridge_type),
        (prefix + "BridgeTechnology", bridge.technology),
        (prefix + "BridgeCreator", bridge.creator),
        (prefix + "BridgeName", bridge.name),
        (prefix + "BridgeNumChannels", len(bridge.channels)),
        (prefix + "BridgeVideoSourceMode", bridge.video_mode),
    ]
