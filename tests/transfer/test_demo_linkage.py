"""The demo's simulated city answers linkage (issue 14.7): a one-click 119 transfer in the demo
configuration reaches an operator instead of failing for want of a line."""
from __future__ import annotations

import random

from asterisk_standin.traffic import TrafficPlan
from hotline.demo import EMERGENCY_OPERATORS, SIMULATED_AGENT_LABEL, DEMO_ACCOUNTS, occupancy_rate, simulate_people
from hotline.testing import test_config as hotline_config
from transfer_support import login, transfer_hotline, until

AGENT = "PJSIP/8101"  # agent01's phone in the demo accounts


async def test_a_one_click_119_transfer_in_the_demo_is_answered_by_the_simulated_operator(tmp_path):
    async with transfer_hotline(tmp_path, time_scale=0.2) as hotline:
        plan = TrafficPlan(rate=0.1, duration=0, talk_time_mean=45.0, seed=1)
        simulate_people(hotline.pbx, hotline_config(tmp_path, 5038, None), 0, plan, random.Random(1))
        hotline.pbx.queues.add_member("hotline-general", AGENT, name="坐席01")
        await until(lambda: hotline.engine.services["floor"].available_agents("hotline-general") == 1)
        out = hotline.call("13800138071", "李娜")
        await until(lambda: hotline.transfers.calls.of(AGENT) is not None)
        headers = await login(hotline.client, "agent01")
        response = await hotline.client.post("/transfer/emergency", headers=headers,
                                             json={"target": "119", "mode": "blind", "summary": "厨房起火"})
        assert response.status == 200, await response.text()
        entry = await hotline.transfers.wait_for((await response.json())["transfer"]["id"],
                                                 lambda e: e.result is not None)
        assert entry.result == "answered"
        await until(lambda: [p.name for p in hotline.bridged_endpoints(out.channel)] == [EMERGENCY_OPERATORS["119"]])
        hotline.hang_up(out.channel)


def test_simulated_agents_do_not_share_names_with_the_demo_accounts():
    accounts = {display for _, display, *_ in DEMO_ACCOUNTS}
    assert not any(name.startswith(SIMULATED_AGENT_LABEL) for name in accounts)
    assert "坐席01" in accounts and not "坐席01".startswith(SIMULATED_AGENT_LABEL)


def test_the_default_demo_load_keeps_the_pool_near_80_percent_busy():
    rate = occupancy_rate(4, 45.0)
    pool_calls_per_second = rate * 0.82   # 12315 and 95598 (18 of 100) have their own seats
    assert 0.75 <= pool_calls_per_second * 47.0 / 4 <= 0.85
