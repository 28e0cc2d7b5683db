"""Random traffic for load tests (大话务量测试): Poisson arrivals, talk-time distributions, patience."""
from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .people import Agent, CallOutcome, Citizen

if TYPE_CHECKING:
    from .pbx import Pbx


@dataclass
class TrafficPlan:
    rate: float
    duration: float
    talk_time_mean: float = 60.0
    talk_dist: str = "exponential"
    patience_mean: float | None = 60.0
    dialed: str = "12345"            # or "12345,12315": each call picks one
    context: str = "hotline-in"
    seed: int | None = None


@dataclass
class TrafficReport:
    outcomes: list[CallOutcome] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(1 for o in self.outcomes if o.answered_by)

    @property
    def abandoned(self) -> int:
        return sum(1 for o in self.outcomes if o.abandoned)

    def summary_zh(self) -> str:
        waits = [o.waited for o in self.outcomes if o.waited is not None]
        avg = sum(waits) / len(waits) if waits else 0.0
        return (f"呼入 {len(self.outcomes)} 通，接通 {self.answered}，放弃 {self.abandoned}，"
                f"平均等待 {avg:.1f} 秒")


def talk_sampler(plan: TrafficPlan, rng: random.Random):
    if plan.talk_dist == "lognormal":
        sigma = 0.5
        mu = math.log(plan.talk_time_mean) - sigma * sigma / 2
        return lambda: rng.lognormvariate(mu, sigma)
    return lambda: rng.expovariate(1.0 / plan.talk_time_mean)


def make_agents(pbx: Pbx, count: int, queue: str, plan: TrafficPlan, rng: random.Random, *,
                first: int = 8001, label: str = "坐席") -> list[Agent]:
    agents = []
    sampler = talk_sampler(plan, rng)
    for i in range(count):
        agent = Agent(f"PJSIP/{first + i}", f"{label}{i + 1:02d}", ring_time=2.0, talk_time_fn=sampler)
        agent.register(pbx)
        for name in queue.split(","):  # "a,b": every agent in each queue (one phone, several memberships)
            pbx.queues.add_member(name, agent.interface, name=agent.name)
        agents.append(agent)
    return agents


async def run_traffic(pbx: Pbx, plan: TrafficPlan) -> TrafficReport:
    """Place calls for `duration` simulated seconds, then wait for all of them to end."""
    rng = random.Random(plan.seed)
    report = TrafficReport()
    start = pbx.clock.now()
    at = 0.0
    n = 0
    while True:
        at += rng.expovariate(plan.rate)  # absolute schedule: a lagging loop catches up instead of dropping calls
        if at > plan.duration:
            break
        delay = start + at - pbx.clock.now()
        if delay > 0:
            await pbx.clock.sleep(delay)
        n += 1
        patience = rng.expovariate(1.0 / plan.patience_mean) if plan.patience_mean else None
        dialed = plan.dialed if "," not in plan.dialed else rng.choice(plan.dialed.split(","))
        citizen = Citizen(f"138{n:08d}", f"市民{n}", dialed=dialed, context=plan.context, patience=patience)
        report.outcomes.append(citizen.place(pbx))
    if report.outcomes:
        await asyncio.gather(*(o.done.wait() for o in report.outcomes))
    return report
