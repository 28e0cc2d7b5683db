"""A flood of submissions: more at once than [citizen] max_in_flight answer 503 系统繁忙 with Retry-After at
once — web form and SMS uplink alike — with nothing stored and the citizen's SMS code still usable, instead
of queueing for the database until a timeout leaves a draft the citizen never got the number of."""
from __future__ import annotations

import asyncio

from channels.web.context import CITIZEN
from console_support import MovableClock, make_config, running_console
from hotline.engine import ENGINE
from test_channels_citizen import send_code, sms_codes, submit
from test_channels_sms_inbound import SECRET, body_of, push, stored


async def test_given_submissions_in_flight_at_the_limit_when_another_comes_then_503_and_nothing_stored(tmp_path):
    config = make_config(tmp_path)
    config = config.model_copy(update={"citizen": config.citizen.model_copy(update={"max_in_flight": 1}),
                                       "sms": config.sms.model_copy(update={"uplink_secret": SECRET})})
    clock = MovableClock()
    async with running_console(config, clock) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        assert (await send_code(client)).status == 200
        assert (await send_code(client, phone="13700137000")).status == 200
        first_code, second_code = sms_codes(app)
        desk = app[CITIZEN].desk
        real, entered, release = desk.submit, asyncio.Event(), asyncio.Event()

        async def held(*args, **kwargs):
            entered.set()
            await release.wait()
            return await real(*args, **kwargs)

        desk.submit = held
        first = asyncio.create_task(submit(client, first_code))
        async with asyncio.timeout(10):
            await entered.wait()
        busy = await submit(client, second_code, phone="13700137000")
        assert busy.status == 503 and busy.headers["Retry-After"] == "5"
        assert "系统繁忙" in await busy.text()
        uplink = await push(client, body_of("MO-BUSY-1", "路灯不亮"), clock=clock)
        assert uplink.status == 503 and (await uplink.json())["error"] == "sms.busy"
        assert await tickets.search(status="draft") == [] and await stored(app) == 0

        release.set()
        assert (await first).status == 200
        desk.submit = real
        again = await submit(client, second_code, phone="13700137000")
        assert again.status == 200, "the refused submission's SMS code was not used up"
        assert (await push(client, body_of("MO-BUSY-1", "路灯不亮"), clock=clock)).status == 200
        assert len(await tickets.search(status="draft")) == 3
