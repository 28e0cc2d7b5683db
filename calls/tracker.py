"""CallTracker: every call followed by Linkedid across its channels, projected from AMI events.

All channels of a call share the caller's Linkedid: the Local halves, the queue members' channels,
an attended-transfer target (09b). The caller's own channel is the one whose Uniqueid equals the
Linkedid; with Local channels (the traces) its `;2` partner runs the IVR and sits in the queue,
so both count as the caller's side. A call is over when the *last* of its channels hangs up:
the caller's channel is not always last (02a) nor first (02b), and an agent channel still in
wrap-up (09a) still belongs to the call. After an AMI reconnect, `resync` (an on_connected
hook) compares with CoreShowChannels and finishes the calls whose channels vanished meanwhile.
"""
from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from calls.call_state import CallState
from calls.codes import Outcome
from calls.finished import FinishedCall
from calls.model import QueueCalls
from hotline.ami import events as ev
from hotline.ami.event_base import ChannelInfo
from hotline.ami.events import to_event

log = logging.getLogger(__name__)

DEFAULT_HOTLINE_CONTEXTS = frozenset({"from-trunk", "hotline-lines", "hotline-in", "hotline-route"})
_TRACKED_VARS = frozenset({"QUEUESTATUS", "DIALSTATUS", "AGISTATUS"})
_LOCAL_HALF = re.compile(r"^(Local/.+);([12])$")
_CHANNEL_SUFFIX = re.compile(r"-[0-9a-f]{8}(;[12])?$")


def _local_partner(name: str) -> str:
    m = _LOCAL_HALF.match(name)
    return f"{m.group(1)};{'2' if m.group(2) == '1' else '1'}" if m else ""


def _interface_of(channel_name: str) -> str:
    """'Local/agent9@lab-agents-00000001;1' -> 'Local/agent9@lab-agents' (PJSIP/1001-0000a -> PJSIP/1001)."""
    return _CHANNEL_SUFFIX.sub("", channel_name)


def _duration(text: str) -> timedelta:
    try:
        h, m, s = (int(part) for part in text.split(":"))
        return timedelta(hours=h, minutes=m, seconds=s)
    except ValueError:
        return timedelta()


_HANDLERS: dict[type, Callable | None] = {}   # event class -> CallTracker._on_<class> (or None)


class CallTracker:
    def __init__(self, clock: Callable[[], datetime], emit: Callable[[FinishedCall], None], *,
                 hotline_contexts: Iterable[str] = DEFAULT_HOTLINE_CONTEXTS,
                 remember_finished: int = 4096, visits: QueueCalls | None = None) -> None:
        """`visits`: the queued calls' model shared with the live floor (calls/model.py); alone, one
        of its own that this tracker feeds."""
        self._clock = clock
        self.visits = visits if visits is not None else QueueCalls(clock)
        self._emit = emit
        self._contexts = frozenset(hotline_contexts)
        self.calls: dict[tuple[str, str], CallState] = {}
        self._answering: dict[tuple[str, str, str], str] = {}  # (server, queue, member) -> Linkedid
        self._finished: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._remember = remember_finished
        self.finished_count = 0
        self.not_hotline = 0
        self.emit_errors = 0
        self.resyncs = 0

    # --- queries -------------------------------------------------------------------------------
    def in_flight(self, server: str | None = None) -> list[CallState]:
        return [c for c in self.calls.values() if server is None or c.server == server]

    def queue_ids_in_flight(self) -> set[str]:
        """queue_log callids of the calls still followed (their record is not written yet)."""
        return {c.queue_uniqueid or c.partner_uniqueid or c.linkedid for c in self.calls.values()}

    # --- event projection ------------------------------------------------------------------------
    def handle(self, event: ev.AmiEvent) -> None:
        """Subscriber entry point (typed events from hotline.ami)."""
        if not self.visits.shared:   # alone: it feeds its own model; in the engine EventReading does, once
            self.visits.handle(event)
        cls = type(event)
        try:
            handler = _HANDLERS[cls]
        except KeyError:   # once per event class: the tracker sees every event, a lookup by name each time costs
            handler = _HANDLERS[cls] = getattr(CallTracker, f"_on_{cls.__name__}", None)
        if handler is not None:
            handler(self, event)
            return
        info = self._channel(event)
        if info is not None:
            self._see(event, info)

    @staticmethod
    def _channel(event: ev.AmiEvent) -> ChannelInfo | None:
        info = getattr(event, "channel", None)
        if isinstance(info, ChannelInfo):
            return info if info.linkedid and info.uniqueid else None
        if isinstance(event, ev.GenericEvent) and event.headers.get("Linkedid"):  # NewCallerid, Newexten...
            info = ChannelInfo.from_message(event.headers)
            return info if info is not None and info.uniqueid else None
        return None

    def _see(self, event: ev.AmiEvent, info: ChannelInfo, create: bool = True) -> CallState | None:
        """The call this channel belongs to (created on first sight), the channel marked live."""
        key = (event.server or "", info.linkedid)
        call = self.calls.get(key)
        if call is None:
            if not create or key in self._finished:
                return None
            call = self.calls[key] = CallState(key[0], info.linkedid, self._clock())
        if info.uniqueid not in call.gone:
            call.live.add(info.uniqueid)
        if info.uniqueid == info.linkedid:
            if not call.root_name:
                call.root_name, call.root_context, call.root_exten = info.channel, info.context, info.exten
            call.caller_side.add(info.uniqueid)
        elif call.root_name and info.channel == _local_partner(call.root_name):
            call.caller_side.add(info.uniqueid)
            call.partner_uniqueid = call.partner_uniqueid or info.uniqueid
        if info.uniqueid in call.caller_side:
            call.set_caller(info.caller_id_num, info.caller_id_name)
        return call

    def _on_Hangup(self, e: ev.Hangup) -> None:
        info = self._channel(e)
        if info is None:
            return
        call = self._see(e, info, create=False)
        if call is None:
            return
        call.live.discard(info.uniqueid)
        call.gone.add(info.uniqueid)
        if not call.live:
            self._finish(call, self._clock())

    def _on_VarSet(self, e: ev.VarSet) -> None:
        info = self._channel(e)
        if info is None:
            return
        call = self._see(e, info)
        if call is None or info.uniqueid not in call.caller_side:
            return
        name = e.variable.lstrip("_")  # Set(__HOTLINE_LINE=...) is reported with its underscores
        if name.startswith("HOTLINE_") or name in _TRACKED_VARS:
            call.variables[name] = e.value
        if name == "DIALSTATUS":
            call.dial_status = e.value

    def _on_QueueCallerJoin(self, e: ev.QueueCallerJoin) -> None:
        """The visit is the model's (calls/model.py): the call holds the same object."""
        call = self._caller_event(e)
        if call is not None:
            visit = self.visits.by_channel.get((call.server, e.channel.uniqueid))
            if visit is not None and visit not in call.visits:
                call.visits.append(visit)
            call.queue_uniqueid = call.queue_uniqueid or e.channel.uniqueid

    def _on_QueueCallerAbandon(self, e: ev.QueueCallerAbandon) -> None:
        self._caller_event(e)

    def _on_QueueCallerLeave(self, e: ev.QueueCallerLeave) -> None:
        self._caller_event(e)

    def _on_AgentConnect(self, e: ev.AgentConnect) -> None:
        call = self._caller_event(e)
        if call is None:
            return
        call.answered_at, call.answered_via = self._clock(), "queue"
        call.answered_interface, call.answered_member = e.interface, e.member_name
        self._answering[(call.server, e.queue, e.interface)] = call.linkedid

    def _on_AgentComplete(self, e: ev.AgentComplete) -> None:
        """An AgentComplete may carry no channel fields (seen on Asterisk 22 when the caller's
        channel is already gone); it still belongs to the call its member answered in that queue."""
        call = self._caller_event(e)
        linkedid = self._answering.pop((e.server or "", e.queue, e.interface), None)
        if call is None and linkedid is not None:
            call = self.calls.get((e.server or "", linkedid))
        if call is not None and e.talk_time is not None:
            call.talk_seconds = (call.talk_seconds or 0) + e.talk_time

    def _on_DialEnd(self, e: ev.DialEnd) -> None:
        info = self._channel(e)
        call = self._see(e, info) if info is not None else None
        if call is None or info.uniqueid not in call.caller_side:
            return
        call.dial_status = e.dial_status or call.dial_status
        if e.dial_status == "ANSWER" and not call.answered_via and e.dest is not None:
            call.answered_at, call.answered_via = self._clock(), "dial"
            call.answered_interface = _interface_of(e.dest.channel)

    def _caller_event(self, e: ev.ChannelEvent) -> CallState | None:
        """Queue events name the queued (caller-side) channel: it joins the caller's side."""
        info = self._channel(e)
        if info is None:
            return None
        call = self._see(e, info)
        if call is not None:
            call.caller_side.add(info.uniqueid)
            call.set_caller(info.caller_id_num, info.caller_id_name)
        return call

    def _on_AmiClientDisconnected(self, e: ev.AmiClientDisconnected) -> None:
        log.warning("calls.ami_lost server=%s in_flight=%d: hangups may be missed until the resync",
                    e.server, len(self.in_flight(e.server or "")))

    # --- finishing -------------------------------------------------------------------------------
    def _finish(self, call: CallState, ended_at: datetime, outcome: Outcome | None = None) -> None:
        key = (call.server, call.linkedid)
        self.calls.pop(key, None)
        for visit in call.visits:
            answering = (call.server, visit.queue, call.answered_interface or "")
            if visit.answered and self._answering.get(answering) == call.linkedid:
                del self._answering[answering]
        self._finished[key] = None
        while len(self._finished) > self._remember:
            self._finished.popitem(last=False)
        record = call.finish(ended_at, self._contexts, outcome)
        self.finished_count += 1
        if not record.hotline:
            # Not a citizen's call: e.g. the 110/119 leg the engine originates into a three-way
            # linkage conference has its own Linkedid; the citizen's call already records it.
            self.not_hotline += 1
            return
        try:
            self._emit(record)
        except Exception:  # noqa: BLE001 - a failing sink must not stop the projection
            self.emit_errors += 1
            log.exception("calls.emit_failed server=%s linkedid=%s", call.server, call.linkedid)

    def _lose(self, call: CallState, now: datetime) -> None:
        answered = call.answered_via == "queue" or (call.visits and call.visits[-1].answered)
        outcome = None if answered or not call.is_hotline(self._contexts) else Outcome.LOST_TRACK
        self._finish(call, now, outcome)

    def expire(self, older_than: timedelta) -> int:
        """Finish calls in flight for longer than any real call (a lost Hangup) as lost_track."""
        now = self._clock()
        stale = [c for c in self.calls.values() if now - c.started_at > older_than]
        for call in stale:
            self._lose(call, now)
        return len(stale)

    # --- resync ------------------------------------------------------------------------------------
    async def resync(self, session) -> None:
        """on_connected hook: what CoreShowChannels no longer lists is gone; unknown calls are adopted."""
        server = session.server
        known = {uid for call in self.in_flight(server) for uid in call.live}
        response = await session.send("CoreShowChannels")
        self.apply_channel_list(server, [to_event(m) for m in response.items], known)

    def apply_channel_list(self, server: str, items: Iterable[ev.AmiEvent], known: set[str] | None = None) -> None:
        """`known`: channels live when the list was requested. A channel that appeared while the
        list was on its way is missing from it without being gone, so only `known` ones can vanish."""
        now = self._clock()
        present: dict[str, ev.CoreShowChannel] = {}
        for item in items:
            if isinstance(item, ev.CoreShowChannel) and item.channel and item.channel.linkedid:
                present[item.channel.uniqueid] = item
        for call in self.in_flight(server):
            vanished = call.live - present.keys()
            if known is not None:
                vanished &= known
            call.live -= vanished
            call.gone |= vanished
            if not call.live:
                self._lose(call, now)
        for item in present.values():
            info = item.channel
            fresh = (server, info.linkedid) not in self.calls
            call = self._see(_Located(server), info)
            if call is not None and fresh:
                call.started_at = now - _duration(item.duration)
        self.resyncs += 1


class _Located:
    """Minimal event stand-in carrying the server name, for channels learned from a list."""

    def __init__(self, server: str) -> None:
        self.server = server
