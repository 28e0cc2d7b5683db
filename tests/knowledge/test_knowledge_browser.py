"""In headless Chromium (Debian's): an admin imports a file from the search page, an agent finds the answer."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import pytest_asyncio

sys.path.insert(0, str(Path(__file__).parents[1] / "console"))

from console_support import (  # noqa: E402
    PASSWORD, MovableClock, assert_no_stray_tasks, make_config, running_console,
)
from hotline.engine import ENGINE  # noqa: E402
from knowledge.web import DEMO_CSV  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
CHROMIUM = Path(os.environ.get("HOTLINE_TEST_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HEADER = "编号,问题,答案,责任部门,生效日期,失效日期,关键词\n"


def require_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("HOTLINE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} missing: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} missing (apt-get install -y chromium)")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory, segmenter):
    require_chromium()
    from playwright.async_api import async_playwright

    def prepare(app):
        app[ENGINE].overrides["segmenter"] = segmenter
    tmp = tmp_path_factory.mktemp("kb-browser")
    async with running_console(make_config(tmp), MovableClock(), prepare=prepare) as (app, client):
        await app[ENGINE].services["knowledge"].import_data(DEMO_CSV.read_bytes(), "csv")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                yield browser, str(client.make_url("")).rstrip("/")
            finally:
                await browser.close()
    assert_no_stray_tasks()


@pytest_asyncio.fixture(loop_scope="module")
async def page(site):
    browser, _ = site
    context = await browser.new_context(locale="zh-CN")
    context.set_default_timeout(8000)
    yield await context.new_page()
    await context.close()


async def sign_in(page, base: str, username: str) -> None:
    await page.goto(f"{base}/login?next=/kb/search")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url("**/kb/search")


async def test_given_an_agent_when_searching_then_the_matching_answer_is_first(site, page):
    _, base = site
    await sign_in(page, base, "agent01")
    await page.get_by_test_id("kb-query").fill("怎么提取住房公积金")
    await page.get_by_role("button", name="搜索").click()
    first = page.locator(".kb-hit").first
    await first.locator("h2").wait_for()
    assert await first.locator("h2").inner_text() == "怎么提取住房公积金？"
    assert await page.locator("form.kb-import-form").count() == 0


async def test_given_an_admin_when_importing_good_then_bad_files_then_counts_and_lines_are_shown(
        site, page, tmp_path):
    _, base = site
    await sign_in(page, base, "boss")
    good = tmp_path / "新知识.csv"
    good.write_text(HEADER + "b1,犬只年检怎么办理？,到区犬类管理办公室办理。,公安局,,,犬只年检\n"
                    "b2,老年人乘车卡怎么办？,带身份证到公交集团客服网点办理。,公交集团,,,老年卡\n", "utf-8")
    await page.locator("input[type=file]").set_input_files(str(good))
    await page.get_by_role("button", name="导入").click()
    result = page.get_by_test_id("kb-import-result")
    await result.get_by_text("导入完成").wait_for()
    assert "新增 2 条" in await result.inner_text()

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "c1,好问题,好答案,,,,\nc2,<img src=x onerror=alert(1)>,答案,,2025-02-30,,\n", "utf-8")
    await page.locator("input[type=file]").set_input_files(str(bad))
    await page.get_by_role("button", name="导入").click()
    await result.locator("li").first.wait_for()
    assert await result.locator("li").all_inner_texts() == ["第 3 行 生效日期：日期格式不正确：2025-02-30（应为 YYYY-MM-DD）"]
    assert await result.locator("img").count() == 0

    await page.get_by_test_id("kb-query").fill("犬只年检")
    await page.get_by_role("button", name="搜索").click()
    await page.locator(".kb-hit h2").first.wait_for()
    assert await page.locator(".kb-hit h2").first.inner_text() == "犬只年检怎么办理？"
