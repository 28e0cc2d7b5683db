"""Early warnings are sent (issue 16.6): the spike the detector raises goes to the center's supervisors
through the 督办 notification gateway once per warning; while the gateway is down (refusing, or hanging
past its timeout) the warning stays pending — shown so on /reports/hotspots — and is retried later,
without the pass or the page waiting on it."""
from __future__ import annotations

import asyncio
import re
import time

from console_support import MovableClock, SharedClient, login, make_config, running_console
from dept_support import DEPT_USERS
from hotline.engine import ENGINE
from supervision.gateway import GatewayDown, LogGateway
from test_console_hotspots import prepare, seed


class Flaky(LogGateway):
    """The city's SMS platform: down (refusing or hanging) until told otherwise."""

    def __init__(self) -> None:
        super().__init__()
        self.mode, self.tries = "refuse", 0

    async def send(self, message) -> None:
        self.tries += 1
        if self.mode == "refuse":
            raise GatewayDown("HTTP 503")
        if self.mode == "hang":
            await asyncio.sleep(3600)
        await super().send(message)


def states(html: str) -> list[str]:
    return re.findall(r'data-key="notice" data-state="(\w+)"', html)


async def test_given_a_spike_when_the_gateway_is_down_then_pending_and_retried_and_sent_once(tmp_path):
    clock = MovableClock()
    async with running_console(make_config(tmp_path), clock, users=DEPT_USERS, prepare=prepare) as (app, client):
        await seed(app, clock)
        notifier = app[ENGINE].services["hotspot_notifier"]
        gateway = notifier.gateway = Flaky()
        lead = SharedClient(client)
        await login(lead, "lead01")
        assert states(await (await lead.get("/reports/hotspots")).text()) == ["none", "none"]

        first = await notifier.run_once()
        assert (first.raised, first.sent, first.failed) == (2, 0, 1)  # the first refusal ends the round
        html = await (await lead.get("/reports/hotspots")).text()
        assert states(html) == ["pending", "pending"] and "通知网关暂不可用" in html

        second = await notifier.run_once()  # the other warning was not tried yet; the first one waits
        assert (second.raised, second.sent, second.failed, gateway.tries) == (0, 0, 1, 2)
        again = await notifier.run_once()  # neither is due: backoff, the gateway is left alone
        assert (again.raised, again.sent, again.failed, gateway.tries) == (0, 0, 0, 2)

        gateway.mode, notifier.send_timeout = "hang", 0.2
        clock.advance(120)
        started = time.monotonic()
        hung = await notifier.run_once()
        assert hung.failed == 1 and gateway.tries == 3 and time.monotonic() - started < 2, "a hanging gateway never holds the pass"

        gateway.mode = "up"
        clock.advance(600)
        up = await notifier.run_once()
        assert (up.raised, up.sent, up.failed) == (0, 2, 0)
        assert [m.topic for m in gateway.sent] == ["hotspot", "hotspot"]
        assert [m.audience for m in gateway.sent] == ["center", "center"]
        city, district = (m.text for m in gateway.sent)
        assert "全市" in city and "交通/公交" in city and "6 件" in city and "浦东新区" in district
        assert states(await (await lead.get("/reports/hotspots")).text()) == ["sent", "sent"]

        clock.advance(3600)
        later = await notifier.run_once()
        assert (later.raised, later.sent) == (0, 0) and len(gateway.sent) == 2, "once per warning"
        await lead.close()


async def test_given_the_notify_job_when_due_then_it_sends_on_its_own(tmp_path):
    config = make_config(tmp_path)
    config = config.model_copy(update={"hotspots": config.hotspots.model_copy(update={"notify_every_seconds": 5})})
    clock = MovableClock()
    async with running_console(config, clock, users=DEPT_USERS, prepare=prepare) as (app, client):
        await seed(app, clock)
        notifier = app[ENGINE].services["hotspot_notifier"]
        assert isinstance(notifier.gateway, LogGateway)  # [supervision] gateway = "log", the default
        async with asyncio.timeout(15):
            while len(notifier.gateway.sent) < 2:
                await asyncio.sleep(0.2)
        assert {m.topic for m in notifier.gateway.sent} == {"hotspot"}
        assert (await notifier.run_once()).sent == 0
