"""The Asterisk side, in the orchestrator's process: the stand-in, its agents and N citizens.

Citizens dial in on the carrier trunk (`from-trunk`), half on 12345 (the general pool, which
has agents) and half on 12315 (双号并行 line whose only dedicated agent is on another call, so the
caller would wait there and the front end takes spoken intake first). Once every call has left the FastAGI script (AGISTATUS set)
the remaining calls are hung up and must all end: what does not is reported as stuck.
"""
from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from asterisk_standin.people import Agent, CallOutcome, Citizen
from asterisk_standin.standin import Standin
from asterisk_standin.traffic import TrafficPlan, make_agents

LINES = ("12345", "12315")  # direct (agents free) / intake (dedicated queue, its agent busy)
GENERAL_QUEUE = "hotline-general"
DEDICATED_QUEUE = "line-12315"
SURNAMES = "张王李赵刘陈杨黄周吴"


@dataclass
class PbxRun:
    placed: int
    elapsed: float                 # first call placed -> last call out of the FastAGI script (wall s)
    agistatus: Counter = field(default_factory=Counter)
    not_out_of_agi: int = 0        # still in the script at the deadline
    stuck: int = 0                 # still up after everything was hung up
    channels_left: int = 0
    tasks_left: int = 0           # asyncio tasks of this process after the drain (minus the caller's)
    queued: int = 0
    answered: int = 0
    events: Counter = field(default_factory=Counter)  # AMI events the stand-in emitted, by name

    def count_event(self, event: str, _msg: list) -> None:
        self.events[event] += 1


async def start_standin(asterisk_dir: Path, time_scale: float, agents: int, talk_time: float,
                        seed: int) -> tuple[Standin, int]:
    """Agents are members of the general pool before the engine connects (its resync sees them)."""
    standin = Standin(asterisk_dir, time_scale=time_scale, ami_port=0, spool_dir=asterisk_dir.parent / "spool",
                      auth_fail_delay=0.1)
    ami_port = await standin.start()
    plan = TrafficPlan(rate=1.0, duration=0, talk_time_mean=talk_time, seed=seed)
    make_agents(standin.pbx, agents, GENERAL_QUEUE, plan, random.Random(seed))
    # 12315's only dedicated agent is on another call: its queue takes callers (strict joinempty lets
    # an in-use member count) but nobody there is free, so those callers give spoken intake
    dedicated = Agent("PJSIP/8101", "专席01")
    dedicated.busy = True
    dedicated.register(standin.pbx)
    standin.pbx.queues.add_member(DEDICATED_QUEUE, dedicated.interface, name=dedicated.name)
    return standin, ami_port


def point_agi(standin: Standin, port: int) -> None:
    """The rendered dialplan says agi://127.0.0.1:4573; send it to the measured responder instead."""
    standin.pbx.agi_map[("127.0.0.1", 4573)] = ("127.0.0.1", port)


def place(standin: Standin, count: int, rng: random.Random) -> list[CallOutcome]:
    """No script: callers wait in their queue until `drain` hangs them up."""
    outcomes = []
    for i in range(count):
        name = rng.choice(SURNAMES) + rng.choice(("先生", "女士"))
        citizen = Citizen(f"13{rng.randint(100000000, 999999999)}", name, dialed=LINES[i % 2], context="from-trunk")
        outcomes.append(citizen.place(standin.pbx))
    return outcomes


async def run_calls(standin: Standin, count: int, rng: random.Random, *,
                    deadline: float) -> tuple[PbxRun, list[CallOutcome]]:
    """Place `count` calls at once; return once each has left the script (or at the deadline)."""
    run = PbxRun(count, 0.0)
    standin.pbx.add_listener(run.count_event)
    started = time.perf_counter()
    outcomes = place(standin, count, rng)
    last_out = started
    pending = set(range(count))
    limit = started + deadline
    while pending and time.perf_counter() < limit:
        await asyncio.sleep(0.02)
        for i in [i for i in pending if outcomes[i].agistatus is not None or outcomes[i].done.is_set()]:
            pending.discard(i)
            last_out = time.perf_counter()
    run.elapsed, run.not_out_of_agi = last_out - started, len(pending)
    run.agistatus.update(o.agistatus or "-" for o in outcomes)
    run.queued = sum(1 for o in outcomes if o.queue)
    run.answered = sum(1 for o in outcomes if o.answered_by)
    return run, outcomes


async def drain(standin: Standin, run: PbxRun, outcomes: list[CallOutcome], timeout: float) -> None:
    """Hang up whatever is still up (callers waiting in queues, agents talking); every call must end."""
    pbx = standin.pbx
    for chan in list(pbx.channels.values()):
        if chan.alive:
            pbx.request_hangup(chan, 16)
    try:
        async with asyncio.timeout(timeout):
            await asyncio.gather(*(o.done.wait() for o in outcomes))
    except TimeoutError:
        pass
    run.stuck = sum(1 for o in outcomes if not o.done.is_set())
    await asyncio.sleep(0.2)  # dialplan tasks finish after their Hangup event
    run.channels_left = len(pbx.channels)
    run.tasks_left = len(asyncio.all_tasks()) - 1
    pbx.remove_listener(run.count_event)
