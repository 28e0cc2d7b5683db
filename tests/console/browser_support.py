"""Playwright for Python driving Debian's chromium (never a downloaded browser), plus login helpers."""
from __future__ import annotations

from contextlib import asynccontextmanager

from conftest import CHROMIUM, CHROMIUM_ARGS
from console_support import PASSWORD


@asynccontextmanager
async def chromium():
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def ui_login(page, base: str, username: str, password: str = PASSWORD, *, path: str = "/") -> None:
    await page.goto(base + path)
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
