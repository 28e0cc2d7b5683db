"""Pieces of the front end on their own: call facts, settings, the effect driver."""
from __future__ import annotations

import asyncio

import pytest

from ivr.fastagi import Noop
from ivr.frontend import Effect, FrontEndSettings, SettingsError, call_started, caller_number, drive

from frontend_support import CALL_START, NOW, call


@pytest.mark.parametrize(("raw", "number"), [
    ("13800138000", "13800138000"), ("+86 138-0013-8000", "+8613800138000"), ("(010) 1234.5678", "01012345678"),
    ("138\x00001\x1b38000", "13800138000"), ("\u202e13800138000\u200b", "13800138000"),
    ("张三", None), ("Citizen", None), ("", None), (None, None), ("1" * 33, None),
])
def test_given_caller_id_when_cleaned_then_digits_only_or_none(raw, number):
    assert caller_number(raw) == number


def test_given_agi_env_when_read_then_line_from_first_argument_else_extension():
    assert call("12319").line == "12319"
    assert call("").line is None  # extension `s` is no number
    assert call("", agi_extension="12345").line == "12345"
    info = call("12345", callerid="张三")
    assert info.caller is None and info.uniqueid == "1795352725.3" and info.language == "zh"


@pytest.mark.parametrize(("linkedid", "expected"), [
    ("1795352725.1", CALL_START),
    ("pbx1-1795352725.17", CALL_START),
    ("garbage", NOW),
    (None, NOW),
    ("1795352999.1", NOW),           # in the future: clocks disagree
    ("1795300000.1", NOW),           # more than 2 h old: clocks disagree
])
def test_given_linkedid_when_call_start_read_then_epoch_or_now(linkedid, expected):
    assert call_started(linkedid, NOW) == expected


def test_given_default_settings_then_thin_front_end():
    s = FrontEndSettings()
    assert s.language_menu() is None and s.intake and s.max_record_seconds == 60 and s.silence_seconds == 3


def test_given_config_section_when_built_then_values_and_prompts_applied():
    s = FrontEndSettings.from_config({"languages": ["zh", "yue", "en"], "max_record_seconds": 90,
                                      "prompts": {"greeting": "hotline/welcome-night"}})
    assert s.languages == ("zh", "yue", "en") and s.prompts.greeting == "hotline/welcome-night"
    menu = s.language_menu()
    assert [str(menu.options[k]) for k in "1230"] == ["lang:zh", "lang:yue", "lang:en", "agent"]
    assert str(menu.timeout_action) == "lang:zh"


@pytest.mark.parametrize(("section", "message"), [
    ({"languages": []}, "1 to 9"),
    ({"languages": ["Chinese"]}, "not like zh"),
    ({"languages": ["zh", "zh"]}, "duplicates"),
    ({"max_record_seconds": 0}, "max_record_seconds"),
    ({"silence_seconds": 99}, "silence_seconds"),
    ({"transcribe_wait_seconds": 0}, "transcribe_wait_seconds"),
    ({"emergency_targets": ["999"]}, "emergency_targets"),
    ({"record_format": "mp3"}, "record_format"),
    ({"prompts": {"greeting": "a b"}}, "prompts.greeting"),
    ({"colour": "red"}, "unknown keys: colour"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"prompts": {"jingle": "x"}}, "prompts.jingle"),
])
def test_given_bad_ivr_section_when_built_then_settings_error(section, message):
    with pytest.raises(SettingsError, match=message) as info:
        FrontEndSettings.from_config(section)
    assert info.value.error_id == "ivr.frontend_settings"


class _Channel:
    def __init__(self):
        self.sent = []

    async def run(self, command):
        self.sent.append(command)
        return "ok"


async def test_given_effect_fails_when_driven_then_error_thrown_into_flow_at_its_yield():
    async def boom():
        raise LookupError("no such line")

    def flow():
        try:
            yield Effect(boom)
        except LookupError as exc:
            reply = yield Noop()
            return f"handled {exc} then {reply}"

    channel = _Channel()
    assert await drive(channel, flow()) == "handled no such line then ok"
    assert channel.sent == [Noop()]


async def test_given_sync_and_async_effects_when_driven_then_both_results_sent_back():
    async def double(x):
        return 2 * x

    def flow():
        a = yield Effect(double, 2)
        b = yield Effect(len, "abc")
        return a + b

    assert await drive(_Channel(), flow()) == 7


async def test_given_flow_does_not_handle_error_when_driven_then_it_propagates_and_flow_closed():
    closed = []

    def flow():
        try:
            yield Effect(int, "x")
        finally:
            closed.append(True)

    with pytest.raises(ValueError):
        await drive(_Channel(), flow())
    assert closed == [True]


async def test_given_drive_cancelled_when_effect_pending_then_cancellation_not_swallowed():
    started = asyncio.Event()

    async def wait_forever():
        started.set()
        await asyncio.Event().wait()

    def flow():
        try:
            yield Effect(wait_forever)
        except Exception:  # noqa: BLE001 - must not see CancelledError
            yield Noop()

    task = asyncio.create_task(drive(_Channel(), flow()))
    async with asyncio.timeout(2):
        await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_given_effects_when_compared_then_equal_by_function_and_arguments():
    assert Effect(len, "a", k=1) == Effect(len, "a", k=1)
    assert Effect(len, "a") != Effect(len, "b")
    assert "len" in repr(Effect(len, "a"))

