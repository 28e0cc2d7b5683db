"""Queues from queues.conf: members (static/dynamic), waiting callers, strategies, member events.

The caller-side flow (join, ring, connect, abandon) is in apps/queue_app.py; this module
holds state and everything the AMI queue actions need.
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from .channels import Channel
from .config_files import Section
from .queue_model import BUSY, INUSE, INVALID, NOT_INUSE, RINGING_STATE, UNAVAILABLE, Caller, Member, Queue, as_bool

if TYPE_CHECKING:
    from .pbx import Pbx

class QueueEngine:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx
        self.queues: dict[str, Queue] = {}

    def load(self, sections: list[Section]) -> None:
        """(Re)load queues.conf; dynamic members and statistics survive a reload."""
        fresh: dict[str, Queue] = {}
        now = int(self.pbx.clock.now())
        for sec in sections:
            old = self.queues.get(sec.name)
            q = Queue(sec.name)
            q.strategy = (sec.get("strategy") or "ringall").strip()
            q.timeout = float(sec.get("timeout") or 15)
            q.retry = float(sec.get("retry") or 5)
            q.wrapuptime = int(sec.get("wrapuptime") or 0)
            q.maxlen = int(sec.get("maxlen") or 0)
            q.joinempty = (sec.get("joinempty") or "yes").strip().lower()
            q.ringinuse = as_bool(sec.get("ringinuse"), True)
            q.musicclass = sec.get("musicclass") or "default"
            q.weight = int(sec.get("weight") or 0)
            q.servicelevel = int(sec.get("servicelevel") or 0)
            for spec in sec.get_all("member"):
                parts = [p.strip() for p in spec.split(",")]
                iface = parts[0]
                penalty = int(parts[1]) if len(parts) > 1 and parts[1] else 0
                name = parts[2] if len(parts) > 2 and parts[2] else iface
                state_if = parts[3] if len(parts) > 3 and parts[3] else iface
                prev = old.members.get(iface) if old else None
                member = Member(iface, name, state_if, penalty, login_time=prev.login_time if prev else now)
                if prev is not None:
                    member.calls_taken, member.last_call, member.in_call, member.status = prev.calls_taken, prev.last_call, prev.in_call, prev.status
                q.members[iface] = member
            if old is not None:
                for iface, m in old.members.items():
                    if m.dynamic and iface not in q.members:
                        q.members[iface] = m
                q.callers = old.callers
                q.completed, q.abandoned, q.holdtime, q.talktime = old.completed, old.abandoned, old.holdtime, old.talktime
                q.changed = old.changed
            fresh[sec.name] = q
        self.queues = fresh
        for q in fresh.values():
            q.notify()

    def shutdown(self) -> None:
        for q in self.queues.values():
            q.notify()

    # ---- member events ----------------------------------------------------------------------
    def member_headers(self, q: Queue, m: Member) -> list[tuple[str, object]]:
        return [
            ("Queue", q.name), ("MemberName", m.name), ("Interface", m.interface), ("StateInterface", m.state_interface),
            ("Membership", "dynamic" if m.dynamic else "static"), ("Penalty", m.penalty), ("CallsTaken", m.calls_taken),
            ("LastCall", m.last_call), ("LastPause", m.last_pause), ("LoginTime", m.login_time), ("InCall", int(m.in_call)),
            ("Status", m.status), ("Paused", int(m.paused)), ("PausedReason", m.paused_reason), ("Ringinuse", int(q.ringinuse)),
            ("Wrapuptime", m.wrapuptime),
        ]

    def member_event(self, event: str, q: Queue, m: Member) -> None:
        self.pbx.emit(event, "agent,all", self.member_headers(q, m))

    def set_member_status(self, interface: str, status: int) -> None:
        """Device state of a member changed: QueueMemberStatus in every queue it belongs to."""
        for q in self.queues.values():
            m = q.members.get(interface) or next((x for x in q.members.values() if x.state_interface == interface), None)
            if m is not None and m.status != status:
                m.status = status
                self.member_event("QueueMemberStatus", q, m)
                if status == NOT_INUSE:
                    q.notify()

    def log(self, uniqueid: str, queue: str, agent: str, event: str, *data: object) -> None:
        """ast_queue_log(): `time|callid|queue|agent|event|data...`, kept in memory and written to
        the queue_log file when one is configured (pbx.queue_log_file)."""
        line = "|".join([str(int(self.pbx.clock.now())), uniqueid, queue, agent, event, *[str(d) for d in data]])
        self.pbx.write_queue_log(line)

    # ---- management ---------------------------------------------------------------------------
    def add_member(self, queue: str, interface: str, *, name: str = "", penalty: int = 0, paused: bool = False,
                   reason: str = "", state_interface: str = "") -> str:
        q = self.queues.get(queue)
        if q is None:
            return "nosuchqueue"
        if interface in q.members:
            return "exists"
        now = int(self.pbx.clock.now())
        m = Member(interface, name or interface, state_interface or interface, penalty, paused=paused,
                   paused_reason=reason if paused else "", dynamic=True, login_time=now, last_pause=now if paused else 0)
        m.status = self._device_status(m)
        q.members[interface] = m
        self.member_event("QueueMemberAdded", q, m)
        self.log("MANAGER", q.name, m.name, "ADDMEMBER", "PAUSED" if paused else "")
        q.notify()
        return "ok"

    def remove_member(self, queue: str, interface: str) -> str:
        q = self.queues.get(queue)
        if q is None:
            return "nosuchqueue"
        m = q.members.get(interface)
        if m is None:
            return "notthere"
        if not m.dynamic:
            return "notdynamic"
        del q.members[interface]
        self.member_event("QueueMemberRemoved", q, m)
        self.log("MANAGER", q.name, m.name, "REMOVEMEMBER", "")
        return "ok"

    def pause_member(self, queue: str | None, interface: str, paused: bool, reason: str) -> bool:
        """set_member_paused(): without a queue, one PAUSEALL/UNPAUSEALL line (queue NONE) before the
        first queue's PAUSE/UNPAUSE; the UNPAUSE line carries the reason only when one was given."""
        found = False
        for q in self.queues.values():
            if queue and q.name != queue:
                continue
            m = q.members.get(interface)
            if m is None:
                continue
            found = True
            if not queue and not getattr(self, "_all_logged", False):
                self._all_logged = True
                self.log("NONE", "NONE", m.name, "PAUSEALL" if paused else "UNPAUSEALL", reason)
            m.paused = paused
            m.paused_reason = reason
            if paused:
                m.last_pause = int(self.pbx.clock.now())
            self.member_event("QueueMemberPause", q, m)
            self.pbx.device_state(f"Queue:{q.name}_pause_{interface}", "INUSE" if paused else "NOT_INUSE")
            self.log("NONE", q.name, m.name, "PAUSE" if paused else "UNPAUSE", reason)
            if not paused:
                m.paused_reason = ""
                q.notify()
        self._all_logged = False
        return found

    def set_penalty(self, queue: str | None, interface: str, penalty: int) -> bool:
        found = False
        for q in self.queues.values():
            if queue and q.name != queue:
                continue
            m = q.members.get(interface)
            if m is not None:
                found = True
                m.penalty = penalty
                self.member_event("QueueMemberPenalty", q, m)
        return found

    def _device_status(self, m: Member) -> int:
        iface = m.state_interface
        if iface.startswith("Local/"):
            return INUSE if self.pbx.devices.live(iface) else NOT_INUSE
        endpoint, _ = self.pbx.devices.lookup(iface)
        if endpoint is None:
            return INVALID
        return endpoint.device_state()

    # ---- selection -------------------------------------------------------------------------
    def available(self, q: Queue, m: Member) -> bool:
        if m.paused or m.ringing or m.in_call:
            return False
        if m.status in (INVALID, UNAVAILABLE):
            return False
        if not q.ringinuse and m.status in (INUSE, BUSY, RINGING_STATE):
            return False
        wrap = m.wrapuptime or q.wrapuptime
        if wrap and m.last_call and int(self.pbx.clock.now()) < m.last_call + wrap:
            return False
        return True

    def wrapup_left(self, q: Queue, m: Member) -> float:
        wrap = m.wrapuptime or q.wrapuptime
        if not wrap or not m.last_call:
            return 0.0
        return max(0.0, m.last_call + wrap - self.pbx.clock.now())

    def pick(self, q: Queue) -> list[Member]:
        """Members to ring now for the head caller, per strategy."""
        free = [m for m in q.members.values() if self.available(q, m)]
        if not free:
            return []
        low = min(m.penalty for m in free)
        free = [m for m in free if m.penalty == low]
        if q.strategy == "ringall":
            return free
        if q.strategy in ("rrmemory", "roundrobin", "rrordered", "linear"):
            order = list(q.members.values())
            start = q.rr_index % max(1, len(order))
            for m in itertools.chain(order[start:], order[:start]):
                if m in free:
                    q.rr_index = order.index(m) + 1
                    return [m]
            return []
        if q.strategy == "leastrecent":
            return [min(free, key=lambda m: (m.last_call, m.last_offered))]
        if q.strategy == "fewestcalls":
            return [min(free, key=lambda m: m.calls_taken)]
        if q.strategy == "random":
            return [free[int(self.pbx.clock.now() * 1000) % len(free)]]
        return free

    def can_join(self, q: Queue) -> bool:
        """joinempty: `yes` always joins; otherwise some member must be usable under the listed conditions."""
        rule = q.joinempty
        if rule in ("yes", "true", "1"):
            return True
        conds = {c.strip() for c in rule.split(",")}
        if rule in ("no", "false", "0", ""):
            conds = {"paused", "invalid", "unavailable"}
        for m in q.members.values():
            if "paused" in conds and m.paused:
                continue
            if ("unavailable" in conds or "invalid" in conds) and m.status in (INVALID, UNAVAILABLE):
                continue
            if "inuse" in conds and m.status == INUSE:
                continue
            if "wrapup" in conds and self.wrapup_left(q, m) > 0:
                continue
            return True
        return False

    def insert_caller(self, q: Queue, chan: Channel, prio: int, position: int = 0) -> Caller:
        """Behind everyone of equal or higher priority; `position` (Queue's 9th argument) may place it earlier
        among equal-priority callers, never ahead of a higher priority."""
        pos = len(q.callers)
        for i, c in enumerate(q.callers):
            if prio > c.prio:
                pos = i
                break
        if position > 0:
            floor = sum(1 for c in q.callers if c.prio > prio)
            pos = max(floor, min(pos, position - 1))
        caller = Caller(chan, prio, self.pbx.clock.now(), pos + 1)
        q.callers.insert(pos, caller)
        return caller

    def position(self, q: Queue, caller: Caller) -> int:
        return q.callers.index(caller) + 1 if caller in q.callers else 0
