"""Issue 12.8 共建共享: a department proposes or edits entries of its own domain, the center
reviews and publishes them (agents find the new text at once), single entries are edited in the
console, and every entry keeps its history."""
from __future__ import annotations

import pytest

from agent_console.context import CONSOLE
from console_support import USERS, MovableClock, SharedClient, csrf_of, login, make_config, running_console
from hotline.engine import ENGINE

CSV = ("编号,问题,答案,责任部门,生效日期,失效日期,关键词\n"
       "yb-001,医保卡丢了怎么办？,请到医保经办窗口补办。,ybj,,,医保卡、补办\n"
       "gj-001,公积金怎么提取？,请到公积金中心办理。,gjj,,,公积金、提取\n").encode()
DEPT_USERS = USERS + (("yb01", "医保承办人", ("department",), None, "ybj"),)


@pytest.fixture
async def console(tmp_path):
    async with running_console(make_config(tmp_path), MovableClock(), users=DEPT_USERS) as (app, client):
        kb = app[ENGINE].services["knowledge"]
        await kb.import_data(CSV, "csv")
        yield app, client, kb


def _entry(kb, key):
    return next(hit.entry for hit in kb.search("医保卡 公积金 补办 提取", limit=10) if hit.entry.key == key)


async def test_given_a_department_proposal_when_the_center_publishes_it_then_agents_find_it_with_its_history(
        console):
    app, client, kb = console
    mine, theirs = _entry(kb, "yb-001"), _entry(kb, "gj-001")
    await login(client, "yb01")
    headers = {"Accept": "application/json", "X-CSRF-Token": await csrf_of(client, "/account/password")}
    proposed = await client.post("/kb/proposals", headers=headers, json={
        "entry_id": str(mine.id), "question": "医保卡丢了怎么办？",
        "answer": "可在“广西医保”App 在线挂失并申请补卡，邮寄到家。", "keywords": "医保卡、补办、挂失"})
    body = await proposed.json()
    assert proposed.status == 200 and body["message"] == "已提交，等待中心审核发布"
    proposal_id = body["proposal"]["id"]
    assert kb.search("挂失", limit=5) == []  # nothing published yet
    foreign = await client.post("/kb/proposals", headers=headers, json={
        "entry_id": str(theirs.id), "question": "公积金怎么提取？", "answer": "改了"})
    assert foreign.status == 403 and "只能修改本单位" in (await foreign.json())["error"]["message"]
    empty = await client.post("/kb/proposals", headers=headers, json={"question": "新问题", "answer": ""})
    assert empty.status == 400 and "答案：不能为空" in (await empty.json())["error"]["message"]
    assert (await client.post(f"/kb/proposals/{proposal_id}/publish", headers=headers)).status == 403

    center = SharedClient(client)
    try:
        await login(center, "boss")
        center_headers = {"Accept": "application/json", "X-CSRF-Token": await csrf_of(center)}
        pending = await (await center.get("/kb/proposals", headers={"Accept": "application/json"})).json()
        assert [p["id"] for p in pending["proposals"]] == [proposal_id]
        no_token = await center.post(f"/kb/proposals/{proposal_id}/publish", headers={"Accept": "application/json"})
        assert no_token.status == 403
        done = await center.post(f"/kb/proposals/{proposal_id}/publish", headers=center_headers)
        assert done.status == 200 and (await done.json())["proposal"]["state"] == "published"
        hits = kb.search("挂失", limit=5)
        assert [h.entry.key for h in hits] == ["yb-001"] and "广西医保" in hits[0].entry.answer
        again = await center.post(f"/kb/proposals/{proposal_id}/publish", headers=center_headers)
        assert again.status == 404  # reviewed once only

        edited = await center.post(f"/kb/entries/{mine.id}", headers=center_headers,
                                   json={"answer": "可在“广西医保”App 在线挂失补卡，或到任一经办窗口办理。"})
        assert edited.status == 200 and "经办窗口" in (await edited.json())["entry"]["answer"]
        bad = await center.post(f"/kb/entries/{mine.id}", headers=center_headers, json={"question": "问" * 300})
        assert bad.status == 400 and "问题：过长" in (await bad.json())["error"]["message"]

        new = await client.post("/kb/proposals", headers=headers, json={"question": "异地就医怎么备案？",
                                                                       "answer": "在 App 上办理备案。"})
        new_id = (await new.json())["proposal"]["id"]
        no_comment = await center.post(f"/kb/proposals/{new_id}/reject", headers=center_headers, json={})
        assert no_comment.status == 400 and "审核意见" in (await no_comment.json())["error"]["message"]
        rejected = await center.post(f"/kb/proposals/{new_id}/reject", headers=center_headers,
                                     json={"comment": "请补充备案渠道和所需材料"})
        assert rejected.status == 200
        entries = [(e.action, e.result) for e in await app[CONSOLE].audit.recent(20) if e.action.startswith("kb.")]
        assert ("kb.proposal.publish", "ok") in entries and ("kb.entry.edit", "ok") in entries
        assert ("kb.proposal.reject", "ok") in entries and ("kb.propose", "failed") in entries
    finally:
        await center.close()

    own = await (await client.get("/kb/proposals", headers={"Accept": "application/json"})).json()
    states = {p["id"]: (p["state"], p["comment"]) for p in own["proposals"]}
    assert states == {proposal_id: ("published", ""), new_id: ("rejected", "请补充备案渠道和所需材料")}
    history = await (await client.get(f"/kb/entries/{mine.id}/history")).json()
    assert [(r["actor"], r["source"]) for r in history["revisions"]] == [("boss", "proposal"), ("boss", "edit")]
    assert "广西医保" in history["revisions"][0]["answer"] and "经办窗口" in history["revisions"][1]["answer"]
