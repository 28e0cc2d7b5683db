from __future__ import annotations

import pytest
from fastagi_support import asterisk_parse_args, load_trace
from hypothesis import given
from hypothesis import strategies as st

from ivr.fastagi import (
    Answer,
    ChannelState,
    ChannelStatus,
    DigitsResult,
    Exec,
    GetData,
    GetFullVariable,
    GetVariable,
    PlaybackResult,
    RecordFile,
    RecordOutcome,
    RecordResult,
    SayDigits,
    SayNumber,
    SetVariable,
    StreamFile,
    Verbose,
    WaitForDigit,
    parse_reply,
)
from ivr.fastagi.errors import CommandFailed, CommandTooLong, UnknownApplication, UnsafeArgument
from ivr.fastagi.protocol import MAX_COMMAND_BYTES


def result_of(command, line: bytes):
    return command.result(parse_reply(line))


def test_given_typed_commands_when_encoded_then_bytes_equal_the_real_asterisk_session():
    sent = {s.command for s in load_trace("03a-fastagi-command-catalogue")[1]}
    ours = [
        Answer(), ChannelStatus(), ChannelStatus("Local/nosuch-00000000;1"),
        GetVariable("CALLERID(num)"), GetVariable("中文变量"), SetVariable("MYVAR", "hello world"),
        SetVariable("EMPTYVAR", ""), GetFullVariable("${CHANNEL}|${IVR_CHOICE}|${NOSUCHVAR}"),
        StreamFile("beep"), StreamFile("ivr-menu", "12#"), StreamFile("ivr-menu", "", 16000),
        GetData("ivr-menu", 3000, 4), GetData("beep", 3000), WaitForDigit(5000), WaitForDigit(-1),
        SayDigits("123"), SayDigits("9876543210", "#"), SayNumber(42),
        RecordFile("/var/spool/r/agi-rec-timeout", "wav", "#", 2000),
        RecordFile("/var/spool/r/agi-rec-dtmf", "wav", "#", 10000, beep=True),
        RecordFile("/var/spool/r/agi-rec-silence", "wav", "#", 10000, offset=0, silence_s=2),
        Exec("Playback", "nosuchfile"), Exec("Verbose", "exec verbose", 1),
        Verbose("hello from FastAGI"), Verbose("dead channel", 1),
    ]
    assert [c.line for c in ours if c.line not in sent] == []


@pytest.mark.parametrize("name", [
    'Li "the boss"\nHANGUP\n', "a\\b", "张伟\r\nSTREAM FILE x \"\"", "nul\x00byte", "tab\there",
    "line\u2028sep", "", "\"", "\\",
])
def test_given_hostile_caller_text_when_set_as_variable_then_one_line_one_argument(name):
    line = SetVariable("CALLER_NAME", name).line
    assert line.count(b"\n") == 1 and line.endswith(b"\n")
    assert b"\r" not in line and b"\x00" not in line
    args = asterisk_parse_args(line[:-1].decode())
    assert args[:3] == ["SET", "VARIABLE", "CALLER_NAME"] and len(args) == 4


def test_given_caller_name_with_newline_and_quotes_when_set_then_exact_bytes():
    line = SetVariable("CALLER_NAME", '王"五"\\\nHANGUP\r\x00').line
    assert line == b'SET VARIABLE CALLER_NAME "\xe7\x8e\x8b\\"\xe4\xba\x94\\"\\\\ HANGUP  "\n'
    assert asterisk_parse_args(line[:-1].decode())[3] == '王"五"\\ HANGUP  '


@given(st.text(max_size=200))
def test_given_any_text_when_quoted_then_asterisk_reads_back_the_text_with_controls_as_spaces(text):
    line = Verbose(text, 3).line
    args = asterisk_parse_args(line[:-1].decode())
    expected = "".join(" " if (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029") else ch
                       for ch in text)
    assert args == ["VERBOSE", expected.encode("utf-8", "replace").decode(), "3"]


@pytest.mark.parametrize("build", [
    lambda: StreamFile("beep; rm", ""), lambda: StreamFile('be"ep'), lambda: StreamFile(""),
    lambda: StreamFile("beep\n"), lambda: SetVariable("A B", "x"), lambda: GetVariable("X\\"),
    lambda: StreamFile("beep", "12x"), lambda: RecordFile("/tmp/x", "wav ogg"), lambda: Exec("Dial PJSIP"),
])
def test_given_unsafe_identifier_when_building_command_then_rejected(build):
    with pytest.raises(UnsafeArgument) as info:
        build()
    assert info.value.error_id == "fastagi.unsafe_argument"


def test_given_exec_argument_with_comma_when_built_then_rejected():
    with pytest.raises(ValueError):
        Exec("Playback", "hello,world")


def test_given_value_that_would_exceed_asterisk_buffer_when_built_then_rejected():
    SetVariable("X", "a" * (MAX_COMMAND_BYTES - len('SET VARIABLE X ""\n')))
    with pytest.raises(CommandTooLong) as info:
        SetVariable("X", "a" * MAX_COMMAND_BYTES)
    assert info.value.error_id == "fastagi.command_too_long"


def test_given_playback_replies_when_interpreted_then_digit_endpos_and_failure():
    assert result_of(StreamFile("ivr-menu", "12#"), b"200 result=50 endpos=8960") == PlaybackResult("2", 8960)
    assert result_of(StreamFile("beep"), b"200 result=0 endpos=2000") == PlaybackResult(None, 2000)
    assert result_of(StreamFile("nosuchfile"), b"200 result=-1 endpos=0") == PlaybackResult(None, 0, True)
    assert result_of(SayDigits("1", "#"), b"200 result=35") == PlaybackResult("#")
    assert result_of(SayNumber(42), b"200 result=-1") == PlaybackResult(None, None, True)


def test_given_get_data_replies_when_interpreted_then_digits_and_timeout_flag():
    cmd = GetData("beep", 2000, 4)
    assert result_of(cmd, b"200 result=123") == DigitsResult("123", False)
    assert result_of(cmd, b"200 result= (timeout)") == DigitsResult("", True)
    assert result_of(cmd, b"200 result=45 (timeout)") == DigitsResult("45", True)
    with pytest.raises(CommandFailed):
        result_of(cmd, b"200 result=-1")


@pytest.mark.parametrize(("reply", "digit"), [
    (b"200 result=53", "5"), (b"200 result=42", "*"), (b"200 result=35", "#"), (b"200 result=65", "A"),
    (b"200 result=48", "0"), (b"200 result=0", None),
])
def test_given_wait_for_digit_replies_when_interpreted_then_ascii_code_becomes_digit(reply, digit):
    assert result_of(WaitForDigit(5000), reply) == digit


def test_given_record_file_replies_when_interpreted_then_outcome_kinds():
    cmd = RecordFile("/var/spool/r/msg", "wav", "#", 10000)
    assert result_of(cmd, b"200 result=0 (timeout) endpos=15956") == RecordResult(RecordOutcome.TIMEOUT, 15956)
    assert result_of(cmd, b"200 result=35 (dtmf) endpos=8138") == RecordResult(RecordOutcome.DTMF, 8138, "#")
    assert result_of(cmd, b"200 result=7987 (timeout) endpos=8116") == RecordResult(RecordOutcome.SILENCE, 8116)
    assert result_of(cmd, b"200 result=-1 (hangup) endpos=4000") == RecordResult(RecordOutcome.HANGUP, 4000)
    assert result_of(cmd, b"200 result=-1 (writefile)").outcome is RecordOutcome.WRITEFILE_ERROR
    assert result_of(cmd, b"200 result=-1 (randomerror) endpos=0").outcome is RecordOutcome.ERROR


def test_given_variable_replies_when_interpreted_then_set_unset_and_empty_differ():
    assert result_of(GetVariable("X"), b"200 result=1 (hello world)") == "hello world"
    assert result_of(GetVariable("X"), b"200 result=1 ()") == ""
    assert result_of(GetVariable("X"), b"200 result=0") is None
    assert result_of(GetFullVariable("${X}"), b"200 result=1 (a|b)") == "a|b"


def test_given_exec_and_status_replies_when_interpreted_then_typed():
    assert result_of(Exec("Wait", "0.5"), b"200 result=0") == 0
    with pytest.raises(UnknownApplication):
        result_of(Exec("NoSuchApp", "foo"), b"200 result=-2")
    assert result_of(ChannelStatus(), b"200 result=4") is ChannelState.RING
    assert result_of(ChannelStatus(), b"200 result=6") is ChannelState.UP
    assert result_of(ChannelStatus("Local/nosuch-00000000;1"), b"200 result=-1") is None
    with pytest.raises(CommandFailed):
        result_of(Answer(), b"200 result=-1")
