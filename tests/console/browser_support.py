"""Playwright for Python driving Debian's chromium (never a downloaded browser), plus login helpers."""
from __future__ import annotations

import os
from contextlib import asynccontextmanager
from pathlib import Path

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


async def signed_in_page(browser, base: str, username: str, path: str = "/", *, timeout: int = 10_000):
    """A fresh browser context (its own cookies) signed in as `username`, on `path`."""
    ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    ctx.set_default_timeout(timeout)
    page = await ctx.new_page()
    await ui_login(page, base, username, path=path)
    return ctx, page


def screenshot_dir(name: str) -> Path:
    """Where a test saves its screenshots for a person to look at: $HOTLINE_SCREENSHOTS/<name>, by default
    build/screenshots/<name> in the checkout (ignored by git), kept after the run."""
    root = os.environ.get("HOTLINE_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "build" / "screenshots"
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
