"""The simulated Asterisk core: channels, bridges, variables, events and dialplan start.

Everything observable goes through `emit()` (event_bus.EventBus): AMI sessions subscribe with
`add_listener()`, simulated people with `watch_channel()`.
Only this module creates/destroys channels so the Hangup/HangupRequest ordering of the
traces (02a/02b/02c) lives in one place.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from .channels import CAUSE_TEXT, DOWN, RING, RINGING, UP, Bridge, Channel, channel_block
from .clock import Clock
from .devices import Devices
from .event_bus import EventBus
from .ids import IdAllocator
from .pbx_bridges import BridgeOps
from .lab_config import LabConfig

log = logging.getLogger(__name__)


class Pbx(EventBus, BridgeOps):
    def __init__(self, config_dir: Path, clock: Clock, *, sounds_dir: Path | None = None, spool_dir: Path | None = None,
                 ids: IdAllocator | None = None, agi_connect_timeout: float = 5.0,
                 agi_map: dict[tuple[str, int], tuple[str, int]] | None = None, unknown_prompt_seconds: float | None = 1.0,
                 queue_log_path: Path | None = None) -> None:
        EventBus.__init__(self)
        self.config_dir = Path(config_dir)
        self.clock = clock
        self.ids = ids or IdAllocator(clock.now())
        self.sounds_dir = sounds_dir
        self.spool_dir = spool_dir
        self.start_time = clock.now()
        self.reload_time = self.start_time
        self.channels: dict[str, Channel] = {}
        self.bridges: dict[str, Bridge] = {}
        self.conferences: dict[str, Any] = {}
        self.global_vars: dict[str, str] = {}
        self.devices = Devices(self)
        self.endpoints = self.devices.endpoints  # interface → simulated phone (register with register_endpoint)
        self.processed_calls = 0
        self.agi_connect_timeout = agi_connect_timeout
        self.agi_map = dict(agi_map or {})
        self.unknown_prompt_seconds = unknown_prompt_seconds
        self.astdb: dict[tuple[str, str], str] = {}
        self.queue_log: list[str] = []
        self.queue_log_path = Path(queue_log_path) if queue_log_path else None
        self._queue_log_file = None
        self.config = LabConfig.load(self.config_dir)
        self.global_vars.update(self.config.globals)
        from .queue_engine import QueueEngine

        self.queues = QueueEngine(self)
        self.queues.load(self.config.queues)
        self._tasks: set[asyncio.Task] = set()
        from .features import FeatureMatcher

        self.features = FeatureMatcher(self)

    # ---- queue_log ---------------------------------------------------------------------------
    def write_queue_log(self, line: str) -> None:
        """Asterisk's logger appends each queue_log line and flushes it at once."""
        self.queue_log.append(line)
        if self.queue_log_path is None:
            return
        if self._queue_log_file is None:
            self.queue_log_path.parent.mkdir(parents=True, exist_ok=True)
            self._queue_log_file = open(self.queue_log_path, "a", encoding="utf-8", newline="\n")  # noqa: SIM115
        self._queue_log_file.write(line + "\n")
        self._queue_log_file.flush()

    def queue_start(self) -> None:
        """logger.c logs QUEUESTART once the queue_log is opened at start-up (and after a restart)."""
        self.queues.log("NONE", "NONE", "NONE", "QUEUESTART", "")

    def rotate_queue_log(self, suffix: str = ".0") -> None:
        """`logger rotate`: the file is renamed and a new one opened on the next line."""
        if self._queue_log_file is not None:
            self._queue_log_file.close()
            self._queue_log_file = None
        if self.queue_log_path is not None and self.queue_log_path.exists():
            self.queue_log_path.rename(self.queue_log_path.with_name(self.queue_log_path.name + suffix))

    def close_queue_log(self) -> None:
        if self._queue_log_file is not None:
            self._queue_log_file.close()
            self._queue_log_file = None

    # ---- lifecycle -------------------------------------------------------------------------
    def reload(self, what: str = "all") -> None:
        """Re-read the config directory (AMI Reload / `dialplan reload` / `queue reload all`)."""
        fresh = LabConfig.load(self.config_dir)
        if what in ("all", "dialplan"):
            self.config.contexts = fresh.contexts
            for key, value in fresh.globals.items():
                self.global_vars.setdefault(key, value)
        if what in ("all", "queues"):
            self.config.queues = fresh.queues
            self.queues.load(fresh.queues)
        if what == "all":
            self.config.features = fresh.features
            self.config.users = fresh.users
        self.reload_time = self.clock.now()

    def spawn(self, coro: Any, name: str | None = None) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("stand-in task failed", exc_info=task.exception())

    async def shutdown(self) -> None:
        for chan in list(self.channels.values()):
            chan.mark_hangup()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.queues.shutdown()
        self.close_queue_log()

    # ---- events (add_listener / watch_channel / remove_listener / emit / emit_raw: EventBus) ----
    def chan_event(self, event: str, chan: Channel, *extra: tuple[str, Any], privilege: str = "call,all") -> None:
        self.emit(event, privilege, [*channel_block(chan), *extra])

    def two_chan_event(self, event: str, chan: Channel | None, dest: Channel, *extra: tuple[str, Any], privilege: str = "call,all") -> None:
        head = channel_block(chan) if chan is not None else []
        self.emit(event, privilege, [*head, *channel_block(dest, "Dest"), *extra])

    def device_state(self, device: str, state: str) -> None:
        self.emit("DeviceStateChange", "call,all", [("Device", device), ("State", state)])

    # ---- channels --------------------------------------------------------------------------
    def new_channel(self, name: str, *, context: str, exten: str, state: int, linkedid: str | None = None, announce: bool = True) -> Channel:
        uid = self.ids.uniqueid()
        chan = Channel(self.clock, name, uid, linkedid or uid, context=context, exten=exten, state=state)
        self.channels[name] = chan
        self.devices.channel_added(chan)
        self.processed_calls += 1
        if announce:
            self.chan_event("Newchannel", chan)
        return chan

    def new_local_pair(self, target: str, *, linkedid: str | None = None) -> tuple[Channel, Channel]:
        """`Local/exten@ctx` → (`;1` Down, `;2` Ring) with Newchannel for each (fact 14)."""
        exten, _, context = target.partition("@")
        context = context or "default"
        base = f"Local/{exten}@{context}-{self.ids.channel_suffix()}"
        one = self.new_channel(base + ";1", context=context, exten=exten, state=DOWN, linkedid=linkedid)
        two = self.new_channel(base + ";2", context=context, exten=exten, state=RING, linkedid=linkedid or one.linkedid)
        one.peer, two.peer = two, one
        return one, two

    def local_bridge_event(self, one: Channel, two: Channel) -> None:
        self.emit("LocalBridge", "call,all", [*channel_block(one, "LocalOne"), *channel_block(two, "LocalTwo"),
                                              ("Context", two.context), ("Exten", two.exten), ("LocalOptimization", "Yes")])

    def register_endpoint(self, interface: str, endpoint: Any) -> None:
        """A simulated phone answers `interface`: `PJSIP/8001`, or one number of a trunk `PJSIP/119@trunk`."""
        self.devices.register(interface, endpoint)

    def find_channel(self, name: str) -> Channel | None:
        chan = self.channels.get(name)
        if chan is not None and not chan.gone:
            return chan
        return None

    def set_callerid(self, chan: Channel, num: str | None, name: str | None) -> None:
        chan.caller_num, chan.caller_name = num, name
        self.chan_event("NewCallerid", chan, ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)"))

    def set_connected(self, chan: Channel, num: str | None, name: str | None) -> None:
        chan.conn_num, chan.conn_name = num, name
        self.chan_event("NewConnectedLine", chan)

    def set_state(self, chan: Channel, state: int) -> None:
        if chan.state == state:
            return
        chan.state = state
        self.chan_event("Newstate", chan)
        if state == UP:
            chan.answered_at = self.clock.now()
            chan.answered.set()
        for watcher in list(chan.state_watchers):
            watcher(chan)
        self.devices.update(chan)

    def newexten(self, chan: Channel, app: str, data: str) -> None:
        chan.app, chan.appdata = app, data
        self.emit("Newexten", "dialplan,all", [*channel_block(chan), ("Extension", chan.exten), ("Application", app), ("AppData", data)])

    def set_var(self, chan: Channel | None, name: str, value: str, *, shown: str | None = None) -> None:
        """`shown`: the name as written (`__HOTLINE_LINE`), which VarSet reports (pbx_builtin_setvar_helper)."""
        if chan is None:
            self.global_vars[name] = value
            return
        chan.variables[name] = value
        self.emit("VarSet", "dialplan,all", [*channel_block(chan), ("Variable", shown or name), ("Value", value)])

    def answer(self, chan: Channel) -> None:
        """Answer a channel; a Local `;2` answering also brings its `;1` up."""
        if chan.state == UP:
            return
        self.set_state(chan, UP)
        if chan.tech == "Local" and chan.name.endswith(";2") and chan.peer is not None and chan.peer.alive:
            hook, chan.peer.before_up = chan.peer.before_up, None
            if hook is not None:
                hook()
            self.set_state(chan.peer, UP)

    def ringing(self, chan: Channel) -> None:
        if chan.tech == "Local" and chan.name.endswith(";2") and chan.peer is not None and chan.peer.alive:
            self.set_state(chan.peer, RINGING)
        elif chan.state != UP:
            self.set_state(chan, RINGING)

    def dtmf_received(self, chan: Channel, digit: str, duration_ms: int = 120, *, begin: bool = True) -> None:
        """A DTMF digit arrives on `chan` (DTMFBegin only for digits that came in as real key presses)."""
        if begin:
            self.chan_event("DTMFBegin", chan, ("Digit", digit), ("Direction", "Received"), privilege="dtmf,all")
        self.chan_event("DTMFEnd", chan, ("Digit", digit), ("DurationMs", duration_ms), ("Direction", "Received"), privilege="dtmf,all")
        if self.features.on_digit(chan, digit):
            return
        chan.dtmf.put_nowait(digit)

    # ---- hangup ----------------------------------------------------------------------------
    def request_hangup(self, chan: Channel, cause: int = 16, *, soft: bool = True, shown_cause: int | None = None) -> None:
        """AMI Hangup / Hangup() → SoftHangupRequest; a dying peer → HangupRequest.

        AMI Hangup without a Cause shows `Cause: 16` in SoftHangupRequest but hangs up with 0 (traces 04/06/09a).
        """
        if chan.gone or chan.hangup_event.is_set():
            return
        chan.hangup_cause = cause
        chan.hangup_kind = "soft" if soft else "peer"
        no_pbx = (chan.task is None and chan.bridge is not None) or chan.app_only
        if not (soft and no_pbx):  # no PBX thread (bridged leg 05c, originated application 11b): no event
            self.chan_event("SoftHangupRequest" if soft else "HangupRequest", chan, ("Cause", cause if shown_cause is None else shown_cause))
        chan.mark_hangup()
        if chan.task is None and not chan.owned:
            self.destroy(chan)

    def destroy(self, chan: Channel, cause: int | None = None) -> None:
        """Final Hangup event; a Local peer first gets HangupRequest (02a/02c order)."""
        if chan.gone:
            return
        if cause is not None:
            chan.hangup_cause = cause
        peer = chan.peer
        if peer is not None and not peer.gone and not peer.hangup_event.is_set():
            peer.hangup_cause = chan.hangup_cause
            peer.hangup_kind = "peer"
            self.chan_event("HangupRequest", peer, ("Cause", chan.hangup_cause))
            peer.mark_hangup()
        for mon in list(chan.mixmonitors):
            mon.close()
        chan.gone = True
        chan.mark_hangup()
        if chan.bridge is not None:
            self.bridge_leave(chan)
        cause_val = chan.hangup_cause
        self.chan_event("Hangup", chan, ("Cause", cause_val), ("Cause-txt", CAUSE_TEXT.get(cause_val, "Unknown")))
        self.flush_callerid(chan)
        self.channels.pop(chan.name, None)
        self.devices.channel_removed(chan)
        self.devices.update(chan)
        if peer is not None and not peer.gone and peer.task is None and not peer.owned:
            self.destroy(peer)

    def finish(self, chan: Channel) -> None:
        """The channel's dialplan thread ends: SoftHangupRequest if a peer asked, then Hangup."""
        if chan.gone:
            return
        if chan.hangup_kind == "peer":
            self.chan_event("SoftHangupRequest", chan, ("Cause", 16))
            chan.hangup_kind = "soft"
        self.destroy(chan)

    # ---- dialplan --------------------------------------------------------------------------
    def has_extension(self, context: str, exten: str) -> bool:
        from .dialplan import find_extension

        return find_extension(self.config.contexts, context, exten) is not None

    def start_dialplan(self, chan: Channel) -> None:
        from .dialplan_exec import run_channel

        chan.task = self.spawn(run_channel(self, chan), name=f"dialplan {chan.name}")

    def start_app(self, chan: Channel, app: str, data: str) -> None:
        from .dialplan_exec import run_application_only

        chan.app_only = True
        chan.task = self.spawn(run_application_only(self, chan, app, data), name=f"app {chan.name}")
