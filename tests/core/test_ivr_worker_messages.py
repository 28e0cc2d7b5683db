"""The engine ↔ IVR worker messages (hotline/ivr_worker/messages.py): what one side writes the other reads."""
from __future__ import annotations

import pytest

from hotline.ivr_worker.messages import MAX_LINE, Message, MessageError, decode, encode


def test_given_a_follow_ivr_message_when_decoded_then_the_fields_come_back_in_chinese_intact():
    line = encode("follow_ivr", channel="PJSIP/trunk-00000001", linkedid="1795352725.1", caller="13800138000",
                  target="119", ticket="20261203000001", trigger="按键2（菜单after-hours）")
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode(line) == Message("follow_ivr", {"channel": "PJSIP/trunk-00000001", "linkedid": "1795352725.1",
                                                  "caller": "13800138000", "target": "119",
                                                  "ticket": "20261203000001", "trigger": "按键2（菜单after-hours）"})


@pytest.mark.parametrize("line", [b"not json\n", b"[1, 2]\n", b'{"kind": "shutdown"}\n', b'{"what": "lines"}\n',
                                  b"\xff\xfe\n", b'{"kind": "changed"' + b" " * MAX_LINE + b"}\n"])
def test_given_a_line_that_is_not_ours_when_decoded_then_a_message_error(line):
    with pytest.raises(MessageError):
        decode(line)


def test_given_an_unknown_kind_when_encoding_then_refused():
    with pytest.raises(MessageError):
        encode("restart")
