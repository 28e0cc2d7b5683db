"""Replayed calls at a set rate to every AMI session: the load generator past the call model's limit.

The call model (traffic.py) simulates every channel and tops out near 2,400 AMI events/s; a city's
大话务量测试 and bench/ need 20,000/s. Here each new call is a recorded Asterisk 22 call
(replay.py) with fresh ids, sent in three bursts: arrival into the queue, the end of the wait (an
agent answers, or the caller hangs up), the end of the talk. Arrivals are Poisson on an absolute
schedule, so a late loop catches up instead of sending fewer calls; the report says how late.
"""
from __future__ import annotations

import asyncio
import heapq
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from .replay import CallTemplate, CallValues, render, template

TRACES = ("answered", "abandoned")


def shipped_templates() -> dict[str, CallTemplate]:
    folder = resources.files("asterisk_standin").joinpath("data/replay")
    return {name: template(name, folder.joinpath(f"{name}.ami.bin").read_bytes()) for name in TRACES}


@dataclass(frozen=True)
class ReplayPlan:
    calls_per_second: float
    duration: float
    wait_mean: float = 10.0
    talk_mean: float = 60.0
    abandon_share: float = 0.2
    agents: tuple[bytes, ...] = (b"8001",)
    seed: int | None = None
    progress_every: float = 5.0


@dataclass
class ReplayReport:
    calls: int = 0
    answered: int = 0
    abandoned: int = 0
    events: int = 0
    window_events: int = 0    # sent while new calls were arriving (the steady part the rate is about)
    window: float = 0.0
    sent_bytes: int = 0
    seconds: float = 0.0
    max_lag: float = 0.0      # how late the most late burst left (s)
    max_unread: int = 0       # bytes queued towards the slowest AMI session
    peak_active: int = 0

    def table_zh(self) -> str:
        rate = self.calls / self.window if self.window else 0.0
        ev = self.window_events / self.window if self.window else 0.0
        rows = [("回放时长", f"{self.seconds:.1f} 秒（新呼叫到达 {self.window:.1f} 秒，其余为收尾）"),
                ("新呼叫", f"{self.calls} 通（{rate:.1f} 通/秒）"), ("接通 / 放弃", f"{self.answered} / {self.abandoned}"),
                ("AMI 事件", f"共 {self.events:,} 条；到达期间 {ev:,.0f} 条/秒"),
                ("发送字节", f"{self.sent_bytes / 1e6:.1f} MB"),
                ("同时在线呼叫峰值", f"{self.peak_active}"), ("最大发送延迟", f"{self.max_lag * 1000:.0f} ms"),
                ("最慢会话未读峰值", f"{self.max_unread / 1024:.0f} KiB")]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:\u3000<{width}}  {v}" for k, v in rows)


class Sink:
    """Where the bytes go: every authenticated AMI session that wants the event's class."""

    def __init__(self, server) -> None:
        self._server = server
        self._heads: dict[int, list] = {}

    def send(self, event, data: bytes) -> int:
        head = self._heads.get(id(event))
        if head is None:
            head = self._heads[id(event)] = [("Event", event.name.decode()), ("Privilege", event.privilege.decode())]
        sent = 0
        for session in self._server.sessions:
            if session.wants(head[0][1], head):
                session.write(data)
                sent += 1
        return sent

    def unread(self) -> int:
        return max((s.writer.transport.get_write_buffer_size() for s in self._server.sessions
                    if s.writer.transport is not None), default=0)


async def run_replay(sink: Sink, plan: ReplayPlan, templates: dict[str, CallTemplate] | None = None, *,
                     clock: Callable[[], float] = time.monotonic, say: Callable[[str], None] = print,
                     tick: float = 0.005) -> ReplayReport:
    templates = templates or shipped_templates()
    rng = random.Random(plan.seed)
    report = ReplayReport()
    start = clock()
    epoch = int(time.time())
    due: list[tuple[float, int, int, CallTemplate, CallValues]] = []  # (at, serial, phase, call, values)
    next_call = rng.expovariate(plan.calls_per_second)
    next_progress = plan.progress_every
    last = (0.0, 0, 0)  # (t, calls, events) at the previous progress line
    serial = 0
    active = 0
    while True:
        now = clock() - start
        while next_call <= now and next_call <= plan.duration:
            abandon = rng.random() < plan.abandon_share
            call = templates["abandoned" if abandon else "answered"]
            caller = b"1%d%09d" % (rng.randrange(3, 10), rng.randrange(10 ** 9))
            values = CallValues(epoch, serial, caller, rng.choice(plan.agents))
            heapq.heappush(due, (next_call, serial, 0, call, values))
            report.calls += 1
            report.abandoned += abandon
            report.answered += not abandon
            active += 1
            serial += 1
            next_call += rng.expovariate(plan.calls_per_second)
        while due and due[0][0] <= now:
            at, n, phase, call, values = heapq.heappop(due)
            report.max_lag = max(report.max_lag, now - at)
            for event, data in render(call.phases[phase], values):
                if sink.send(event, data):
                    report.events += 1
                    report.window_events += now <= plan.duration
                    report.sent_bytes += len(data)
            if phase == 0:
                wait = rng.expovariate(1.0 / plan.wait_mean)
                heapq.heappush(due, (at + wait, n, 1, call, values))
            elif phase == 1:
                talk = 0.0 if call.name == "abandoned" else rng.expovariate(1.0 / plan.talk_mean)
                heapq.heappush(due, (at + talk, n, 2, call, values))
            else:
                active -= 1
        report.peak_active = max(report.peak_active, active)
        report.max_unread = max(report.max_unread, sink.unread())
        if now >= next_progress:
            next_progress += plan.progress_every
            span = now - last[0]
            say(f"回放 {now:.0f} 秒：近 {span:.0f} 秒新呼叫 {(report.calls - last[1]) / span:.1f} 通/秒，"
                f"AMI 事件 {(report.events - last[2]) / span:,.0f} 条/秒，进行中 {active} 通，"
                f"最慢会话未读 {sink.unread() / 1024:.0f} KiB")
            last = (now, report.calls, report.events)
        if next_call > plan.duration and not due:
            break
        await asyncio.sleep(tick)
    report.seconds = clock() - start
    report.window = min(plan.duration, report.seconds)
    return report
