"""The HTTP webhook adapter for a city's SMS platform: a notice arrives as JSON in Chinese; an error
answer, a refused connection or a platform that hangs is GatewayDown (the notice stays pending)."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from supervision.gateway import GatewayDown, Outgoing, WebhookGateway

MESSAGE = Outgoing(7, "department", "cgj", "20261013000001", "red", "工单 20261013000001 已超过签收时限")


async def _platform(handler):
    app = web.Application()
    app.router.add_post("/notify", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_given_the_platform_up_then_the_notice_arrives_as_json_with_its_token():
    got = []

    async def notify(request):
        got.append((await request.json(), request.headers.get("Authorization")))
        return web.json_response({"ok": True})

    server = await _platform(notify)
    gateway = WebhookGateway(str(server.make_url("/notify")), token="s3cret")
    try:
        await gateway.send(MESSAGE)
    finally:
        await gateway.close()
        await server.close()
    assert got == [({"notice_id": 7, "audience": "department", "department": "cgj", "ticket": "20261013000001",
                     "topic": "red", "text": "工单 20261013000001 已超过签收时限"}, "Bearer s3cret")]


@pytest.mark.parametrize("failure", ["503", "refused", "hangs"])
async def test_given_the_platform_failing_then_gateway_down(failure):
    async def notify(request):
        if failure == "hangs":
            await asyncio.sleep(5)
        return web.Response(status=503, text="busy")

    server = await _platform(notify)
    url = str(server.make_url("/notify"))
    if failure == "refused":
        await server.close()
    gateway = WebhookGateway(url, timeout=0.3)
    try:
        with pytest.raises(GatewayDown):
            await gateway.send(MESSAGE)
    finally:
        await gateway.close()
        if failure != "refused":
            await server.close()
