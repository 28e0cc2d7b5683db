from __future__ import annotations

import pytest
from fastagi_support import raw, split_env

from ivr.fastagi import parse_environment
from ivr.fastagi.errors import MalformedEnvironment


def test_given_03a_env_block_when_parsed_then_every_agi_key_route_params_and_args_are_exposed():
    block, _ = split_env(raw("03a-fastagi-command-catalogue", "from_asterisk"))
    env = parse_environment(block)
    assert list(env.raw)[:3] == ["agi_network", "agi_network_script", "agi_request"]
    assert len(env.raw) == 26
    assert env.network_script == "agitest?mode=full&lang=zh"
    assert env.route == "agitest"
    assert dict(env.params) == {"mode": "full", "lang": "zh"}
    assert env.args == ("first", "second arg", "", "last")
    assert env.channel == "Local/300@agi-test-00000006;2"
    assert env.uniqueid == "1795352753.13"
    assert env.callerid == "13800138000"
    assert env.calleridname == "Citizen Zhang"
    assert env.context == "agi-test" and env.extension == "300" and env.priority == "2"
    assert env.raw["agi_enhanced"] == "0.0"
    assert env.raw["agi_accountcode"] == ""


def test_given_unknown_literal_when_read_through_accessors_then_none_but_raw_keeps_it():
    block, _ = split_env(raw("03a-fastagi-command-catalogue", "from_asterisk"))
    env = parse_environment(block)
    assert env.raw["agi_dnid"] == "unknown" and env.dnid is None
    assert env.raw["agi_rdnis"] == "unknown" and env.rdnis is None
    assert env.value("agi_nosuch") is None


def test_given_02a_ivr_env_when_parsed_then_route_is_ivr_with_two_args():
    block, _ = split_env(raw("02a-ami-call-ivr-queue-answered", "from_asterisk"))
    env = parse_environment(block)
    assert env.route == "ivr" and dict(env.params) == {}
    assert env.args == ("12345", "zh_CN")
    assert env.channel == "Local/12345@hotline-in-00000000;2"


def test_given_chinese_caller_name_in_utf8_when_parsed_then_decoded():
    block = "agi_network_script: ivr\nagi_calleridname: 张伟 (市民)\nagi_arg_1: 投诉\n\n".encode()
    env = parse_environment(block)
    assert env.calleridname == "张伟 (市民)"
    assert env.args == ("投诉",)


def test_given_gbk_bytes_in_caller_name_when_parsed_then_replacement_chars_not_a_crash():
    block = b"agi_network_script: ivr\nagi_calleridname: " + "张伟".encode("gbk") + b"\n\n"
    env = parse_environment(block)
    assert "\ufffd" in env.calleridname


def test_given_script_with_leading_slash_and_percent_escapes_when_parsed_then_clean_route_and_params():
    env = parse_environment(b"agi_network_script: /ivr/main?lang=zh%5FCN&x=&x=2\n\n")
    assert env.route == "ivr/main"
    assert dict(env.params) == {"lang": "zh_CN", "x": ""}


def test_given_args_with_a_gap_when_parsed_then_args_stop_at_the_gap():
    env = parse_environment(b"agi_network_script: ivr\nagi_arg_1: a\nagi_arg_3: c\n\n")
    assert env.args == ("a",)


@pytest.mark.parametrize("block", [
    b"agi_network_script: ivr\nthis line has no colon\n\n",
    b"agi_network: yes\n\n",
    b"agi network_script: ivr\n\n",
])
def test_given_malformed_env_when_parsed_then_typed_error(block):
    with pytest.raises(MalformedEnvironment) as info:
        parse_environment(block)
    assert info.value.error_id == "fastagi.malformed_environment"
