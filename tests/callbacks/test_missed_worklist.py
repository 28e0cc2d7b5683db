"""漏接回拨 page through the stand-in (issue 14.3): a caller abandons in the queue and lands on the
worklist with its draft; the agent's 一键回拨 rings the agent's own phone, then the citizen with the
line's caller ID; 回拨成功 takes the row off and the supervisors' 回拨率 follows; 无人接听 is counted
until the row leaves as 多次未接通; two agents clicking the same row: one calls, the other is told."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from agent_console.audit.models import AuditEntry
from asterisk_standin.people import Citizen
from calls.codes import Outcome
from calls.finished import FinishedCall

from test_callbacks_flow import JSON, signed_in, until

CITIZEN = "13800138000"
CONFIG = {"console": {"session_key": "missed-worklist-test-key-0123456789abcdef"},
          "callbacks": {"agent_ring_seconds": 20, "citizen_ring_seconds": 10, "missed_max_no_answer": 2,
                        "caller_ids": {"12345": "057112345"}}}


def press_zero_on_welcome(pbx) -> None:
    """The caller presses 0 when the greeting starts, as a person in a hurry does (no intake)."""
    def on_event(event: str, headers) -> None:
        fields = dict(headers)
        if event == "AGIExecStart" and "STREAM FILE hotline/welcome" in fields.get("Command", ""):
            chan = pbx.find_channel(fields["Channel"])
            asyncio.get_running_loop().call_later(0.01, pbx.dtmf_received, chan, "0")
    pbx.add_listener(on_event)


async def _call(http, headers, missed_id: int, final: set[str]) -> dict:
    started = await http.post(f"/callbacks/missed/{missed_id}/call", headers=headers)
    assert started.status == 200, await started.text()

    async def state():
        body = await (await http.get(f"/callbacks/missed/{missed_id}/call", headers=JSON)).json()
        return body["call"] if body["call"]["state"] in final else None
    return await until(state)


async def _audit(hotline, action: str) -> list[tuple[str, str, str]]:
    async with hotline.engine.sessions() as session:
        rows = (await session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                      .order_by(AuditEntry.id))).scalars()
        return [(r.username, r.target, r.result) for r in rows]


async def test_abandoned_caller_is_called_back_from_the_worklist_and_the_rate_follows(tmp_path):
    from hotline.testing import running_hotline

    async with running_hotline(tmp_path, config=CONFIG) as hotline:
        call_log = hotline.engine.services["call_log"]
        # nobody answers: the citizen skips intake (0 during the greeting) and gives up in the queue
        press_zero_on_welcome(hotline.pbx)
        out = await hotline.finished(hotline.call(Citizen(CITIZEN, "市民", dialed="12345", context="from-trunk",
                                                           patience=4.0)), timeout=30)
        assert out.answered_by is None
        (missed,) = await until(call_log.list_missed, timeout=20)
        assert missed.reason.value in {"abandoned", "timeout", "no_agent"}
        await until(lambda: call_log.get_missed(missed.id), timeout=5)
        draft = (await until(lambda: _draft(call_log, missed.id), timeout=10))

        phone = hotline.add_agent("PJSIP/8101", "坐席01", ring_time=1.0, talk_time=2.0)
        citizen = hotline.add_callee(CITIZEN, ring_time=1.0)
        async with signed_in(hotline) as (http, headers):
            page = await (await http.get("/callbacks/missed")).text()
            row = page[page.index(f'data-id="{missed.id}"'):]
            row = row[:row.index("</tr>")]
            assert CITIZEN in row and "<td>12345</td>" in row and f'href="/tickets/{draft}"' in row
            assert "外显号码 057112345" in row and "秒" in row
            assert 'data-testid="callback-rate"' not in page        # the rate is for supervisors

            call = await _call(http, headers, missed.id, {"ended", "citizen_failed", "agent_failed"})
            assert call["state"] == "ended" and call["dial_status"] == "ANSWER"
            assert (phone.calls, citizen.calls) == (1, 1) and citizen.seen == ["057112345"]

            done = await http.post(f"/callbacks/missed/{missed.id}/record", headers=headers,
                                   data={"result": "reached", "note": "市民问题已当场记录"})
            assert (await done.json())["message"] == "已记录回拨成功，该来电已移出回拨列表"
            page = await (await http.get("/callbacks/missed")).text()
            assert f'data-id="{missed.id}"' not in page and "暂无待回拨的来电" in page

        assert (await call_log.get_missed(missed.id)).status.value == "called_back"
        async with signed_in(hotline, "banzhang", "demo-supervisor") as (http, _):
            page = await (await http.get("/callbacks/missed")).text()
            rate = page[page.index('data-testid="callback-rate"'):]
            assert '<strong data-testid="rate-value">100.0 %</strong>' in rate
            assert '<span data-testid="rate-handled">1</span>' in rate and '<span data-testid="rate-entries">1</span>' in rate
        calls = await _audit(hotline, "missed.call")
        records = await _audit(hotline, "missed.record")
        assert calls == [("agent01", f"{missed.id} {CITIZEN} PJSIP/8101", "ok")]
        assert records == [("agent01", f"{missed.id} reached called_back 第1次", "ok")]


async def _draft(call_log, missed_id: int) -> str | None:
    return (await call_log.get_missed(missed_id)).ticket_number


async def _miss(hotline, linkedid: str) -> int:
    now = hotline.engine.clock()
    call_log = hotline.engine.services["call_log"]
    await call_log.record(FinishedCall("standin", linkedid, Outcome.ABANDONED, now - timedelta(seconds=50), now,
                                       caller_number=CITIZEN, line="12345", first_queue="hotline-general",
                                       hold_seconds=40, left_queue_at=now))
    (row,) = await call_log.list_missed()
    return row.id


async def test_two_agents_on_one_row_and_no_answer_counted_until_it_leaves_as_repeatedly_unreached(tmp_path):
    from hotline.testing import running_hotline

    async with running_hotline(tmp_path, config=CONFIG) as hotline:
        missed_id = await _miss(hotline, "miss-1")
        hotline.add_agent("PJSIP/8101", "坐席01", ring_time=1.0, talk_time=30.0)
        hotline.add_agent("PJSIP/8102", "坐席02", ring_time=1.0, talk_time=30.0)
        citizen = hotline.add_callee(CITIZEN, ring_time=1.0)
        citizen.answer = False                                           # rings out every time
        async with signed_in(hotline) as (one, h1), signed_in(hotline, "agent02", "demo-agent-02") as (two, h2):
            first, second = await asyncio.gather(one.post(f"/callbacks/missed/{missed_id}/call", headers=h1),
                                                 two.post(f"/callbacks/missed/{missed_id}/call", headers=h2))
            statuses = sorted([first.status, second.status])
            assert statuses == [200, 409]
            winner, loser, lh = (("agent01", two, h2) if first.status == 200 else ("agent02", one, h1))
            refused = first if first.status == 409 else second
            assert (await refused.json())["error"]["message"] == f"坐席 {winner} 正在回拨此来电，请选择其他来电"
            page = await (await loser.get("/callbacks/missed")).text()
            assert f"坐席 {winner} 正在回拨" in page
            late = await loser.post(f"/callbacks/missed/{missed_id}/record", headers=lh, data={"result": "reached"})
            assert late.status == 409
            assert hotline.engine.services["clicktocall"].latest(f"missed-{missed_id}", winner) is not None

            http, headers = (one, h1) if winner == "agent01" else (two, h2)
            dialer = hotline.engine.services["clicktocall"]
            await until(lambda: not dialer.latest(f"missed-{missed_id}", winner).active, timeout=20)
            assert dialer.latest(f"missed-{missed_id}", winner).dial_status == "NOANSWER"
            done = await http.post(f"/callbacks/missed/{missed_id}/record", headers=headers, data={"result": "no_answer"})
            assert (await done.json())["message"] == "已记录无人接听，稍后再次回拨"
            page = await (await http.get("/callbacks/missed")).text()
            row = page[page.index(f'data-id="{missed_id}"'):]
            assert '<span data-testid="attempts">1</span>' in row and "上次：无人接听" in row
            # the claim ended with the outcome: the other agent may take the next attempt
            other, oh = (two, h2) if winner == "agent01" else (one, h1)
            call = await _call(other, oh, missed_id, {"citizen_failed", "ended", "agent_failed"})
            assert call["dial_status"] == "NOANSWER" and citizen.seen == ["057112345", "057112345"]
            done = await other.post(f"/callbacks/missed/{missed_id}/record", headers=oh, data={"result": "no_answer"})
            assert (await done.json())["message"] == "多次无人接听，该来电已按“多次未接通”移出回拨列表"
            assert f'data-id="{missed_id}"' not in await (await other.get("/callbacks/missed")).text()
            bad = await other.post(f"/callbacks/missed/{missed_id}/record", headers=oh, data={"result": "maybe"})
            assert bad.status == 400

        row = await hotline.engine.services["call_log"].get_missed(missed_id)
        assert (row.status.value, row.attempts, row.last_result) == ("unreachable", 2, "no_answer")
        rate = await hotline.engine.services["call_log"].callback_rate(hotline.engine.clock() - timedelta(days=1),
                                                                       hotline.engine.clock() + timedelta(seconds=1))
        # the callback calls themselves (out, unanswered) are no new misses on the list
        assert [m.id for m in await hotline.engine.services["call_log"].list_missed(status=None)] == [missed_id]
        assert (rate["entries"], rate["handled"], rate["unreachable"], rate["rate"]) == (1, 1, 1, 100.0)
        first, second, later = [r for _, _, r in await _audit(hotline, "missed.call")]
        assert sorted([first, second]) == ["failed", "ok"] and later == "ok"  # the two clicks race; one wins
        assert [r for _, _, r in await _audit(hotline, "missed.record")] == ["failed", "ok", "ok", "failed"]


async def test_when_the_agents_own_phone_refuses_the_row_is_free_for_another_agent_at_once(tmp_path):
    from hotline.testing import running_hotline

    async with running_hotline(tmp_path, config=CONFIG) as hotline:
        missed_id = await _miss(hotline, "miss-2")
        hotline.add_agent("PJSIP/8101", "坐席01", ring_time=0.5, reject=True)     # busy on another line
        hotline.add_agent("PJSIP/8102", "坐席02", ring_time=0.5, talk_time=2.0)
        citizen = hotline.add_callee(CITIZEN, ring_time=0.5)
        async with signed_in(hotline) as (one, h1), signed_in(hotline, "agent02", "demo-agent-02") as (two, h2):
            failed = await _call(one, h1, missed_id, {"agent_failed", "ended", "citizen_failed"})
            assert failed["state"] == "agent_failed" and citizen.seen == []
            call = await _call(two, h2, missed_id, {"ended", "citizen_failed", "agent_failed"})
            assert call["dial_status"] == "ANSWER" and citizen.seen == ["057112345"]
            done = await two.post(f"/callbacks/missed/{missed_id}/record", headers=h2, data={"result": "wrong_number"})
            assert (await done.json())["message"] == "已记录号码错误，该来电已移出回拨列表"
        row = await hotline.engine.services["call_log"].get_missed(missed_id)
        assert (row.status.value, row.last_result, row.handled_by) == ("closed", "wrong_number", "agent02")
