from __future__ import annotations

import pytest
from fastagi_support import load_trace, raw, split_env

from ivr.fastagi import AgiReply, HangupNotice, ReplyReader, parse_replies, parse_reply
from ivr.fastagi.errors import MalformedReply

OK = 200


def test_given_03a_reply_stream_when_parsed_then_one_reply_per_command_plus_one_hangup_notice():
    _, replies = split_env(raw("03a-fastagi-command-catalogue", "from_asterisk"))
    items = parse_replies(replies)
    commands = raw("03a-fastagi-command-catalogue", "to_asterisk").splitlines()
    notices = [i for i in items if isinstance(i, HangupNotice)]
    assert len(notices) == 1
    assert len(items) - len(notices) == len(commands) == 81


# (command sent, reply as documented in README facts 20-22)
DOCUMENTED = {
    b"CHANNEL STATUS Local/nosuch-00000000;1": AgiReply(OK, "-1"),
    b"GET VARIABLE CALLERID(name)": AgiReply(OK, "1", "Citizen Zhang"),
    b"GET VARIABLE NOSUCHVAR": AgiReply(OK, "0"),
    b"GET VARIABLE EMPTYVAR": AgiReply(OK, "1", ""),
    b"GET VARIABLE MYVAR": AgiReply(OK, "1", "hello world"),
    b"GET VARIABLE ZH_VAR": AgiReply(OK, "1", "市民热线"),
    b"GET FULL VARIABLE ${CHANNEL}|${IVR_CHOICE}|${NOSUCHVAR}": AgiReply(OK, "1", "Local/300@agi-test-00000006;2|2|"),
    b'STREAM FILE ivr-menu "12#"': AgiReply(OK, "50", endpos=8960),
    b'STREAM FILE ivr-menu "" 16000': AgiReply(OK, "0", endpos=32000),
    b'STREAM FILE nosuchfile ""': AgiReply(OK, "-1", endpos=0),
    b'CONTROL STREAM FILE beep ""': AgiReply(OK, "0", endpos=-1),
    b"GET DATA ivr-menu 3000 4": AgiReply(OK, "123"),
    b"GET DATA beep 1500 4": AgiReply(OK, "", "timeout"),
    b"GET DATA beep 2000 4": AgiReply(OK, "45", "timeout"),
    b"GET DATA beep 3000 2": AgiReply(OK, "67"),
    b"GET DATA beep 3000": AgiReply(OK, "*"),
    b"WAIT FOR DIGIT 1000": AgiReply(OK, "0"),
    b"WAIT FOR DIGIT -1": AgiReply(OK, "48"),
    b'SAY DIGITS 9876543210 "#"': AgiReply(OK, "35"),
    b'SAY NUMBER 42 ""': AgiReply(OK, "-1"),
    b'RECORD FILE /var/spool/r/agi-rec-timeout wav "#" 2000': AgiReply(OK, "0", "timeout", 15956),
    b'RECORD FILE /var/spool/r/agi-rec-dtmf wav "#" 10000 0 BEEP': AgiReply(OK, "35", "dtmf", 8138),
    b'RECORD FILE /var/spool/r/agi-rec-silence wav "#" 10000 0 s=2': AgiReply(OK, "7987", "timeout", 8116),
    b'RECORD FILE /var/spool/r/agi-rec-badformat nosuchfmt "#" 1000': AgiReply(OK, "-1", "writefile"),
    b"EXEC NoSuchApp foo": AgiReply(OK, "-2"),
    b'VERBOSE "hello from FastAGI" 1': AgiReply(OK, "1"),
    b"GET VARIABLE CALLERID(all)": AgiReply(OK, "1", '"Citizen Li" <>'),
    b"FOO BAR": AgiReply(510, text="Invalid or unknown command"),
    b"": AgiReply(510, text="Invalid or unknown command"),
    b"EXEC Wait 1": AgiReply(OK, "-1"),
    b"WAIT FOR DIGIT 100": AgiReply(511, text="Command Not Permitted on a dead channel or intercept routine"),
}


def test_given_03a_when_walked_command_by_command_then_each_reply_has_its_documented_meaning():
    _, steps = load_trace("03a-fastagi-command-catalogue")
    seen = {}
    for step in steps:
        items = parse_replies(step.reply)
        assert isinstance(items[0], AgiReply)
        seen[step.command[:-1]] = items[0]
        if step.command == b"HANGUP\n":
            assert items == [AgiReply(OK, "1"), HangupNotice()]
        else:
            assert len(items) == 1
    for command, expected in DOCUMENTED.items():
        assert seen[command] == expected, command
    assert [s.command[:-1] for s in steps].count(b"STREAM FILE beep") == 1


def test_given_520_multiline_usage_when_parsed_then_usage_text_keeps_xmldoc_markup_verbatim():
    _, steps = load_trace("03a-fastagi-command-catalogue")
    usage = {s.command: parse_replies(s.reply)[0] for s in steps if s.reply.startswith(b"520-")}
    assert set(usage) == {b"STREAM FILE beep\n", b"STREAM FILE\n", b"GET DATA\n", b"WAIT FOR DIGIT\n",
                          b"SAY DIGITS abc\n", b"RECORD FILE /tmp/x\n"}
    wait = usage[b"WAIT FOR DIGIT\n"]
    assert wait.code == 520
    assert wait.text.startswith("Waits up to <replaceable>timeout</replaceable> milliseconds")
    stream = usage[b"STREAM FILE\n"].text.split("\n")
    assert stream[-2:] == ["    <value>SUCCESS</value>", "    <value>FAILED</value>"]


def test_given_hangup_line_arriving_before_next_reply_when_fed_then_notice_then_reply():
    reader = ReplyReader()
    assert reader.feed(b"200 result=-1\n") == AgiReply(OK, "-1")
    assert isinstance(reader.feed(b"HANGUP\n"), HangupNotice)
    assert reader.feed(b"511 Command Not Permitted on a dead channel or intercept routine\n").code == 511


@pytest.mark.parametrize("line", [
    b"garbage", b"200 result", b"200 result=1 (unterminated", b"999 nothing", b"200result=1",
    b"200 result=1 endpos=abc", b"5100 x", b"",
])
def test_given_malformed_reply_line_when_parsed_then_typed_error(line):
    with pytest.raises(MalformedReply) as info:
        parse_reply(line + b"\n")
    assert info.value.error_id == "fastagi.malformed_reply"


def test_given_520_block_without_end_line_when_too_long_then_typed_error():
    reader = ReplyReader(max_usage_lines=3)
    assert reader.feed(b"520-Invalid command syntax.  Proper usage follows:\n") is None
    for _ in range(3):
        assert reader.feed(b"usage\n") is None
    with pytest.raises(MalformedReply):
        reader.feed(b"more usage\n")


def test_given_non_numeric_result_when_number_requested_then_typed_error():
    with pytest.raises(MalformedReply):
        AgiReply(OK, "*").number()
