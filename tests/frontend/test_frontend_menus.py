"""Menus as data: loading and validation, and how callers' keys (invalid, late, rapid) are handled."""
from __future__ import annotations

import pytest

from ivr.frontend import MenuAction, MenuConfigError, drive, ivr_flow, load_menus, menus_from_dict, parse_action
from ivr.frontend.menus import DEFAULT_MENUS

from frontend_support import FakeChannel, FakeLinkageLog, FakeLive, FakeTickets, call, key, make_deps

BOOK = {
    "menus": {
        "main": {"prompt": "hotline/menu-main", "timeout_ms": 3000, "retries": 2,
                 "options": {"1": "queue:line-12319", "2": "menu:more", "3": "emergency:119", "#": "intake"}},
        "more": {"prompt": "hotline/menu-more", "options": {"1": "subcenter:95598", "9": "hangup", "*": "menu:main"},
                 "timeout_action": "menu:main"},
        "loop": {"prompt": "hotline/loop", "options": {"1": "menu:loop"}, "timeout_action": "menu:loop",
                 "retries": 0},
    },
    "assign": {"lines": {"12345": "main", "12366": "loop"}},
}


def test_given_shipped_menus_when_loaded_then_valid_and_no_line_uses_a_menu():
    book = load_menus(DEFAULT_MENUS)
    assert {"after-hours", "subcenter"} <= set(book.menus)
    assert book.line_menus == {} and book.after_hours_menu is None


def test_given_menu_without_key_0_when_loaded_then_0_reaches_an_agent():
    book = menus_from_dict(BOOK)
    assert book.menus["main"].options["0"] == MenuAction("agent")
    assert book.menus["main"].options["#"] == MenuAction("intake")


@pytest.mark.parametrize(("text", "message"), [
    ("transfer", "unknown action"),
    ("queue", "needs an argument"),
    ("agent:now", "takes no argument"),
    ("emergency:999", "110/119/120/122"),
    ("lang:Chinese", "language code"),
    ("queue:bad name", "may only use"),
    ("subcenter:abc", "hotline number"),
])
def test_given_bad_action_text_when_parsed_then_error_says_why(text, message):
    with pytest.raises(ValueError, match=message):
        parse_action(text)


@pytest.mark.parametrize(("change", "message"), [
    (lambda b: b["menus"]["main"]["options"].update({"5": "ring-bell"}), "menus.main.options.5: unknown action"),
    (lambda b: b["menus"]["main"]["options"].update({"2": "menu:nowhere"}), "menu 'nowhere' is not defined"),
    (lambda b: b["menus"]["main"]["options"].update({"A": "agent"}), "key 'A' is not one of 0-9 * #"),
    (lambda b: b["menus"]["main"]["options"].update({"12": "agent"}), "key '12' is not one of"),
    (lambda b: b["menus"]["main"].update(timeout_ms=10), "timeout_ms must be a whole number 500..60000"),
    (lambda b: b["menus"]["main"].update(retries=-1), "retries must be"),
    (lambda b: b["menus"]["main"].update(prompt="has space"), "prompt must be a prompt name"),
    (lambda b: b["menus"]["main"].update(colour="red"), "unknown keys ['colour']"),
    (lambda b: b["menus"]["main"].update(options={}), "options must map keys"),
    (lambda b: b["assign"]["lines"].update({"12319": "ghost"}), "assign.lines.12319: menu 'ghost'"),
    (lambda b: b["assign"]["lines"].update({"hello": "main"}), "not a hotline number"),
    (lambda b: b["assign"].update(after_hours={"menu": "main", "hours": "late"}), "assign.after_hours.hours"),
    (lambda b: b["assign"].update(after_hours="main"), "assign.after_hours must be"),
    (lambda b: b.update(extra=1), "unknown top-level keys"),
])
def test_given_faulty_menu_file_when_loaded_then_clear_error(change, message):
    import copy
    data = copy.deepcopy(BOOK)
    change(data)
    with pytest.raises(MenuConfigError, match=None) as info:
        menus_from_dict(data, "test.toml")
    assert any(message in p for p in info.value.problems), info.value.problems
    assert info.value.error_id == "ivr.menu_config" and str(info.value).startswith("test.toml: ")


def test_given_several_faults_when_loaded_then_all_reported_at_once():
    data = {"menus": {"m": {"prompt": "p", "options": {"x": "agent", "1": "nope"}}}}
    with pytest.raises(MenuConfigError) as info:
        menus_from_dict(data)
    assert len(info.value.problems) == 2


def test_given_unreadable_menu_file_when_loaded_then_menu_config_error(tmp_path):
    bad = tmp_path / "menus.toml"
    bad.write_text("[menus\n", encoding="utf-8")
    with pytest.raises(MenuConfigError, match="cannot read"):
        load_menus(bad)
    with pytest.raises(MenuConfigError, match="cannot read"):
        load_menus(tmp_path / "missing.toml")


def _deps(tmp_path, **kwargs):
    return make_deps(tmp_path, menus=menus_from_dict(BOOK), live=kwargs.pop("live", FakeLive(free=1)), **kwargs)


async def test_given_line_menu_when_caller_presses_1_then_chosen_queue(tmp_path):
    channel = FakeChannel().on("STREAM FILE hotline/menu-main", key("1"))
    out = await drive(channel, ivr_flow(call("12345"), _deps(tmp_path)))
    assert channel.lines("STREAM FILE")[0] == 'STREAM FILE hotline/welcome "0123#"\n'
    assert out.variables["HOTLINE_QUEUE"] == "line-12319" and out.variables["HOTLINE_ACTION"] == "queue"


async def test_given_line_menu_when_invalid_keys_exceed_retries_then_timeout_action_agent(tmp_path):
    channel = FakeChannel().on("STREAM FILE hotline/menu-main", key("7"), key("8"), key("6"))
    live = FakeLive(free=0)
    out = await drive(channel, ivr_flow(call("12345"), _deps(tmp_path, live=live)))
    assert len(channel.lines("STREAM FILE hotline/invalid")) == 2
    assert out.agent_now and out.variables["HOTLINE_ACTION"] == "queue"
    assert not channel.lines("RECORD FILE")  # agent action skips intake even with no agent free


async def test_given_line_menu_when_key_pressed_late_during_invalid_prompt_then_taken_as_choice(tmp_path):
    channel = (FakeChannel().on("STREAM FILE hotline/menu-main", key("7"))
               .on("STREAM FILE hotline/invalid", key("1")))
    out = await drive(channel, ivr_flow(call("12345"), _deps(tmp_path)))
    assert len(channel.lines("STREAM FILE hotline/menu-main")) == 1
    assert out.variables["HOTLINE_QUEUE"] == "line-12319"


async def test_given_line_menu_when_wait_times_out_then_prompt_repeats_and_late_key_counts(tmp_path):
    channel = FakeChannel().on("WAIT FOR DIGIT", None, "1")
    out = await drive(channel, ivr_flow(call("12345"), _deps(tmp_path)))
    assert channel.lines("WAIT FOR DIGIT") == ["WAIT FOR DIGIT 3000\n"] * 2
    assert len(channel.lines("STREAM FILE hotline/menu-main")) == 2
    assert out.variables["HOTLINE_QUEUE"] == "line-12319"


async def test_given_rapid_keys_2_then_1_when_typed_in_greeting_then_first_opens_submenu_second_answers_it(tmp_path):
    # "21" typed fast: 2 interrupts the greeting; Asterisk keeps 1 buffered, so it interrupts the next prompt.
    channel = (FakeChannel().on("STREAM FILE hotline/welcome", key("2"))
               .on("STREAM FILE hotline/menu-more", key("1")))
    out = await drive(channel, ivr_flow(call("12345"), _deps(tmp_path)))
    assert not channel.lines("STREAM FILE hotline/menu-main")
    assert out.variables["HOTLINE_ACTION"] == "subcenter"
    assert out.variables["HOTLINE_DIAL"] == "PJSIP/95598@trunk"


async def test_given_hash_option_when_pressed_then_intake_even_with_agents_free(tmp_path):
    channel = FakeChannel().on("STREAM FILE hotline/menu-main", key("#")).on(
        "STREAM FILE hotline/intake-invite", key("1"))
    tickets = FakeTickets()
    out = await drive(channel, ivr_flow(call("12345"), _deps(tmp_path, tickets=tickets)))
    assert channel.lines("STREAM FILE hotline/intake-invite") and len(tickets.drafts) == 1
    assert out.ticket == out.variables["HOTLINE_TICKET"] == "20261122000001"


async def test_given_menu_that_loops_when_caller_waits_then_agent_after_step_limit(tmp_path):
    out = await drive(FakeChannel(), ivr_flow(call("12366"), _deps(tmp_path)))
    assert out.agent_now and any("menu loop" in n for n in out.notes)


async def test_given_hangup_option_when_pressed_then_goodbye_and_action_hangup(tmp_path):
    channel = (FakeChannel().on("STREAM FILE hotline/menu-main", key("2"))
               .on("STREAM FILE hotline/menu-more", key("9")))
    out = await drive(channel, ivr_flow(call("12345"), _deps(tmp_path)))
    assert channel.lines("STREAM FILE hotline/goodbye")
    assert out.variables["HOTLINE_ACTION"] == "hangup"


async def test_given_emergency_menu_key_when_pressed_then_119_route_draft_and_linkage(tmp_path):
    tickets, log = FakeTickets(), FakeLinkageLog()
    channel = FakeChannel().on("STREAM FILE hotline/menu-main", key("3"))
    out = await drive(channel, ivr_flow(call("12345"), _deps(tmp_path, tickets=tickets, linkage_log=log)))
    assert out.variables["HOTLINE_ACTION"] == "emergency" and out.variables["HOTLINE_EMERGENCY"] == "119"
    assert list(out.variables)[-1] == "HOTLINE_ACTION"
    assert channel.lines("STREAM FILE hotline/emergency-transfer")
    [draft] = tickets.drafts
    assert draft["urgency"] == "life_property" and "消防119" in draft["content"] and "按键3" in draft["content"]
    [(number, linkage)] = log.logged
    assert number == out.ticket == out.variables["HOTLINE_TICKET"]
    assert (linkage.target, linkage.trigger_kind, linkage.result) == ("119", "menu", "routed")
    assert linkage.trigger == "按键3（菜单main）"


async def test_given_after_hours_menu_when_called_at_night_then_menu_offered(tmp_path):
    data = {"menus": {"night": {"prompt": "hotline/after-hours-menu", "options": {"1": "intake"}}},
            "assign": {"after_hours": {"menu": "night", "hours": "20:00-08:00"}}}
    deps = make_deps(tmp_path, menus=menus_from_dict(data), live=FakeLive(free=1))
    channel = FakeChannel()
    await drive(channel, ivr_flow(call("12345"), deps))  # 21:05 Asia/Shanghai
    assert channel.lines("STREAM FILE hotline/after-hours-menu")
    data["assign"]["after_hours"]["hours"] = "22:00-08:00"
    channel = FakeChannel()
    await drive(channel, ivr_flow(call("12345"), make_deps(tmp_path, menus=menus_from_dict(data),
                                                           live=FakeLive(free=1))))
    assert not channel.lines("STREAM FILE hotline/after-hours-menu")
