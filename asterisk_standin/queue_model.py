"""Queue state as app_queue keeps it: queues, members (static/dynamic) and waiting callers."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from .channels import Channel

NOT_INUSE, INUSE, BUSY, INVALID, UNAVAILABLE, RINGING_STATE = 1, 2, 3, 4, 5, 6


@dataclass
class Member:
    interface: str
    name: str
    state_interface: str
    penalty: int = 0
    paused: bool = False
    paused_reason: str = ""
    dynamic: bool = False
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = 0
    in_call: bool = False
    status: int = NOT_INUSE
    wrapuptime: int = 0
    ringing: bool = False
    last_offered: float = 0.0


@dataclass(eq=False)
class Caller:
    """Compared by identity: `q.callers.index(caller)` runs once a second per waiting caller."""
    chan: Channel
    prio: int
    joined: float
    original_position: int
    connected: bool = False
    moh: bool = True


@dataclass
class Queue:
    name: str
    strategy: str = "ringall"
    timeout: float = 15.0
    retry: float = 5.0
    wrapuptime: int = 0
    maxlen: int = 0
    joinempty: str = "yes"
    ringinuse: bool = False
    musicclass: str = "default"
    weight: int = 0
    servicelevel: int = 0
    members: dict[str, Member] = field(default_factory=dict)
    callers: list[Caller] = field(default_factory=list)
    completed: int = 0
    abandoned: int = 0
    holdtime: float = 0.0
    talktime: float = 0.0
    rr_index: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def notify(self) -> None:
        """Wake every waiting caller so it re-checks members (member freed, added, unpaused…)."""
        old, self.changed = self.changed, asyncio.Event()
        old.set()


def as_bool(v: str | None, default: bool = False) -> bool:
    if v is None:
        return default
    return v.strip().lower() in ("yes", "true", "1", "on", "y")
