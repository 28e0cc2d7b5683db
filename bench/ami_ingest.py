"""AMI ingest: CPU µs per event for our reader + fan-out vs a minimal hand-written parser.

The stream is built from the recorded Asterisk 22 events (tests/fixtures/traces), repeated and
rewritten so a third carry Chinese caller names, and fed in random TCP-sized reads
(4–64 KiB). Every variant runs in the same process and loop; each subscriber reads one header
of every event it receives (a realistic minimum). Figures are process CPU time per event,
best of N runs; ratios are against the hand-written baseline with the same subscriber count.

    python -m bench.ami_ingest            # >= 100k events
    python -m bench.ami_ingest --quick    # seconds-long smoke run
"""
from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from calls.model import EventReading, QueueCalls
from calls.tracker import CallTracker
from hotline.ami.events import to_event
from hotline.ami.fanout import EventFanout
from hotline.ami.message import Source
from hotline.ami.session import AmiSession
from queues.live import LiveFloor
from queues.membership import Membership

RAW = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "traces" / "raw"
BANNER = b"Asterisk Call Manager/11.0.0\r\n"
NAMES = ["张伟", "李娜", "王芳", "赵强", "刘洋", "陈静", "杨磊", "黄敏"]
QUEUE_EVENTS = ["QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "AgentCalled", "AgentConnect",
                "AgentComplete", "QueueMemberStatus", "QueueMemberPause", "Hangup", "BridgeEnter"]


def build_stream(min_events: int, seed: int = 12345) -> tuple[bytes, int]:
    events = []
    for path in sorted(RAW.glob("*.from_asterisk.bin")):
        if ".ami" not in path.name:
            continue
        data = path.read_bytes()
        data = data[len(BANNER):] if data.startswith(BANNER) else data
        events += [b for b in data.split(b"\r\n\r\n")[:-1] if b.startswith(b"Event: ") and b"ActionID" not in b]
    rnd = random.Random(seed)
    out = []
    i = 0
    while len(out) < min_events:
        block = events[i % len(events)]
        i += 1
        if i % 3 == 0:
            lines = block.split(b"\r\n")
            name = rnd.choice(NAMES).encode()
            block = b"\r\n".join(b"CallerIDName: " + name if ln.startswith(b"CallerIDName: ") else ln
                                 for ln in lines)
        out.append(block + b"\r\n\r\n")
    return BANNER + b"".join(out), len(out)


def chunk(stream: bytes, seed: int = 7) -> list[bytes]:
    rnd = random.Random(seed)
    out, pos = [], 0
    while pos < len(stream):
        size = rnd.randint(4096, 65536)
        out.append(stream[pos:pos + size])
        pos += size
    return out


class Baseline:
    """The minimal asyncio.Protocol-style parser people write by hand (no UTF-8 care, no caps)."""

    def __init__(self, handlers) -> None:
        self.buf = b""
        self.handlers = handlers

    def data_received(self, data: bytes) -> None:
        parts = (self.buf + data).split(b"\r\n\r\n")
        self.buf = parts.pop()
        for part in parts:
            headers = {}
            for line in part.decode("utf-8", "replace").split("\r\n"):
                key, _, value = line.partition(": ")
                headers[key] = value
            for handler in self.handlers:
                handler(headers)


def make_handler(counter: list[int]):
    def handler(event) -> None:
        if event.get("Uniqueid") is not None:
            counter[0] += 1
    return handler


async def run_baseline(chunks, subscribers: int) -> None:
    counter = [0]
    proto = Baseline([make_handler(counter) for _ in range(subscribers)])
    for data in chunks:
        proto.data_received(data)
        await asyncio.sleep(0)


async def run_ours(chunks, subscribers: int, mode: str) -> None:
    counter = [0]
    fanout = EventFanout(convert=to_event)
    for _ in range(subscribers):
        handler = make_handler(counter)
        if mode == "inline":
            fanout.subscribe(handler, inline=True)
        elif mode == "filtered":
            fanout.subscribe(handler, events=QUEUE_EVENTS)
        elif mode == "typed":
            fanout.subscribe(lambda e: e.name, events=QUEUE_EVENTS, typed=True)
        elif mode == "async":
            async def async_handler(event, h=handler) -> None:
                h(event)
            fanout.subscribe(async_handler)
        else:
            fanout.subscribe(handler)
    session = AmiSession(None, None, Source("bench", 1), fanout.publish, "b", 1 << 20, None)
    feed = session.feed
    for data in chunks:
        feed(data)
        await asyncio.sleep(0)
    await fanout.drain()
    await fanout.close()


async def run_engine(chunks, subscribers: int, mode: str) -> None:
    """The engine's own readers of the queued calls (live floor, membership, call tracker): each its
    own inline subscriber with its own state ("separate", as before issue 10.0's one reading), or
    one EventReading feeding one model and routing each event name to the readers that read it."""
    def clock():
        return datetime(2026, 12, 3, tzinfo=UTC)

    fanout = EventFanout(convert=to_event)
    if mode == "separate":
        readers = [LiveFloor(clock), Membership(), CallTracker(clock, lambda call: None)]
        for reader in readers:
            fanout.subscribe(reader.handle, typed=True, inline=True)
    else:
        visits = QueueCalls(clock)
        reading = EventReading(visits, [LiveFloor(clock, visits=visits), Membership(),
                                        CallTracker(clock, lambda call: None, visits=visits)])
        fanout.subscribe(reading.handle, typed=True, inline=True)
    counter = [0]
    for _ in range(subscribers):
        fanout.subscribe(make_handler(counter))
    session = AmiSession(None, None, Source("bench", 1), fanout.publish, "b", 1 << 20, None)
    for data in chunks:
        session.feed(data)
        await asyncio.sleep(0)
    await fanout.drain()
    await fanout.close()


async def run_panoramisk(chunks, subscribers: int) -> None:
    from panoramisk.ami_protocol import AMIProtocol
    from panoramisk.manager import Manager

    class Transport:
        def write(self, data):
            pass

        def close(self):
            pass

    counter = [0]
    manager = Manager(loop=asyncio.get_running_loop())
    for _ in range(subscribers):
        handler = make_handler(counter)
        manager.register_event("*", lambda _m, event, h=handler: h(event))
    proto = AMIProtocol()
    proto.connection_made(Transport())
    proto.factory = manager
    proto.encoding = "utf8"
    for data in chunks:
        proto.data_received(data)
        await asyncio.sleep(0)


def measure(fn, chunks, events: int, repeat: int, *args) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        asyncio.run(fn(chunks, *args))
        best = min(best, time.process_time() - started)
    return best / events * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args(argv)
    min_events = args.events or (10_000 if args.quick else 120_000)
    repeat = args.repeat or (1 if args.quick else 3)
    stream, events = build_stream(min_events)
    chunks = chunk(stream)
    print(f"{events} events, {len(stream) / 1e6:.1f} MB, {len(chunks)} reads of 4-64 KiB, best of {repeat}")
    rows = []
    for subs in (1, 13):
        base = measure(run_baseline, chunks, events, repeat, subs)
        rows.append((f"hand-written baseline, {subs} subscriber(s)", base, 1.0))
        for mode, label in (("queued", "ours: own queue + drain callback each (sync)"),
                            ("async", "ours: own queue + task each (async handlers)"),
                            ("inline", "ours: inline fast path"),
                            ("filtered", "ours: queued, 10 queue/agent event names"),
                            ("typed", "ours: queued, filtered, typed dataclasses")):
            value = measure(run_ours, chunks, events, repeat, subs, mode)
            rows.append((f"{label}, {subs}", value, value / base))
        value = measure(run_panoramisk, chunks, events, repeat, subs)
        rows.append((f"panoramisk 1.4, {subs}", value, value / base))
    base = measure(run_baseline, chunks, events, repeat, 10)
    rows.append(("hand-written baseline, 10 subscriber(s)", base, 1.0))
    for mode, label in (("separate", "engine readers: floor, membership, tracker each subscribed"),
                        ("reading", "engine readers: one EventReading (calls/model.py)")):
        value = measure(run_engine, chunks, events, repeat, 10, mode)
        rows.append((f"{label} + 10", value, value / base))
    print(f"{'variant':58} {'µs/event':>9} {'ratio':>7}")
    for label, value, ratio in rows:
        print(f"{label:58} {value:9.2f} {ratio:6.2f}x")
    ours = {r[0]: r[2] for r in rows}
    ok = all(ours[f"ours: own queue + drain callback each (sync), {n}"] <= 1.3 for n in (1, 13))
    print(f"target <= 1.3x baseline with 1 and 13 queued sync subscribers: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
