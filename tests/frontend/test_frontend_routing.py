"""Where calls go without intake: the thin front end, merged lines, key 0, language choice."""
from __future__ import annotations

from ivr.fastagi import ChannelHungUp, replay_flow
from ivr.fastagi import GetFullVariable, SetVariable, StreamFile
from ivr.frontend import Effect, FrontEndSettings, drive, ivr_flow

from frontend_support import CALL_START, FakeChannel, FakeLive, FakeTickets, call, key, make_deps

ROUTE_VARS = ["HOTLINE_LANG", "HOTLINE_TICKET", "HOTLINE_QUEUE", "HOTLINE_OVERFLOW_QUEUE",
              "HOTLINE_OVERFLOW_AFTER", "HOTLINE_DIAL", "HOTLINE_QUEUE_POSITION", "HOTLINE_EMERGENCY",
              "HOTLINE_ACTION"]


async def test_given_12345_and_agent_free_when_called_then_greeting_and_queue_without_intake(tmp_path):
    live = FakeLive(free=2, ahead=3)
    tickets = FakeTickets()
    deps = make_deps(tmp_path, live=live, tickets=tickets)
    channel = FakeChannel()
    out = await drive(channel, ivr_flow(call("12345"), deps))
    assert channel.lines("STREAM FILE") == ['STREAM FILE hotline/welcome "0"\n']
    assert not channel.lines("RECORD FILE") and tickets.drafts == []
    assert out.variables == {
        "HOTLINE_LANG": "zh", "HOTLINE_TICKET": "", "HOTLINE_QUEUE": "hotline-general",
        "HOTLINE_OVERFLOW_QUEUE": "", "HOTLINE_OVERFLOW_AFTER": "0", "HOTLINE_DIAL": "",
        "HOTLINE_QUEUE_POSITION": "4", "HOTLINE_EMERGENCY": "", "HOTLINE_ACTION": "queue"}
    assert list(out.variables) == ROUTE_VARS
    assert channel.sent[-1] == b'SET VARIABLE HOTLINE_ACTION "queue"\n'
    assert ("ahead", "hotline-general", CALL_START) in live.asked
    assert out.call_id == "1795352725.1"


def test_given_literal_results_when_replayed_then_same_decision_without_any_socket(tmp_path):
    deps = make_deps(tmp_path, live=FakeLive(free=1, ahead=0))
    flow = ivr_flow(call("12345"), deps)
    results = ["1795352725.1", deps.lines.rows["12345"], key("0"), 2] + [None] * len(ROUTE_VARS)
    replay = replay_flow(flow, results)
    assert replay.commands[0] == GetFullVariable("${CHANNEL(linkedid)}")
    assert replay.commands[1] == Effect(deps.lines.get, "12345")
    assert replay.commands[2] == StreamFile("hotline/welcome", "0")
    assert replay.commands[3] == Effect(deps.live.callers_ahead, "hotline-general", CALL_START)
    assert replay.commands[-1] == SetVariable("HOTLINE_ACTION", "queue")
    assert replay.value.agent_now and replay.value.variables["HOTLINE_QUEUE_POSITION"] == "3"


async def test_given_dual_number_line_when_called_then_dedicated_queue_with_overflow(tmp_path):
    deps = make_deps(tmp_path, live=FakeLive(free=1, ahead=0))
    out = await drive(FakeChannel(), ivr_flow(call("12319"), deps))
    assert out.variables["HOTLINE_ACTION"] == "queue"
    assert out.variables["HOTLINE_QUEUE"] == "line-12319"
    assert out.variables["HOTLINE_OVERFLOW_QUEUE"] == "hotline-general"
    assert out.variables["HOTLINE_OVERFLOW_AFTER"] == "45"
    assert out.variables["HOTLINE_QUEUE_POSITION"] == "1"


async def test_given_retired_number_when_called_then_merged_announcement_then_pool(tmp_path):
    channel = FakeChannel()
    out = await drive(channel, ivr_flow(call("12315"), make_deps(tmp_path, live=FakeLive(free=1))))
    assert channel.lines("STREAM FILE") == ['STREAM FILE hotline/merged-number "0"\n',
                                            'STREAM FILE hotline/welcome "0"\n']
    assert out.variables["HOTLINE_QUEUE"] == "hotline-general"
    assert out.variables["HOTLINE_ACTION"] == "queue"


async def test_given_subcenter_line_when_called_then_subcenter_dial_and_no_intake(tmp_path):
    live = FakeLive(free=0)
    channel = FakeChannel()
    out = await drive(channel, ivr_flow(call("95598"), make_deps(tmp_path, live=live)))
    assert out.variables["HOTLINE_ACTION"] == "subcenter"
    assert out.variables["HOTLINE_DIAL"] == "PJSIP/95598@trunk"
    assert out.variables["HOTLINE_OVERFLOW_AFTER"] == "30"
    assert out.variables["HOTLINE_QUEUE_POSITION"] == ""
    assert not channel.lines("RECORD FILE") and live.asked == []


async def test_given_unknown_number_and_line_table_down_when_called_then_pool_anyway(tmp_path):
    deps = make_deps(tmp_path, live=FakeLive(free=1))

    async def broken(number):
        raise OSError("database unreachable")
    deps.lines.get = broken  # type: ignore[method-assign]
    out = await drive(FakeChannel(), ivr_flow(call("12345"), deps))
    assert out.variables["HOTLINE_QUEUE"] == "hotline-general"
    assert out.variables["HOTLINE_ACTION"] == "queue"
    assert any("line lookup failed" in n for n in out.notes)


async def test_given_no_agent_free_when_caller_presses_0_in_greeting_then_agent_at_once(tmp_path):
    settings = FrontEndSettings(languages=("zh", "yue", "en"))
    tickets = FakeTickets()
    channel = FakeChannel().on("STREAM FILE hotline/welcome", key("0"))
    out = await drive(channel, ivr_flow(call("12345"), make_deps(tmp_path, live=FakeLive(free=0),
                                                                 settings=settings, tickets=tickets)))
    assert out.agent_now and out.variables["HOTLINE_ACTION"] == "queue"
    assert not channel.lines("STREAM FILE hotline/choose-language")
    assert not channel.lines("RECORD FILE") and tickets.drafts == []


async def test_given_channel_language_en_when_default_is_zh_then_channel_language_set_before_greeting(tmp_path):
    channel = FakeChannel()
    await drive(channel, ivr_flow(call("12345", language="en"), make_deps(tmp_path, live=FakeLive(free=1))))
    assert channel.sent[1] == b'SET VARIABLE CHANNEL(language) "zh"\n'
    assert channel.sent[2].startswith(b"STREAM FILE hotline/welcome")


async def test_given_language_menu_when_caller_presses_2_then_cantonese_for_the_rest(tmp_path):
    settings = FrontEndSettings(languages=("zh", "yue", "en"))
    channel = FakeChannel().on("STREAM FILE hotline/choose-language", key("2"))
    out = await drive(channel, ivr_flow(call("12345"), make_deps(tmp_path, live=FakeLive(free=1),
                                                                 settings=settings)))
    assert channel.lines("STREAM FILE")[0] == 'STREAM FILE hotline/welcome "0123"\n'
    assert b'SET VARIABLE CHANNEL(language) "yue"\n' in channel.sent
    assert out.variables["HOTLINE_LANG"] == "yue" and out.language == "yue"


async def test_given_language_menu_when_digit_typed_during_greeting_then_taken_as_choice(tmp_path):
    settings = FrontEndSettings(languages=("zh", "yue", "en"))
    channel = FakeChannel().on("STREAM FILE hotline/welcome", key("3"))
    out = await drive(channel, ivr_flow(call("12345"), make_deps(tmp_path, live=FakeLive(free=1),
                                                                 settings=settings)))
    assert not channel.lines("STREAM FILE hotline/choose-language")
    assert out.variables["HOTLINE_LANG"] == "en"


async def test_given_language_menu_when_invalid_key_then_invalid_prompt_and_retry(tmp_path):
    settings = FrontEndSettings(languages=("zh", "yue", "en"))
    channel = (FakeChannel().on("STREAM FILE hotline/choose-language", key("7"), key("3")))
    out = await drive(channel, ivr_flow(call("12345"), make_deps(tmp_path, live=FakeLive(free=1),
                                                                 settings=settings)))
    assert channel.lines("STREAM FILE hotline/invalid") == ['STREAM FILE hotline/invalid "0123456789*#"\n']
    assert out.variables["HOTLINE_LANG"] == "en"


async def test_given_language_menu_when_caller_never_chooses_then_default_language(tmp_path):
    settings = FrontEndSettings(languages=("zh", "yue", "en"), language_retries=1)
    channel = FakeChannel()
    out = await drive(channel, ivr_flow(call("12345"), make_deps(tmp_path, live=FakeLive(free=1),
                                                                 settings=settings)))
    assert len(channel.lines("STREAM FILE hotline/choose-language")) == 2
    assert channel.lines("WAIT FOR DIGIT") == ["WAIT FOR DIGIT 4000\n"] * 2
    assert out.variables["HOTLINE_LANG"] == "zh" and out.variables["HOTLINE_ACTION"] == "queue"


async def test_given_caller_hangs_up_during_greeting_then_no_draft_and_no_route(tmp_path):
    tickets = FakeTickets()
    channel = FakeChannel().on("STREAM FILE hotline/welcome", ChannelHungUp("gone"))
    out = await drive(channel, ivr_flow(call("12345"), make_deps(tmp_path, tickets=tickets)))
    assert out.hung_up and out.variables == {} and tickets.drafts == []
    assert not channel.lines("SET VARIABLE")


async def test_given_no_live_data_when_position_unknown_then_end_of_line(tmp_path):
    channel = FakeChannel().on("STREAM FILE hotline/intake-invite", key("5"))
    out = await drive(channel, ivr_flow(call("12345"), make_deps(tmp_path, live=None)))
    assert channel.lines("STREAM FILE hotline/intake-invite")  # no live data: none free, intake offered
    assert out.variables["HOTLINE_QUEUE_POSITION"] == ""
