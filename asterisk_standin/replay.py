"""Recorded Asterisk calls as templates: bytes of a real AMI trace in, per-call event bytes out. Pure.

A load generator that must reach 20,000 AMI events/s cannot run the call model for every event; it
sends the events a real Asterisk 22 sent for one call, with that call's own ids. Every value that
names the call (Uniqueid/Linkedid, channel suffixes, the bridge id, the caller's number) or the agent
(the PJSIP device) becomes a slot; an instance fills the slots with fresh values.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

BANNER = b"Asterisk Call Manager/"
# events of the recording session itself, not of the call
SKIP = {b"FullyBooted", b"SuccessfulAuth", b"QueueMemberAdded", b"QueueMemberRemoved", b"OriginateResponse"}
# where a call's phases start: the caller waits in the queue; an agent's answer or the caller's hang-up ends it
WAITING = b"QueueCallerJoin"
ENDING = (b"BridgeLeave", b"SoftHangupRequest", b"HangupRequest", b"Hangup", b"AgentComplete")

_SLOTS = re.compile(
    rb"(?P<bridge>\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b)"
    rb"|(?P<uid>\b\d{9,10}\.\d+\b)"
    rb"|(?P<suffix>(?<=-)[0-9a-f]{8}(?=;[12]\b|\r|$))"
    rb"|(?P<caller>\b1[3-9]\d{9}\b)"
    rb"|(?P<device>(?<=PJSIP/)\d{4}\b|(?<=Local/)\d{4}(?=@)|(?<=MemberName: lab)\d{4}\b)", re.M)


@dataclass(frozen=True)
class Event:
    name: bytes
    privilege: bytes
    parts: tuple  # bytes and (kind, index) slots, alternating


@dataclass(frozen=True)
class CallTemplate:
    name: str
    phases: tuple[tuple[Event, ...], ...]  # arrival (to the queue), the wait's end (answer or hang-up), the end
    slots: dict[str, int]                  # kind -> how many distinct values one call needs

    @property
    def events(self) -> int:
        return sum(len(p) for p in self.phases)


def _blocks(data: bytes) -> list[bytes]:
    if data.startswith(BANNER):
        data = data.split(b"\r\n", 1)[1]
    return [b for b in data.split(b"\r\n\r\n") if b.startswith(b"Event: ") and b"\r\nActionID: " not in b]


def template(name: str, data: bytes) -> CallTemplate:
    """The call in a recorded AMI stream (the bytes Asterisk sent)."""
    seen: dict[str, dict[bytes, int]] = {}
    events = []
    for block in _blocks(data):
        event = block.split(b"\r\n", 1)[0][7:]
        if event in SKIP:
            continue
        privilege = next((ln[11:] for ln in block.split(b"\r\n") if ln.startswith(b"Privilege: ")), b"")
        parts, at = [], 0
        for m in _SLOTS.finditer(block):
            kind = m.lastgroup
            index = seen.setdefault(kind, {}).setdefault(m.group(), len(seen[kind]))
            parts += [block[at:m.start()], (kind, index)]
            at = m.end()
        parts.append(block[at:] + b"\r\n\r\n")
        events.append(Event(event, privilege, tuple(parts)))
    names = [e.name for e in events]
    if WAITING not in names:
        raise ValueError(f"{name}: no {WAITING.decode()} in the trace, not a queue call")
    wait = names.index(WAITING) + 1
    end = next((i for i in range(wait, len(names)) if names[i] in ENDING), len(names))
    return CallTemplate(name, (tuple(events[:wait]), tuple(events[wait:end]), tuple(events[end:])),
                        {kind: len(values) for kind, values in seen.items()})


@dataclass(frozen=True)
class CallValues:
    """Fresh values for one call: `epoch` and `serial` make its ids unique within a run."""
    epoch: int
    serial: int
    caller: bytes
    agent: bytes

    def fill(self, kind: str, index: int) -> bytes:
        n = self.serial * 8 + index
        if kind == "uid":
            return b"%d.%d" % (self.epoch, n)
        if kind == "suffix":
            return b"%08x" % (n & 0xFFFFFFFF)
        if kind == "bridge":
            return b"%08x-0000-4000-8000-%012x" % (index, self.serial)
        if kind == "caller":
            return self.caller
        return self.agent


def render(events: tuple[Event, ...], values: CallValues) -> list[tuple[Event, bytes]]:
    """The wire bytes of one phase of one call."""
    cache: dict[tuple, bytes] = {}
    out = []
    for event in events:
        chunks = []
        for part in event.parts:
            if isinstance(part, bytes):
                chunks.append(part)
            else:
                value = cache.get(part)
                if value is None:
                    value = cache[part] = values.fill(*part)
                chunks.append(value)
        out.append((event, b"".join(chunks)))
    return out
