"""Recording every answered call, following Asterisk's own events into the catalogue.

On `AgentConnect` (or, for calls the IVR sends straight to a sub-center or an emergency line,
the `DialEnd ANSWER` of that Dial) the engine asks Asterisk (AMI `MixMonitor`, options `b`: only
while bridged, as in trace 06) to record the caller's channel, which stays in the call through
transfers and conferences; the file name is absolute, under the configured directory. The
catalogue changes only on Asterisk's events: `MixMonitorStart` confirms, `MixMonitorMute`
State 1/0 opens/closes a pause (the file keeps running time: muted stretches are silence),
`MixMonitorStop` or the channel's `Hangup` ends it (real Asterisk sends no MixMonitorStop on
hangup), then the file is checked. After an AMI (re)connect `resync` finishes the recordings
whose channel vanished meanwhile and re-adopts the live ones (so pause works after a restart).
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hotline.ami import events as ev
from hotline.ami.errors import AmiActionError, AmiError
from hotline.ami.events import to_event

from .catalogue import Catalogue, RecordingView
from .errors import NoActiveRecording, RecordingActionFailed
from .filecheck import inspect_file
from .integrity import judge
from .models import State
from .naming import is_inside, recording_path

log = logging.getLogger(__name__)

Send = Callable[..., Awaitable[object]]
_CALL_VARS = {"HOTLINE_LINE": "line", "HOTLINE_TICKET": "ticket", "HOTLINE_ACTION": "action"}
# Calls the IVR sends straight to a number (Dial in the dialplan, no queue): recorded when that
# Dial is answered, since no AgentConnect will come.
_DIALED_ACTIONS = frozenset({"subcenter", "emergency"})


@dataclass(frozen=True)
class RecorderSettings:
    root: Path                       # absolute (naming.recordings_root)
    zone: ZoneInfo
    options: str = "b"
    enabled: bool = True
    settle_seconds: float = 1.0      # Asterisk closes the file from its own thread after the hangup
    settle_attempts: int = 5
    remember_calls: int = 10_000


@dataclass
class Active:
    recording_id: int
    server: str
    channel: str
    linkedid: str
    agent_interface: str | None
    paused: bool = False


class Recorder:
    def __init__(self, catalogue: Catalogue, settings: RecorderSettings, clock: Callable[[], datetime],
                 senders: Mapping[str, Send], *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.catalogue = catalogue
        self.settings = settings
        self._clock = clock
        self._senders = senders
        self._sleep = sleep
        self.active: dict[tuple[str, str], Active] = {}
        self._calls: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict()
        self._filenames: dict[tuple[str, str], str] = {}
        self._tasks: set[asyncio.Task] = set()
        self.errors = 0

    # --- queries -----------------------------------------------------------------------------------
    def active_for(self, interface: str | None) -> Active | None:
        if not interface:
            return None
        return next((a for a in self.active.values() if a.agent_interface == interface), None)

    # --- events ------------------------------------------------------------------------------------
    async def handle(self, event: ev.AmiEvent) -> None:
        """Async subscriber: events arrive in order, one at a time."""
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is None:
            return
        try:
            await handler(event)
        except Exception:  # noqa: BLE001 - a database hiccup must not stop the projection
            self.errors += 1
            log.exception("recordings.event_failed event=%s", event.name)

    async def _on_VarSet(self, e: ev.VarSet) -> None:
        if e.channel is None:
            return
        server, name = e.server or "", e.variable.lstrip("_")
        if name == "MIXMONITOR_FILENAME":
            self._filenames[(server, e.channel.channel)] = e.value
            return
        field = _CALL_VARS.get(name)
        if field is None or not e.channel.linkedid:
            return
        key = (server, e.channel.linkedid)
        self._calls.setdefault(key, {})[field] = e.value
        self._calls.move_to_end(key)
        while len(self._calls) > self.settings.remember_calls:
            self._calls.popitem(last=False)
        if field == "ticket" and e.value:
            for act in [a for a in self.active.values() if a.server == server and a.linkedid == key[1]]:
                await self.catalogue.set_ticket(act.recording_id, e.value)

    async def _on_DialEnd(self, e: ev.DialEnd) -> None:
        info = e.channel
        if e.dial_status != "ANSWER" or info is None or info.uniqueid != info.linkedid:
            return  # only the citizen's own channel dialing out (queue legs are Local/agent dials)
        call = self._calls.get((e.server or "", info.linkedid), {})
        if call.get("action") in _DIALED_ACTIONS:
            dest = e.dest.channel if e.dest else ""
            await self._start(e.server or "", info, queue=None, interface=dest.rsplit("-", 1)[0], member=dest)

    async def _on_AgentConnect(self, e: ev.AgentConnect) -> None:
        if e.channel is not None:
            await self._start(e.server or "", e.channel, queue=e.queue, interface=e.interface, member=e.member_name)

    async def _start(self, server: str, info, *, queue: str | None, interface: str, member: str) -> None:
        if not self.settings.enabled or not info.linkedid:
            return
        if (server, info.channel) in self.active:
            return  # already recorded (re-queued after a failed transfer): one file per channel
        now = self._clock()
        call = self._calls.get((server, info.linkedid), {})
        path = self._free_path(recording_path(self.settings.root, info.linkedid, now, self.settings.zone))
        view = await self.catalogue.open(
            server=server, linkedid=info.linkedid, channel=info.channel, file_path=str(path), started_at=now,
            line=call.get("line"), queue=queue, agent_interface=interface, agent_name=member,
            caller_number=info.caller_id_num if info.caller_id_num.isdigit() else None,
            ticket_number=call.get("ticket"))
        self.active[(server, info.channel)] = Active(view.id, server, info.channel, info.linkedid, interface)
        try:
            await self._send(server, "MixMonitor", {"Channel": info.channel, "File": str(path),
                                                    "Options": self.settings.options})
        except RecordingActionFailed as exc:
            self.active.pop((server, info.channel), None)
            # "No such channel": the call ended before the action arrived; nothing was lost but the
            # catalogue still says there is no file for it.
            gone = "No such channel" in str(exc.detail)
            log.log(logging.WARNING if gone else logging.ERROR, "recordings.start_failed linkedid=%s channel=%s: %s",
                    info.linkedid, info.channel, exc.detail)
            await self.catalogue.finish(view.id, now)
            await self.catalogue.record_check(view.id, State.MISSING, None,
                                              f"未能开始录音 / MixMonitor failed: {exc.detail}", first=True)

    def _free_path(self, path: Path) -> Path:
        taken = {a for a in self._filenames.values()}
        candidate, n = path, 1
        while candidate.exists() or str(candidate) in taken:
            n += 1
            candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        return candidate

    async def _on_MixMonitorStart(self, e: ev.MixMonitorStart) -> None:
        if e.channel is None:
            return
        key = (e.server or "", e.channel.channel)
        act = self.active.get(key)
        if act is not None:
            await self.catalogue.confirm_start(act.recording_id, self._clock())
            return
        filename = self._filenames.get(key)
        if filename and is_inside(self.settings.root, filename):  # started by the dialplan or another tool
            view = await self.catalogue.open(server=key[0], linkedid=e.channel.linkedid, channel=key[1],
                                             file_path=filename, started_at=self._clock(),
                                             caller_number=e.channel.caller_id_num or None,
                                             **_vars(self._calls.get((key[0], e.channel.linkedid), {})))
            self.active[key] = Active(view.id, key[0], key[1], e.channel.linkedid, None)

    async def _on_MixMonitorMute(self, e: ev.MixMonitorMute) -> None:
        act = self.active.get((e.server or "", e.channel.channel)) if e.channel else None
        if act is None or e.state is None:
            return
        act.paused = e.state
        await self.catalogue.pause_changed(act.recording_id, e.state, self._clock(), e.direction or "both")

    async def _on_MixMonitorStop(self, e: ev.MixMonitorStop) -> None:
        if e.channel is not None:
            await self._end(e.server or "", e.channel.channel)

    async def _on_Hangup(self, e: ev.Hangup) -> None:
        if e.channel is not None:
            self._filenames.pop((e.server or "", e.channel.channel), None)
            await self._end(e.server or "", e.channel.channel)

    async def _end(self, server: str, channel: str) -> None:
        act = self.active.pop((server, channel), None)
        if act is None:
            return
        view = await self.catalogue.finish(act.recording_id, self._clock())
        self._spawn(self._settle(view))

    # --- finishing ---------------------------------------------------------------------------------
    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro, name="recordings-settle")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _settle(self, view: RecordingView) -> RecordingView:
        """First check of a finished file, retried while Asterisk may still be closing it."""
        path = Path(view.file_path)
        check = None
        for attempt in range(self.settings.settle_attempts):
            check = await asyncio.to_thread(inspect_file, path)
            if check.valid or attempt == self.settings.settle_attempts - 1:
                break
            await self._sleep(self.settings.settle_seconds)
        state, problem = judge(view, check, first=True)
        if not is_inside(self.settings.root, path):
            state, problem = State.DAMAGED, "文件不在录音目录内 / outside the recordings directory"
        done = await self.catalogue.record_check(view.id, state, check, problem, first=True)
        log_ = log.info if state is State.COMPLETE else log.warning
        log_("recordings.finished id=%s linkedid=%s state=%s size=%s duration=%s", done.id, done.linkedid,
             done.state.value, done.size_bytes, done.duration_seconds)
        return done

    async def drain(self) -> None:
        """Wait for the file checks under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- actions -----------------------------------------------------------------------------------
    async def _send(self, server: str, action: str, fields: dict[str, str]) -> None:
        send = self._senders.get(server)
        if send is None:
            raise RecordingActionFailed("交换机未连接，录音操作没有执行", f"no AMI client named {server!r}")
        try:
            await send(action, fields)
        except AmiActionError as exc:
            raise RecordingActionFailed("交换机拒绝了录音操作", f"{action}: {exc.message}") from exc
        except AmiError as exc:
            raise RecordingActionFailed("未连接到交换机，录音操作没有执行，请稍后重试", f"{action}: {exc}") from exc

    async def set_paused(self, interface: str | None, paused: bool) -> Active:
        """The agent's button: mute (both directions) or unmute the recording of the agent's current call.
        The catalogue follows Asterisk's MixMonitorMute event, not this request."""
        act = self.active_for(interface)
        if act is None:
            raise NoActiveRecording(interface or "")
        await self._send(act.server, "MixMonitorMute", {"Channel": act.channel, "Direction": "both",
                                                        "State": "1" if paused else "0"})
        return act

    # --- resync ------------------------------------------------------------------------------------
    async def resync(self, server: str, send: Send) -> None:
        """on_connected: recordings whose channel is gone are finished and checked; live ones re-adopted."""
        response = await send("CoreShowChannels")
        live = {item.channel.channel: item for item in (to_event(m) for m in response.items)
                if isinstance(item, ev.CoreShowChannel) and item.channel is not None}
        self.apply_channels(server, live.keys(), await self.catalogue.in_progress(server))

    def apply_channels(self, server: str, live: Iterable[str], in_progress: list[RecordingView]) -> None:
        live = set(live)
        for view in in_progress:
            key = (server, view.channel)
            if view.channel in live:
                self.active.setdefault(key, Active(view.id, server, view.channel, view.linkedid,
                                                   view.agent_interface, bool(view.pauses and
                                                                              view.pauses[-1].ended is None)))
            else:
                self.active.pop(key, None)
                self._spawn(self._finish_lost(view))

    async def _finish_lost(self, view: RecordingView) -> None:
        await self._settle(await self.catalogue.finish(view.id, self._clock()))


def _vars(call: dict[str, str]) -> dict[str, str | None]:
    return {"line": call.get("line"), "ticket_number": call.get("ticket")}
