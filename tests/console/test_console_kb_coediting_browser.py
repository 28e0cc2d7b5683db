"""共建共享 in headless Chromium (issue 12.8): a department's 承办人 opens 知识共建, proposes a new entry
and an edit of one of its own entries (another department's entry offers no form); the center's 班长
finds both in its review queue, publishes the edit and rejects the new entry with a comment; agents find
the published text at once; the 班长 edits the entry directly on its page; the entry's history lists
both changes with who made them; the department reads the verdicts. Screenshots go to
$HOTLINE_SCREENSHOTS when set, else to the test's tmp dir."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import expect

from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from browser_support import chromium, signed_in_page
from conftest import require_chromium
from console_support import MovableClock, assert_no_stray_tasks, make_config, running_console
from hotline.engine import ENGINE

pytestmark = [pytest.mark.browser]
SETTINGS = ConsoleSettings(session_key="kb-coedit-browser-key-0123456789abc", session_max_age=600,
                           poll_seconds=0.3, live_batch_seconds=0.05, live_tick_seconds=0.3)
USERS = (
    ("agent01", "坐席01", ("agent",), "PJSIP/8101"),
    ("lead01", "班长01", ("supervisor",), None),
    ("yb01", "医保承办人", ("department",), None, "ybj"),
)
CSV = ("编号,问题,答案,责任部门,生效日期,失效日期,关键词\n"
       "yb-001,医保卡丢了怎么办？,请到医保经办窗口补办。,医疗保障局,,,医保卡、补办\n"
       "gj-001,公积金怎么提取？,请到公积金中心办理。,住房公积金中心,,,公积金、提取\n").encode()


def departments(app) -> None:
    async def name(app):
        await app[ENGINE].services["tickets"].add_department("ybj", "医疗保障局")
    app.on_startup.append(name)


async def test_given_a_department_proposal_when_the_center_reviews_it_in_the_console_then_agents_find_it_with_history(
        tmp_path):
    require_chromium()
    shots = Path(os.environ.get("HOTLINE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    async with running_console(make_config(tmp_path), MovableClock(), settings=SETTINGS, users=USERS,
                               prepare=departments) as (app, client):
        kb = app[ENGINE].services["knowledge"]
        await kb.import_data(CSV, "csv")
        ids = {hit.entry.key: hit.entry.id for hit in kb.search("医保卡 公积金 补办 提取", limit=10)}
        base = str(client.make_url("")).rstrip("/")
        async with chromium() as browser:
            async def page_of(username: str, path: str):
                return await signed_in_page(browser, base, username, path)

            dctx, dept = await page_of("yb01", "/kb/search")
            await dept.get_by_test_id("kb-coedit-link").click()
            await expect(dept).to_have_url(base + "/kb/proposals")
            own = dept.get_by_test_id("own-entries")
            await expect(own).to_have_text("医保卡丢了怎么办？")  # its domain only, not 公积金
            await dept.get_by_label("问题").fill("异地就医怎么备案？")
            await dept.get_by_label("答案").fill("在“国家医保服务平台”App 办理备案。")
            await dept.get_by_label("关键词").fill("异地就医、备案")
            await dept.get_by_role("button", name="提交审核").click()
            await expect(dept.get_by_test_id("notice")).to_have_text("已提交，等待中心审核发布")
            await expect(dept.get_by_test_id("own").locator("tr", has_text="异地就医怎么备案？")
                         .get_by_test_id("state")).to_have_text("待审核")

            await own.get_by_role("link", name="医保卡丢了怎么办？").click()
            await expect(dept.get_by_test_id("revisions")).to_contain_text("由导入创建")
            await dept.get_by_label("答案").fill("可在“广西医保”App 在线挂失并申请补卡，邮寄到家。")
            await dept.get_by_label("关键词").fill("医保卡、补办、挂失")
            await dept.get_by_role("button", name="提交审核").click()
            await expect(dept.get_by_test_id("notice")).to_have_text("已提交，等待中心审核发布")
            await expect(dept.get_by_test_id("waiting")).to_have_text("有 1 条修改提议等待中心审核。")
            await expect(dept.get_by_test_id("entry-answer")).to_have_text("请到医保经办窗口补办。")  # not yet
            await dept.goto(base + f"/kb/entries/{ids['gj-001']}")
            await expect(dept.get_by_test_id("entry-question")).to_have_text("公积金怎么提取？")
            await expect(dept.locator("#kb-entry-form")).to_have_count(0)  # not its domain
            assert kb.search("挂失", limit=5) == []

            cctx, center = await page_of("lead01", "/kb/proposals")
            await expect(center.get_by_test_id("pending-count")).to_have_text("2")
            await center.screenshot(path=str(shots / "kb-review.png"), full_page=True)
            edit = center.locator("tr[data-proposal]", has_text="广西医保")
            await expect(edit).to_contain_text("请到医保经办窗口补办。")  # the current answer beside it
            await edit.get_by_role("button", name="审核发布").click()
            await expect(center.get_by_test_id("notice")).to_have_text("已发布，坐席即可检索到新内容")
            new = center.locator("tr[data-proposal]", has_text="异地就医怎么备案？")
            await new.get_by_label("驳回意见").fill("请补充备案所需材料")
            await new.get_by_role("button", name="驳回").click()
            await expect(center.get_by_test_id("notice")).to_have_text("已驳回，审核意见已告知承办单位")
            await expect(center.get_by_test_id("pending-empty")).to_be_visible()
            hits = kb.search("挂失", limit=5)
            assert [h.entry.key for h in hits] == ["yb-001"]

            await center.goto(base + "/kb/search?q=挂失")
            await center.get_by_role("link", name="医保卡丢了怎么办？").click()
            await expect(center.get_by_test_id("entry-answer")).to_contain_text("广西医保")
            await center.get_by_label("答案").fill("可在“广西医保”App 在线挂失补卡，或到任一经办窗口办理。")
            await center.get_by_role("button", name="保存").click()
            await expect(center.get_by_test_id("notice")).to_have_text("已保存，坐席即可检索到新内容")
            await expect(center.get_by_test_id("entry-answer")).to_contain_text("任一经办窗口")
            await center.get_by_label("问题").fill("")
            await center.locator("#kb-entry-form").evaluate("f => f.noValidate = true")
            await center.get_by_role("button", name="保存").click()
            await expect(center.get_by_test_id("error")).to_contain_text("问题：不能为空")
            await cctx.close()

            actx, agent = await page_of("agent01", f"/kb/entries/{ids['yb-001']}")
            rows = agent.get_by_test_id("revisions").locator("tbody tr")
            await expect(rows).to_have_count(2)
            await expect(rows.nth(0)).to_contain_text("lead01")
            await expect(rows.nth(0)).to_contain_text("承办单位提议，中心审核发布")
            await expect(rows.nth(1)).to_contain_text("中心直接编辑")
            await expect(agent.locator("#kb-entry-form")).to_have_count(0)  # agents read, never edit
            await agent.screenshot(path=str(shots / "kb-entry-history.png"), full_page=True)
            await actx.close()

            await dept.goto(base + "/kb/proposals")
            verdicts = dept.get_by_test_id("own")
            await expect(verdicts.locator("tr", has_text="异地就医").get_by_test_id("state")).to_have_text("已驳回")
            await expect(verdicts.locator("tr", has_text="异地就医").get_by_test_id("comment")).to_have_text(
                "请补充备案所需材料")
            await expect(verdicts.locator("tr", has_text="医保卡").get_by_test_id("state")).to_have_text("已发布")
            await dctx.close()

        assert "任一经办窗口" in kb.search("挂失", limit=5)[0].entry.answer
        audited = [(e.username, e.action, e.result) for e in await app[CONSOLE].audit.recent(30)
                   if e.action.startswith("kb.")]
        assert ("lead01", "kb.proposal.publish", "ok") in audited and ("lead01", "kb.entry.edit", "failed") in audited
        assert sum(a == ("yb01", "kb.propose", "ok") for a in audited) == 2
    assert_no_stray_tasks()
