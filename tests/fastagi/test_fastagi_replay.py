"""Our server against a fake Asterisk that answers with the exact bytes of the real traces."""
from __future__ import annotations

import pytest
from fastagi_support import Delayed, fake_asterisk, load_trace

from ivr.fastagi import ChannelHungUp, ChannelState, Command, DigitsResult, PlaybackResult, RecordOutcome, SetVariable
from ivr.fastagi.errors import CommandUsageError, UnknownApplication, UnknownCommand

HUP_511 = b"511 Command Not Permitted on a dead channel or intercept routine\n"


class RawCommand(Command[None]):
    """A line our typed API would never build (to provoke 510/520)."""

    def __init__(self, line: bytes) -> None:
        self.line = line

    def result(self, reply):
        return reply


def trace_subset(trace: str, wanted: list[bytes]) -> tuple[bytes, list]:
    """The first step for each wanted command, in trace order, with the reply Asterisk gave it."""
    env, steps = load_trace(trace)
    chosen, start = [], 0
    for command in wanted:
        index = next(i for i in range(start, len(steps)) if steps[i].command == command)
        chosen.append(steps[index])
        start = index + 1
    return env, chosen


async def test_given_03a_session_when_handler_uses_typed_api_then_bytes_and_results_match_trace(agi_server):
    results = {}

    async def agitest(session):
        results["env"] = (session.env.route, session.env.args)
        results["status"] = await session.channel_status()
        await session.answer()
        results["up"] = await session.channel_status()
        results["other"] = await session.channel_status("Local/nosuch-00000000;1")
        results["num"] = await session.get_variable("CALLERID(num)")
        results["unset"] = await session.get_variable("NOSUCHVAR")
        await session.set_variable("MYVAR", "hello world")
        await session.set_variable("EMPTYVAR", "")
        results["empty"] = await session.get_variable("EMPTYVAR")
        results["full"] = await session.get_full_variable("${CHANNEL}|${IVR_CHOICE}|${NOSUCHVAR}")
        results["zh"] = await session.get_variable("中文变量")
        results["beep"] = await session.stream_file("beep")
        results["menu"] = await session.stream_file("ivr-menu", "12#")
        results["missing"] = await session.stream_file("nosuchfile")
        results["digits"] = await session.get_data("ivr-menu", 3000, 4)
        results["timeout"] = await session.get_data("beep", 1500, 4)
        results["partial"] = await session.get_data("beep", 2000, 4)
        results["wait"] = await session.wait_for_digit(5000)
        results["nodigit"] = await session.wait_for_digit(1000)
        results["say"] = await session.say_digits("9876543210", "#")
        results["rec"] = await session.record_file("/var/spool/r/agi-rec-dtmf", "wav", "#", 10000, beep=True)
        results["silence"] = await session.record_file("/var/spool/r/agi-rec-silence", "wav", "#", 10000,
                                                        offset=0, silence_s=2)
        results["exec"] = await session.exec("Playback", "nosuchfile")
        with pytest.raises(UnknownApplication):
            await session.exec("NoSuchApp", "foo")
        await session.verbose("hello from FastAGI", 1)
        await session.hangup()
        results["dead"] = session.dead
        results["after"] = await session.get_variable("CALLERID(num)")
        await session.verbose("dead channel", 1)
        with pytest.raises(ChannelHungUp):
            await session.stream_file("beep")

    agi_server.add_route("agitest", agitest)
    wanted = [
        b"CHANNEL STATUS\n", b"ANSWER\n", b"CHANNEL STATUS\n", b"CHANNEL STATUS Local/nosuch-00000000;1\n",
        b"GET VARIABLE CALLERID(num)\n", b"GET VARIABLE NOSUCHVAR\n", b'SET VARIABLE MYVAR "hello world"\n',
        b'SET VARIABLE EMPTYVAR ""\n', b"GET VARIABLE EMPTYVAR\n",
        b"GET FULL VARIABLE ${CHANNEL}|${IVR_CHOICE}|${NOSUCHVAR}\n", "GET VARIABLE 中文变量\n".encode(),
        b'STREAM FILE beep ""\n', b'STREAM FILE ivr-menu "12#"\n', b'STREAM FILE nosuchfile ""\n',
        b"GET DATA ivr-menu 3000 4\n", b"GET DATA beep 1500 4\n", b"GET DATA beep 2000 4\n",
        b"WAIT FOR DIGIT 5000\n", b"WAIT FOR DIGIT 1000\n", b'SAY DIGITS 9876543210 "#"\n',
        b'RECORD FILE /var/spool/r/agi-rec-dtmf wav "#" 10000 0 BEEP\n',
        b'RECORD FILE /var/spool/r/agi-rec-silence wav "#" 10000 0 s=2\n', b'EXEC Playback "nosuchfile"\n',
        b"EXEC NoSuchApp foo\n", b'VERBOSE "hello from FastAGI" 1\n', b"HANGUP\n",
        b"GET VARIABLE CALLERID(num)\n", b'VERBOSE "dead channel" 1\n',
    ]
    env, steps = trace_subset("03a-fastagi-command-catalogue", wanted)
    replies = [s.reply for s in steps]
    replies[wanted.index(b"EXEC NoSuchApp foo\n")] = b"200 result=-2\n"
    sent = await fake_asterisk(agi_server.port, env, replies)
    assert sent == [b"EXEC NoSuchApp \"foo\"\n" if c == b"EXEC NoSuchApp foo\n" else c for c in wanted]
    assert results["env"] == ("agitest", ("first", "second arg", "", "last"))
    assert results["status"] is ChannelState.RING and results["up"] is ChannelState.UP
    assert results["other"] is None
    assert (results["num"], results["unset"], results["empty"]) == ("13800138000", None, "")
    assert results["full"] == "Local/300@agi-test-00000006;2|2|"
    assert results["zh"] is None
    assert results["beep"] == PlaybackResult(None, 2000)
    assert results["menu"] == PlaybackResult("2", 8960)
    assert results["missing"] == PlaybackResult(None, 0, failed=True)
    assert results["digits"] == DigitsResult("123", False)
    assert results["timeout"] == DigitsResult("", True)
    assert results["partial"] == DigitsResult("45", True)
    assert (results["wait"], results["nodigit"]) == ("5", None)
    assert results["say"] == PlaybackResult("#")
    assert results["rec"].outcome is RecordOutcome.DTMF and results["rec"].digit == "#"
    assert results["silence"].outcome is RecordOutcome.SILENCE and results["silence"].endpos == 8116
    assert results["exec"] == 0
    assert results["dead"] is True and results["after"] == ""
    assert agi_server.status().failed_handlers == 0


async def test_given_02a_ivr_call_when_replayed_then_every_command_byte_matches(agi_server):
    chosen = {}

    async def ivr(session):
        assert session.env.args == ("12345", "zh_CN")
        await session.get_variable("CALLERID(num)")
        await session.stream_file("ivr-welcome")
        chosen["data"] = await session.get_data("ivr-menu", 3000, 1)
        await session.run(SetVariable("IVR_CHOICE", 1))
        await session.verbose(f"IVR chose {chosen['data'].digits}, sending to queue hotline", 1)

    agi_server.add_route("ivr", ivr)
    env, steps = load_trace("02a-ami-call-ivr-queue-answered")
    sent = await fake_asterisk(agi_server.port, env, [s.reply for s in steps])
    expected = [s.command for s in steps]
    expected[3] = b'SET VARIABLE IVR_CHOICE "1"\n'  # trace sent it bare; we always quote values
    assert sent == expected
    assert chosen["data"] == DigitsResult("1", False)


@pytest.mark.parametrize("hangup_delay", [0.0, 0.04])
async def test_given_03c_caller_hangs_up_during_wait_for_digit_then_hung_up_and_dead_mode(agi_server, hangup_delay):
    outcome = {}

    async def hangup(session):
        outcome["num"] = await session.get_variable("CALLERID(num)")
        try:
            await session.wait_for_digit(10000)
        except ChannelHungUp as exc:
            outcome["hung_up"] = exc.error_id
        outcome["dead"] = session.dead
        for call in (lambda: session.stream_file("beep"), lambda: session.get_data("beep", 1000, 2),
                     session.answer, session.channel_status, session.hangup):
            with pytest.raises(ChannelHungUp):
                await call()
        outcome["again"] = await session.get_variable("CALLERID(num)")
        await session.verbose("after hangup", 1)
        await session.set_variable("AFTERHUP", "yes")
        outcome["exec"] = await session.exec("NoOp", "hi")

    agi_server.add_route("hangup", hangup)
    env, steps = load_trace("03c-fastagi-hangup-mid-session")
    by_command = {s.command: s.reply for s in steps}
    replies = [
        by_command[b"GET VARIABLE CALLERID(num)\n"],
        Delayed(b"200 result=-1\n", hangup_delay, b"HANGUP\n"),
        by_command[b"GET VARIABLE CALLERID(num)\n"],
        by_command[b'VERBOSE "after hangup" 1\n'],
        by_command[b"SET VARIABLE AFTERHUP yes\n"],
        by_command[b"EXEC NoOp hi\n"],
    ]
    sent = await fake_asterisk(agi_server.port, env, replies)
    assert sent == [b"GET VARIABLE CALLERID(num)\n", b"WAIT FOR DIGIT 10000\n", b"GET VARIABLE CALLERID(num)\n",
                    b'VERBOSE "after hangup" 1\n', b'SET VARIABLE AFTERHUP "yes"\n', b'EXEC NoOp "hi"\n']
    assert outcome == {"num": "13800138000", "hung_up": "fastagi.channel_hung_up", "dead": True,
                       "again": "13800138000", "exec": 0}


async def test_given_live_session_when_asterisk_answers_511_then_hung_up_and_no_more_channel_commands(agi_server):
    seen = {}

    async def handler(session):
        with pytest.raises(ChannelHungUp):
            await session.stream_file("beep")
        seen["dead"] = session.dead
        with pytest.raises(ChannelHungUp):
            await session.answer()

    agi_server.add_route("hangup", handler)
    env, _ = load_trace("03c-fastagi-hangup-mid-session")
    sent = await fake_asterisk(agi_server.port, env, [HUP_511])
    assert sent == [b'STREAM FILE beep ""\n'] and seen == {"dead": True}


async def test_given_missing_prompt_minus_one_without_hangup_when_grace_passes_then_failed_playback(agi_server):
    seen = {}

    async def handler(session):
        seen["play"] = await session.stream_file("nosuchfile")
        seen["dead"] = session.dead

    agi_server.add_route("ivr", handler)
    env, _ = load_trace("02a-ami-call-ivr-queue-answered")
    await fake_asterisk(agi_server.port, env, [b"200 result=-1 endpos=0\n"])
    assert seen == {"play": PlaybackResult(None, 0, failed=True), "dead": False}


async def test_given_usage_error_when_command_sent_then_typed_error_with_usage_text(agi_server):
    seen = {}

    async def handler(session):
        try:
            await session.run(RawCommand(b"GET DATA\n"))
        except CommandUsageError as exc:
            seen["usage"] = exc.text
        seen["after"] = await session.get_variable("X")

    agi_server.add_route("ivr", handler)
    env, _ = load_trace("02a-ami-call-ivr-queue-answered")
    _, steps = load_trace("03a-fastagi-command-catalogue")
    usage = next(s.reply for s in steps if s.command == b"GET DATA\n")
    await fake_asterisk(agi_server.port, env, [usage, b"200 result=1 (x)\n"])
    assert seen["usage"].startswith("Stream the given <replaceable>file</replaceable>")
    assert seen["after"] == "x"


async def test_given_unknown_command_when_sent_then_510_typed_error_and_session_continues(agi_server):
    seen = {}

    async def handler(session):
        try:
            await session.run(RawCommand(b"FOO BAR\n"))
        except UnknownCommand as exc:
            seen["error"] = (exc.error_id, exc.code, exc.text)
        seen["after"] = await session.get_variable("X")

    agi_server.add_route("ivr", handler)
    env, _ = load_trace("02a-ami-call-ivr-queue-answered")
    await fake_asterisk(agi_server.port, env, [b"510 Invalid or unknown command\n", b"200 result=0\n"])
    assert seen == {"error": ("fastagi.unknown_command", 510, "Invalid or unknown command"), "after": None}


async def test_given_hangup_line_arriving_between_commands_when_next_reply_read_then_dead_mode(agi_server):
    seen = {}

    async def handler(session):
        seen["num"] = await session.get_variable("CALLERID(num)")
        with pytest.raises(ChannelHungUp):
            await session.stream_file("beep")
        seen["dead"] = session.dead
        with pytest.raises(ChannelHungUp):
            await session.wait_for_digit(1000)

    agi_server.add_route("hangup", handler)
    env, _ = load_trace("03c-fastagi-hangup-mid-session")
    sent = await fake_asterisk(agi_server.port, env, [b"200 result=1 (13800138000)\nHANGUP\n", HUP_511])
    assert sent == [b"GET VARIABLE CALLERID(num)\n", b'STREAM FILE beep ""\n']
    assert seen == {"num": "13800138000", "dead": True}
