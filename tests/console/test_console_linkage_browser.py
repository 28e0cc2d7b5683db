"""The desk's call tools in headless Chromium against the engine and the stand-in running the shipped dialplan:
a citizen asks about 公积金, the screen pop suggests the knowledge-base answer and the agent inserts it into the
reply; the agent pauses and resumes the recording (the label follows Asterisk's MixMonitorMute); the agent clicks
119 一键转接 and the citizen reaches the 119 line; a supervisor finds the row in 联动台账, an agent is refused."""
from __future__ import annotations

import asyncio
import re
import wave

import pytest
import pytest_asyncio
from playwright.async_api import expect

from agent_console.auth.ratelimit import LoginLimits
from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS
from browser_support import chromium, ui_login
from conftest import require_chromium
from console_support import MovableClock, assert_no_stray_tasks, make_config, running_console
from hotline.engine import ENGINE
from queues.models import MergeMode
from queues.routing import LineInfo

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

SPOKEN = "你好，我想问一下租房怎么提取住房公积金，需要什么材料"
FIRE = "PJSIP/119@emergency-trunk"  # the [emergency] dial strings, registered as tests/transfer does
POLICE = "PJSIP/110@emergency-trunk"
AMBULANCE = "PJSIP/120@emergency-trunk"
SUBCENTER = "PJSIP/9001"  # the 设分中心 line 12315's dial target


class FixedTranscriber:
    """Hears a fixed sentence (the acoustics are tested in tests/speech)."""

    available = True

    async def transcribe(self, audio, sample_rate: int = 8000):
        return type("T", (), {"text": SPOKEN, "status": "done"})()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser():
    require_chromium()
    async with chromium() as b:
        yield b


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hotline(tmp_path_factory):
    from asterisk_standin.people import Agent
    from asterisk_standin.standin import Standin
    from hotline.demo import prepare_asterisk_dir
    from knowledge.web import load_demo

    tmp = tmp_path_factory.mktemp("linkage-browser")
    config = make_config(tmp)
    directory = await prepare_asterisk_dir(config, [], tmp / "asterisk", 4573)
    assert "[hotline-conference]" in (directory / "extensions.conf").read_text(encoding="utf-8")
    standin = Standin(directory, time_scale=0.05, ami_port=0, auth_fail_delay=0.05, spool_dir=None)
    port = await standin.start()
    phone = Agent("PJSIP/8101", "坐席01", ring_time=1.0, talk_time=400.0)
    phone.register(standin.pbx)
    fire = Agent(FIRE, "119指挥中心", talk_time=600.0)
    fire.register(standin.pbx)
    police = Agent(POLICE, "110指挥中心")
    police.busy = True  # a taken line: the stand-in refuses it at request time
    police.register(standin.pbx)
    ambulance = Agent(AMBULANCE, "120急救中心", talk_time=600.0)
    ambulance.register(standin.pbx)
    subcenter = Agent(SUBCENTER, "市场监管分中心", talk_time=600.0)
    subcenter.register(standin.pbx)
    settings = ConsoleSettings(session_key="linkage-browser-key-0123456789abcdef", session_max_age=1800,
                               poll_seconds=0.3, live_batch_seconds=0.05, live_tick_seconds=0.5,
                               login_limits=LoginLimits(per_user_address=20, per_ip=200, window_seconds=600),
                               chart_refresh_seconds=3600)

    def prepare(app):
        app[ENGINE].overrides["transcriber"] = FixedTranscriber()

    try:
        async with running_console(make_config(tmp, ami_port=port), MovableClock(), telephony=True,
                                   settings=settings, users=AREA_USERS, prepare=prepare) as (app, client):
            engine = app[ENGINE]
            standin.pbx.agi_map[("127.0.0.1", 4573)] = ("127.0.0.1", engine.services["fastagi"].port)
            await next(iter(engine.ami.values())).wait_ready(timeout=5)
            await load_demo(engine.services["knowledge"])
            await engine.services["lines"].save(LineInfo("12315", "市场监管分中心", MergeMode.SUBCENTER,
                                                         dial_target=SUBCENTER))
            yield app, str(client.make_url("")).rstrip("/"), standin, tmp, {"119": fire, "120": ambulance,
                                                                              "12315": subcenter}
    finally:
        await standin.stop()
    assert_no_stray_tasks()


async def new_page(browser):
    context = await browser.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    page = await context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), asyncio.ensure_future(d.dismiss())))
    return context, page


def silence(path):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 8000)
    return path


async def until(predicate, timeout: float = 10.0) -> None:
    """Polls the stand-in's own state (channels, bridges), which has no change signal."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_given_a_citizen_asking_about_gongjijin_when_the_agent_uses_the_call_tools_then_kb_recording_and_119_follow(
        hotline, browser):
    from asterisk_standin.people import Citizen, hangup, speak

    app, base, standin, tmp, phones = hotline
    fire = phones["119"]
    agent_ctx, agent = await new_page(browser)
    lead_ctx, lead = await new_page(browser)
    try:
        await ui_login(agent, base, "agent01", path="/agent")
        await expect(agent).to_have_url(base + "/agent")
        await agent.locator('li[data-queue="hotline-general"]').get_by_role("button", name="签入").click()
        await expect(agent.get_by_test_id("state")).to_have_text("空闲")
        tools = agent.get_by_test_id("calltools")
        await expect(tools).to_be_hidden()
        await agent.get_by_role("button", name="示忙：小休").click()  # nobody free: the citizen leaves a message
        await expect(agent.get_by_test_id("state")).to_contain_text("示忙")

        citizen = Citizen("13800138031", "李娜", dialed="12345", context="from-trunk",
                          script=[speak(silence(tmp / "speech.wav"), 0.0), hangup(at=900)], patience=600.0)
        outcome = citizen.place(standin.pbx)
        await until(lambda: len(app[ENGINE].services["floor"].callers) == 1, timeout=20)  # spoke, now waiting
        await agent.get_by_role("button", name="示闲").click()
        await expect(agent.get_by_test_id("pop-transcript")).to_have_text(SPOKEN, timeout=20_000)
        await expect(agent.get_by_test_id("pop-state")).to_have_text("通话中")
        await expect(tools).to_be_visible()

        # 知识库: suggested from the transcript; the answer goes into the reply for 直接办结
        suggestion = agent.get_by_test_id("kb-suggestions").locator("li").filter(has_text="租房可以提取住房公积金吗")
        await expect(suggestion).to_be_visible()
        await suggestion.get_by_role("button", name="插入答复").click()
        await expect(agent.locator("#t-reply")).to_have_value(re.compile("^无自有住房且租赁住房的职工"))
        await agent.get_by_test_id("kb-q").fill("社保卡补办")
        await agent.get_by_test_id("kb-go").click()
        await expect(agent.get_by_test_id("kb-results").locator("li").first).to_contain_text("社保卡")

        # 录音: the label follows the catalogue, which follows Asterisk's MixMonitorMute events
        await expect(agent.get_by_test_id("rec-state")).to_have_text("录音中")
        await agent.get_by_role("button", name="暂停录音").click()
        await expect(agent.get_by_test_id("rec-state")).to_have_text("录音已暂停")
        await agent.get_by_role("button", name="恢复录音").click()
        await expect(agent.get_by_test_id("rec-state")).to_have_text("录音中")

        # 119 一键转接: the citizen leaves the agent for the 119 line
        await agent.get_by_test_id("linkage").locator('li[data-target="119"]').get_by_role(
            "button", name="一键转接").click()
        await expect(agent.get_by_test_id("transfer-what")).to_have_text("消防 119 一键转接")
        await expect(agent.get_by_test_id("transfer-state")).to_have_text("对方已接听")
        await expect(agent.get_by_test_id("calltools-error")).to_be_hidden()
        await until(lambda: fire.calls == 1)
        citizen_chan = standin.pbx.find_channel(outcome.channel)
        await until(lambda: citizen_chan.bridge is not None and any(
            c.endpoint is fire for c in citizen_chan.bridge.channels if c is not citizen_chan))
        await expect(agent.get_by_test_id("state")).not_to_have_text("通话中")
        ticket = (await agent.get_by_test_id("pop-ticket").text_content()).split("（")[0]

        # 联动台账: the supervisor sees the row, an agent is refused
        await ui_login(lead, base, "lead01", path="/transfer/ledger/page")
        await expect(lead).to_have_url(base + "/transfer/ledger/page")
        row = lead.locator("#ledger-rows tr").first
        await expect(row.locator(".target")).to_have_text("消防 119")
        await expect(row.locator(".mode")).to_have_text("一键转接")
        await expect(row.locator(".result")).to_have_text("已接通")
        await expect(row.locator(".ticket")).to_have_text(ticket)
        await expect(row.locator(".actor")).to_have_text("agent01")
        await expect(row.locator(".summary")).to_have_text(SPOKEN)
        refused = await agent.goto(base + "/transfer/ledger/page")
        assert refused.status == 403
        assert agent.dialogs == [] and lead.dialogs == []
        standin.pbx.request_hangup(citizen_chan, 16)
    finally:
        await agent_ctx.close()
        await lead_ctx.close()


async def test_given_a_call_when_110_is_busy_and_120_answers_a_threeway_then_the_agent_keeps_the_call_and_can_leave(
        hotline, browser):
    from asterisk_standin.people import Citizen, hangup

    app, base, standin, tmp, phones = hotline
    context, agent = await new_page(browser)
    try:
        await ui_login(agent, base, "agent01", path="/agent")
        await expect(agent).to_have_url(base + "/agent")
        await expect(agent.get_by_test_id("state")).to_have_text("空闲")
        outcome = Citizen("13800138032", "王强", dialed="12345", context="from-trunk",
                          script=[hangup(at=900)]).place(standin.pbx)
        await expect(agent.get_by_test_id("pop-state")).to_have_text("通话中", timeout=20_000)
        linkage = agent.get_by_test_id("linkage")

        await linkage.locator('li[data-target="110"]').get_by_role("button", name="三方通话").click()
        await expect(agent.get_by_test_id("transfer-what")).to_have_text("公安 110 三方通话")
        await expect(agent.get_by_test_id("transfer-state")).to_have_text(re.compile("^(对方忙线|转接失败)$"))
        await expect(agent.get_by_test_id("transfer-hint")).to_have_text("通话仍由您接听")
        await expect(agent.get_by_test_id("transfer-leave")).to_be_hidden()
        await expect(agent.get_by_test_id("state")).to_have_text("通话中")

        await linkage.locator('li[data-target="120"]').get_by_role("button", name="三方通话").click()
        await expect(agent.get_by_test_id("transfer-what")).to_have_text("急救 120 三方通话")
        await expect(agent.get_by_test_id("transfer-state")).to_have_text("三方通话中")
        await agent.get_by_test_id("transfer-leave").click()
        await expect(agent.get_by_test_id("transfer-state")).to_have_text("已移交，坐席已退出")
        await expect(agent.get_by_test_id("transfer-leave")).to_be_hidden()
        citizen = standin.pbx.find_channel(outcome.channel)

        def conference_of_citizen() -> set:
            for conf in standin.pbx.conferences.values():
                if any(m.chan is citizen for m in conf.members):
                    return {m.chan.endpoint for m in conf.members if m.chan is not citizen}
            return set()

        await until(lambda: conference_of_citizen() == {phones["120"]})  # citizen and 120 stay, the agent left
        assert agent.dialogs == []
        standin.pbx.request_hangup(citizen, 16)
    finally:
        await context.close()


async def test_given_a_call_when_the_agent_picks_a_subcenter_and_transfers_directly_then_the_citizen_reaches_it(
        hotline, browser):
    from asterisk_standin.people import Citizen, hangup

    app, base, standin, tmp, phones = hotline
    context, agent = await new_page(browser)
    try:
        await ui_login(agent, base, "agent01", path="/agent")
        await expect(agent).to_have_url(base + "/agent")
        await expect(agent.get_by_test_id("state")).to_have_text("空闲")
        outcome = Citizen("13800138033", "赵敏", dialed="12345", context="from-trunk",
                          script=[hangup(at=900)]).place(standin.pbx)
        await expect(agent.get_by_test_id("pop-state")).to_have_text("通话中", timeout=20_000)
        await expect(agent.get_by_test_id("transfer-what")).to_be_hidden()  # the last call's transfer is gone

        await agent.get_by_test_id("sub-transfer").click()
        await expect(agent.get_by_test_id("calltools-error")).to_have_text("请先选择要转接的分中心")
        await agent.get_by_test_id("sub-line").select_option(label="市场监管分中心（12315）")
        await agent.get_by_test_id("sub-mode").select_option("blind")
        await agent.get_by_test_id("sub-transfer").click()
        await expect(agent.get_by_test_id("transfer-what")).to_have_text("分中心 12315 直接转接")
        await expect(agent.get_by_test_id("transfer-state")).to_have_text("对方已接听")
        await expect(agent.get_by_test_id("calltools-error")).to_be_hidden()
        citizen = standin.pbx.find_channel(outcome.channel)
        await until(lambda: citizen.bridge is not None and [
            c.endpoint for c in citizen.bridge.channels if c is not citizen] == [phones["12315"]])
        standin.pbx.request_hangup(citizen, 16)
    finally:
        await context.close()
