"""Pure parts: config reader, dialplan patterns, expressions, AMI request parser."""
from __future__ import annotations

import pytest

from asterisk_standin.ami_wire import LineTooLong, RequestParser
from asterisk_standin.config_files import ConfigError, parse_config_text
from asterisk_standin.dialplan import find_extension, parse_dialplan
from asterisk_standin.expressions import evaluate, substitute

from .amiclient import LAB


def test_given_lab_extensions_then_labels_priorities_and_patterns_resolve():
    from asterisk_standin.config_files import read_config

    ctxs = parse_dialplan(read_config(LAB / "extensions.conf"))
    ext = find_extension(ctxs, "hotline-in", "12345")
    assert [s.app for s in ext.steps.values()] == ["NoOp", "Answer", "AGI", "NoOp", "Queue", "NoOp", "Hangup"]
    assert find_extension(ctxs, "lab-linkage", "71001").pattern == "_7X."
    assert find_extension(ctxs, "lab-linkage", "7") is None


def test_given_include_and_label_then_found():
    text = "[a]\ninclude => b\n[b]\nexten => _NXX,1(start),NoOp(x)\n same => n(end),Hangup()\n"
    ctxs = parse_dialplan(parse_config_text(text))
    ext = find_extension(ctxs, "a", "234")
    assert ext.by_label("end") == 2
    assert find_extension(ctxs, "a", "123") is None


def test_given_bad_lines_then_config_error():
    with pytest.raises(ConfigError):
        parse_dialplan(parse_config_text("[a]\n same => n,NoOp()\n"))
    with pytest.raises(ConfigError):
        parse_config_text("[a\nx=1\n")


def test_given_expressions_then_asterisk_results():
    assert evaluate("1 = 1") == "1"
    assert evaluate('"abc" != "abc"') == "0"
    assert evaluate("2 + 3 * 4") == "14"
    assert substitute("${EXTEN:1}-$[1+1]", lambda e: {"EXTEN": "71001"}[e.split(":")[0]][1:]) == "1001-2"


def test_given_request_bytes_then_first_duplicate_wins_and_long_line_discards_message():
    p = RequestParser()
    out = p.feed(b"Action: Ping\r\nAction: CoreStatus\r\n\r\n" + b"X: " + b"Y" * 1100 + b"\r\nAction: Ping\r\n\r\n")
    assert out[0].action == "Ping"
    assert isinstance(out[1], LineTooLong) and len(out) == 2


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\r", "\x0b", "\x0c", "\x1c"])
def test_given_a_comment_holding_a_unicode_line_break_then_no_extension_is_injected(separator):
    """Asterisk ends a config line at \\n only: what follows such a character is still comment (issue 11.7)."""
    text = f"[hotline-lines]\n; 12388 惠民热线{separator}exten => 9999,1,Dial(PJSIP/attacker)\nexten => 12388,1,NoOp()\r\n"
    ctxs = parse_dialplan(parse_config_text(text))
    assert find_extension(ctxs, "hotline-lines", "9999") is None
    assert [s.app for s in find_extension(ctxs, "hotline-lines", "12388").steps.values()] == ["NoOp"]
