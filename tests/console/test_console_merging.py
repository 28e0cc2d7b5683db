"""Issue 12.9 并单: a dispatcher merges a duplicate into a main ticket, the duplicate follows the
main's outcome with its own history, and the agent's form is told about likely duplicates."""
from __future__ import annotations

import pytest

from agent_console.context import CONSOLE
from console_support import MovableClock, SharedClient, csrf_of, login, make_config, running_console
from hotline.engine import ENGINE
from tickets.codes import Action, Status

JSON = {"Accept": "application/json"}
POTHOLE = "人民路与解放路路口有个大坑，电动车已经摔了两次，请尽快修补"


@pytest.fixture
async def console(tmp_path):
    async with running_console(make_config(tmp_path), MovableClock()) as (app, client):
        yield app, client


async def _ticket(tickets, caller: str, content: str, actor: str = "agent01"):
    draft = await tickets.create_draft(caller=caller, content=content)
    await tickets.register(draft.number, actor, request_type="report", content=content)
    return draft.number


async def test_given_a_duplicate_merged_by_a_supervisor_then_it_follows_the_mains_reply_and_close(console):
    app, client = console
    tickets = app[ENGINE].services["tickets"]
    main = await _ticket(tickets, "13800138000", POTHOLE)
    duplicate = await _ticket(tickets, "13800138000", "人民路解放路口那个大坑还没修，又有电动车摔倒了")
    other = await _ticket(tickets, "13900139000", "小区噪音扰民")
    await login(client, "agent01")
    refused = await client.post(f"/center/tickets/{duplicate}/merge", data={"main": main},
                                headers={**JSON, "X-CSRF-Token": await csrf_of(client)})
    assert refused.status == 403  # an agent does not merge
    supervisor = SharedClient(client)
    try:
        await login(supervisor, "boss")
        no_token = await supervisor.post(f"/center/tickets/{duplicate}/merge", data={"main": main}, headers=JSON)
        assert no_token.status == 403
        headers = {**JSON, "X-CSRF-Token": await csrf_of(supervisor)}
        itself = await supervisor.post(f"/center/tickets/{main}/merge", data={"main": main}, headers=headers)
        assert itself.status == 409 and "不能把工单并入它自己" in (await itself.json())["error"]["message"]
        done = await supervisor.post(f"/center/tickets/{duplicate}/merge", data={"main": main}, headers=headers)
        assert done.status == 200 and f"已将 {duplicate} 并入 {main}" in (await done.json())["message"]
        again = await supervisor.post(f"/center/tickets/{other}/merge", data={"main": duplicate}, headers=headers)
        assert again.status == 409 and "本身已被并单" in (await again.json())["error"]["message"]
        entry = (await app[CONSOLE].audit.recent(1, action="center.ticket.merge"))[0]
        assert (entry.username, entry.target, entry.result) == ("boss", f"{other} -> {duplicate}", "failed")
    finally:
        await supervisor.close()

    await tickets.reply(main, "已安排市政养护队今日修补", "boss")
    followed = await tickets.get(duplicate)
    assert followed.status is Status.REPLIED and followed.reply == "已安排市政养护队今日修补"
    history = await tickets.history(duplicate)
    assert [e.action for e in history][-2:] == [Action.MERGE, Action.MERGE_FOLLOW]
    assert history[-2].detail == {"main": main} and history[-1].detail == {"main": main, "outcome": "reply"}
    assert (history[-1].from_status, history[-1].to_status) == (Status.REGISTERED, Status.REPLIED)
    assert (await tickets.history(main))[-2].detail == {"duplicate": duplicate}
    await tickets.record_callback(main, "satisfied", None, "boss")
    await tickets.close(main, "boss")
    closed = await tickets.get(duplicate)
    assert closed.status is Status.CLOSED and closed.closed_at is not None
    assert (await tickets.get(other)).status is Status.REGISTERED  # the refused merge left it alone


async def test_given_an_agents_new_ticket_then_the_form_is_told_of_likely_duplicates_of_its_caller(console):
    app, client = console
    tickets = app[ENGINE].services["tickets"]
    earlier = await _ticket(tickets, "13800138000", POTHOLE, actor="agent02")
    unrelated = await _ticket(tickets, "13800138000", "咨询社保卡补办需要什么材料", actor="agent02")
    elsewhere = await _ticket(tickets, "13700137000", POTHOLE, actor="agent02")  # another caller
    draft = await tickets.create_draft(caller="138-0013-8000", actor="agent01")
    await tickets.register(draft.number, "agent01", request_type="report", content="路口的大坑")
    await login(client, "agent01")
    found = await client.get(f"/agent/tickets/{draft.number}/duplicates",
                             params={"content": "人民路解放路口有大坑，有电动车摔倒，请修补"})
    body = await found.json()
    assert found.status == 200 and body["window_days"] == 7
    numbers = [s["number"] for s in body["suggestions"]]
    assert numbers == [earlier] and body["suggestions"][0]["same_caller"] is True
    assert unrelated not in numbers and elsewhere not in numbers
    assert body["suggestions"][0]["excerpt"].startswith("人民路与解放路路口")
    app[ENGINE].clock.advance(8 * 86400)  # beyond merge_window_days: no longer suggested
    await login(client, "agent01")  # (the session idled out meanwhile)
    later = await (await client.get(f"/agent/tickets/{draft.number}/duplicates",
                                    params={"content": POTHOLE})).json()
    assert later["suggestions"] == []
    foreign = await client.get(f"/agent/tickets/{earlier}/duplicates")  # agent02's ticket: not agent01's
    assert foreign.status == 403
