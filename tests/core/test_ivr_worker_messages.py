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


class _Link:
    def __init__(self, takes: bool) -> None:
        self.takes, self.sent = takes, []

    def send(self, kind: str, **data) -> bool:
        if self.takes:
            self.sent.append((kind, data))
        return self.takes


class _Rows:
    def __init__(self) -> None:
        self.opened = []

    async def open(self, **fields) -> None:
        self.opened.append(fields)


async def test_given_the_engine_takes_the_message_then_119_goes_to_its_ledger_and_no_row_is_written_here():
    from datetime import UTC, datetime

    from hotline.ivr_worker.adapters import LinkedLedgerFollow
    from ivr.frontend.ports import Linkage

    link, rows = _Link(takes=True), _Rows()
    follow = LinkedLedgerFollow(link, rows)
    result = follow.follow("PJSIP/trunk-1", "1.1", "13800138000", "20261203000001",
                           Linkage(datetime.now(UTC), "119", "着火", "keyword"))
    assert result is None and rows.opened == []
    assert link.sent == [("follow_ivr", {"channel": "PJSIP/trunk-1", "linkedid": "1.1", "caller": "13800138000",
                                         "target": "119", "ticket": "20261203000001", "trigger": "着火"})]


async def test_given_the_engine_cannot_take_the_message_then_the_worker_writes_the_ledger_row_itself():
    from datetime import UTC, datetime

    from hotline.ivr_worker.adapters import LinkedLedgerFollow
    from ivr.frontend.ports import Linkage

    rows = _Rows()
    follow = LinkedLedgerFollow(_Link(takes=False), rows)
    await follow.follow("PJSIP/trunk-1", "1.1", "13800138000", None, Linkage(datetime.now(UTC), "120", "晕倒", "keyword"))
    assert rows.opened == [{"channel": "PJSIP/trunk-1", "linkedid": "1.1", "caller": "13800138000", "target": "120",
                            "ticket": None, "trigger": "晕倒"}]
