"""/surveys over HTTP as a supervisor and an admin use it: the queue's states, pause/resume read by
the survey pass, the do-not-call list (add with a reason, CSV import that applies nothing when a row is
bad, remove), numbers masked on the page and shown in full only through the audited reveal."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from agent_console.audit.service import VIEW_CALLER_NUMBER
from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from console_support import MovableClock, SharedClient, csrf_of, login, make_config, running_console
from hotline.engine import ENGINE
from surveys.console import job_state, store_of
from surveys.hours import CallingHours
from surveys.store import JobView

SETTINGS = ConsoleSettings(session_key="surveys-http-key-0123456789abcdefXYZ", session_max_age=3600,
                           live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600)
USERS = (("agent01", "坐席01", ("agent",), "PJSIP/8101"), ("lead01", "班长01", ("supervisor",), None),
         ("admin01", "管理员01", ("admin",), None))
JSON = {"Accept": "application/json"}


async def signed_in(client, username: str):
    c = SharedClient(client)
    await login(c, username)
    return c, await csrf_of(c, "/")


async def audited(app, action: str, result: str = "ok") -> list[str]:
    return [e.target for e in await app[CONSOLE].audit.recent(50, action=action) if e.result == result]


async def test_given_the_do_not_call_list_when_a_supervisor_adds_imports_and_removes_then_only_good_files_apply(tmp_path):
    async with running_console(make_config(tmp_path), MovableClock(), settings=SETTINGS, users=USERS) as (app, client):
        lead, token = await signed_in(client, "lead01")
        agent, agent_token = await signed_in(client, "agent01")
        assert (await agent.get("/surveys", allow_redirects=False)).status == 403
        refused = await agent.post("/surveys/do-not-call", data={"number": "13800138000", "reason": "x",
                                                                "csrf_token": agent_token})
        assert refused.status == 403

        no_token = await lead.post("/surveys/do-not-call", data={"number": "13800138000", "reason": "市民要求"})
        assert no_token.status == 403
        no_reason = await lead.post("/surveys/do-not-call", data={"number": "13800138000", "csrf_token": token})
        assert no_reason.status == 400 and "请填写加入免打扰名单的原因" in await no_reason.text()
        added = await lead.post("/surveys/do-not-call", data={"number": "138-0013-8000", "reason": "市民要求不再回访",
                                                             "csrf_token": token})
        page = await added.text()
        assert added.status == 200 and "已加入免打扰名单" in page
        assert "138****8000" in page and "13800138000" not in page and "市民要求不再回访" in page
        assert await audited(app, "survey.do_not_call.add") == ["138****8000 市民要求不再回访"]
        assert await audited(app, "survey.do_not_call.add", "failed") == [""]

        bad = "号码,原因\n13900139000,投诉过多次骚扰\n12abc,错号\n13700137000,\n13900139000,重复\n"
        form = aiohttp.FormData({"csrf_token": token})
        form.add_field("csv", bad.encode(), filename="dnc.csv", content_type="text/csv")
        answer = await lead.post("/surveys/do-not-call/import", data=form, headers=JSON)
        body = await answer.json()
        assert answer.status == 400 and body["error"]["message"] == "导入失败：3 行有错误，未导入任何号码"
        assert [r["row"] for r in body["error"]["rows"]] == [3, 4, 5]
        assert "与第 2 行号码重复" in body["error"]["rows"][2]["message"]
        assert [b.number for b in await store_of_app(app).do_not_call()] == ["13800138000"]  # nothing applied

        good = "13900139000,投诉过多次骚扰\n0571-87654321,单位总机\n13800138000,已在名单\n"
        form = aiohttp.FormData({"csrf_token": token})
        form.add_field("csv", good.encode(), filename="dnc.csv", content_type="text/csv")
        answer = await lead.post("/surveys/do-not-call/import", data=form)
        assert answer.status == 200 and "导入成功：新增 2 个号码，1 个已在名单中" in await answer.text()
        assert sorted(b.number for b in await store_of_app(app).do_not_call()) == [
            "057187654321", "13800138000", "13900139000"]

        page = await (await lead.get("/surveys")).text()
        ref = re.search(r'<tr data-ref="([0-9a-f]+)">\s*<td><span class="number" data-testid="number">139\*\*\*\*9000',
                        page).group(1)
        shown = await lead.post("/surveys/do-not-call/number", json={"ref": ref}, headers={**JSON, "X-CSRF-Token": token})
        assert (await shown.json())["number"] == "13900139000"
        assert await audited(app, VIEW_CALLER_NUMBER) == ["do-not-call 139****9000"]
        gone = await lead.post("/surveys/do-not-call/remove", data={"ref": ref, "csrf_token": token})
        assert gone.status == 200 and "已移出免打扰名单" in await gone.text()
        assert "13900139000" not in [b.number for b in await store_of_app(app).do_not_call()]
        again = await lead.post("/surveys/do-not-call/remove", data={"ref": ref, "csrf_token": token})
        assert again.status == 404
        await agent.close()
        await lead.close()


def store_of_app(app):
    class _Request:  # store_of reads only request.app
        pass
    request = _Request()
    request.app = app
    return store_of(request)


async def test_given_survey_jobs_when_an_admin_pauses_then_the_page_and_the_store_say_paused_and_jobs_show_states(tmp_path):
    async with running_console(make_config(tmp_path), MovableClock(), settings=SETTINGS, users=USERS) as (app, client):
        admin, token = await signed_in(client, "admin01")
        tickets = app[ENGINE].services["tickets"]
        draft = await tickets.create_draft(actor="ivr", caller="13800138000", line_dialed="12345", content="路灯不亮")
        await tickets.register(draft.number, "agent01", request_type="help", content="路灯不亮")
        await tickets.reply(draft.number, "已修复", "agent01")
        store = store_of_app(app)
        [job] = await store.enqueue([await tickets.get(draft.number)], datetime.now(UTC), timedelta(0))
        page = await (await admin.get("/surveys")).text()
        assert f'data-ticket="{draft.number}" data-state="waiting"' in page and "待拨" in page
        assert "138****8000" in page and "13800138000" not in page
        assert f'/tickets/{draft.number}/page' not in page   # an admin has no ticket pages; supervisors do

        switched = await admin.post("/surveys/pause", data={"csrf_token": token})
        assert switched.status == 200 and "自动语音回访已暂停" in await switched.text()
        assert (await store.control()).paused and (await store.control()).changed_by == "admin01"
        assert 'data-paused="yes"' in await (await admin.get("/surveys")).text()
        await admin.post("/surveys/resume", data={"csrf_token": token})
        assert not (await store.control()).paused
        assert await audited(app, "survey.pause") == [""] and await audited(app, "survey.resume") == [""]

        shown = await admin.post(f"/surveys/jobs/{job.id}/number", headers={**JSON, "X-CSRF-Token": token})
        assert (await shown.json())["number"] == "13800138000"
        assert await audited(app, VIEW_CALLER_NUMBER) == [f"survey job {job.id} 138****8000"]
        assert (await admin.post("/surveys/jobs/999/number", headers={**JSON, "X-CSRF-Token": token})).status == 404
        await admin.close()


@pytest.mark.parametrize("status, attempts, next_hour, outcome, label", [
    ("pending", 0, 10, None, "待拨"),
    ("dialing", 1, 10, None, "拨打中"),
    ("in_call", 1, 10, None, "拨打中"),
    ("pending", 1, 11, "busy", "重试于 11:00"),
    ("done", 1, 10, "reached", "已完成"),
    ("gave_up", 3, 10, "no_answer", "无法回访"),
    ("blocked", 0, 10, None, "无法回访（免打扰）"),
])
def test_queue_states_as_the_supervisor_reads_them(status, attempts, next_hour, outcome, label):
    zone = CallingHours().zone
    today = datetime.now(zone).replace(hour=next_hour, minute=0, second=0, microsecond=0)
    job = JobView(1, "20261203000001", "13800138000", status, attempts, today.astimezone(UTC), outcome,
                  None, None, None, None)
    assert job_state(job, zone)[1] == label
