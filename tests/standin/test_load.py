"""Load (大话务量): hundreds of random calls through a leastrecent queue with an AMI client attached."""
from __future__ import annotations

import asyncio
import random

import pytest

from asterisk_standin.standin import Standin
from asterisk_standin.traffic import TrafficPlan, make_agents, run_traffic

from .amiclient import AmiTestClient

EXTENSIONS = "[load-in]\nexten => 12345,1,Answer()\n same => n,Queue(load,t,,,600)\n same => n,Hangup()\n"
QUEUES = "[load]\nstrategy = leastrecent\ntimeout = 15\nretry = 1\njoinempty = yes\nringinuse = no\n"


@pytest.mark.slow
async def test_given_300_random_calls_and_enough_agents_then_all_end_and_most_are_answered(tmp_path):
    (tmp_path / "extensions.conf").write_text(EXTENSIONS, "utf-8")
    (tmp_path / "queues.conf").write_text(QUEUES, "utf-8")
    (tmp_path / "manager.conf").write_text("[eng]\nsecret = s\n", "utf-8")
    async with Standin(tmp_path, time_scale=0.05) as s:
        ami = await AmiTestClient.connect(s.ami.port)
        try:
            await ami.action("Login", Username="eng", Secret="s")
            plan = TrafficPlan(rate=2.5, duration=120, talk_time_mean=20, patience_mean=300, seed=11, context="load-in")
            make_agents(s.pbx, 70, "load", plan, random.Random(5))
            async with asyncio.timeout(60):
                report = await run_traffic(s.pbx, plan)
        finally:
            await ami.close()
        assert len(report.outcomes) > 250
        assert report.answered >= 0.8 * len(report.outcomes), report.summary_zh()
        assert all(o.hangup_cause is not None for o in report.outcomes)
        assert not s.pbx.channels
