"""Encoder round-trip against the recorded actions, header-injection refusal, hostile input."""
from __future__ import annotations

import pytest
from ami_replay import ami_streams, blocks

from hotline.ami.actions import SPECS, Action, spec_for
from hotline.ami.errors import AmiEncodeError, AmiMessageTooLarge, AmiProtocolError
from hotline.ami.protocol import AmiReader, encode_action

TO_ASTERISK = ami_streams("to_asterisk")


def well_formed(block: bytes) -> bool:
    """What our encoder can produce: CRLF 'Key: Value' lines, valid UTF-8 (07 also has raw junk)."""
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    lines = block.split(b"\r\n")
    return lines[0].startswith(b"Action: ") and all(b": " in line and b"\n" not in line for line in lines)


@pytest.mark.parametrize("path", TO_ASTERISK, ids=lambda p: p.name.split(".to")[0])
def test_given_recorded_actions_when_reencoded_then_bytes_are_identical(path):
    data = path.read_bytes()
    recorded = [b for b in blocks(data) if well_formed(b)]
    if "07-ami-bad-input" not in path.name:
        assert len(recorded) == len(blocks(data))
    msgs = [m for m in AmiReader().feed(b"\r\n\r\n".join(recorded) + b"\r\n\r\n")]
    assert len(msgs) == len(recorded)
    for msg, block in zip(msgs, recorded, strict=True):
        items = msg.items()
        assert items[0][0] == "Action"
        rest = items[1:]
        action_id = None
        if rest and rest[0][0] == "ActionID":
            action_id, rest = rest[0][1], rest[1:]
        assert encode_action(items[0][1], rest, action_id) == block + b"\r\n\r\n"


def test_given_repeated_keys_then_each_value_gets_its_own_line_in_order():
    action = Action.of("Originate", Channel="Local/1@c", Variable=["A=1", "B=2"], Async=True, Timeout=None)
    assert encode_action(action.name, action.fields, "x-1") == (
        b"Action: Originate\r\nActionID: x-1\r\nChannel: Local/1@c\r\nVariable: A=1\r\nVariable: B=2\r\n"
        b"Async: true\r\n\r\n")


def test_given_chinese_values_then_they_are_sent_as_utf8():
    data = encode_action("QueueAdd", {"Queue": "q", "MemberName": "坐席01", "Reason": "登录"})
    assert "坐席01".encode() in data and AmiReader().feed(data)[0]["Reason"] == "登录"


@pytest.mark.parametrize("value", ["张伟\r\nAction: Hangup", "x\nChannel: all", "a\rb", "nul\x00"])
def test_given_caller_controlled_value_with_line_break_then_encoding_refuses(value):
    with pytest.raises(AmiEncodeError) as err:
        encode_action("Originate", [("CallerID", value)])
    assert err.value.error_id == "ami.encode.forbidden_char"


@pytest.mark.parametrize("key", ["", "Bad:Key", "Two\r\nLines", " Lead", "Trail "])
def test_given_bad_header_name_then_encoding_refuses(key):
    with pytest.raises(AmiEncodeError):
        encode_action("Ping", [(key, "v")])


def test_given_action_name_with_newline_then_encoding_refuses():
    with pytest.raises(AmiEncodeError):
        encode_action("Ping\r\nAction: Hangup")


def test_given_oversize_unterminated_message_then_error_and_resync_at_next_blank_line():
    reader = AmiReader(max_message_size=1000)
    assert reader.feed(b"Event: Flood\r\nData: " + b"x" * 600) == []
    assert reader.feed(b"y" * 600) == []
    assert isinstance(reader.errors[-1], AmiMessageTooLarge)
    assert reader.errors[-1].error_id == "ami.protocol.too_large"
    assert reader.buffered < 16  # only enough to see a blank line or message start split across reads
    assert reader.feed(b"z" * 5000) == []
    msgs = reader.feed(b"zz\r\n\r\nEvent: Next\r\nA: 1\r\n\r\n")
    assert [m.event for m in msgs] == ["Next"] and reader.error_count == 1


def test_given_oversize_complete_message_in_one_read_then_it_alone_is_dropped():
    reader = AmiReader(max_message_size=1000)
    data = b"Event: A\r\n\r\nEvent: Big\r\nX: " + b"x" * 2000 + b"\r\n\r\nEvent: B\r\n\r\n"
    assert [m.event for m in reader.feed(data)] == ["A", "B"]
    assert reader.error_count == 1


def test_given_blocks_without_colon_or_garbage_then_reader_records_them_and_continues():
    reader = AmiReader()
    data = (b"Asterisk Call Manager/11.0.0\r\n" b"garbage without colon\r\n\r\n"
            b"\x00\x01\x02\r\n\r\n" b"Event: Good\r\nLine without colon\r\nKey: v\r\n\r\n"
            b"Response: Success\r\nActionID: 1\r\n\r\n")
    msgs = reader.feed(data)
    assert [(m.event, m.is_response) for m in msgs] == [("Good", False), (None, True)]
    assert msgs[0]["Key"] == "v" and msgs[0].bad_lines == 1
    assert reader.error_count == 2
    assert all(isinstance(e, AmiProtocolError) for e in reader.errors)


def test_given_peer_without_banner_then_first_block_is_still_parsed():
    reader = AmiReader()
    assert [m.event for m in reader.feed(b"Event: X\r\n\r\n")] == ["X"]
    assert reader.banner is None and reader.greeted


def test_given_every_declared_list_action_then_it_names_its_complete_event():
    lists = [s for s in SPECS.values() if s.shape == "list"]
    assert {s.name for s in lists} >= {"QueueStatus", "QueueSummary", "CoreShowChannels", "Status",
                                       "ConfbridgeList"}
    assert all(s.complete_event == s.name + "Complete" for s in lists)
    assert spec_for("queuestatus").complete_event == "QueueStatusComplete"
    assert spec_for("NoSuchAction").shape == "single"


GOOD = b"Event: QueueMemberAdded\r\nQueue: hotline-general\r\nInterface: PJSIP/8001\r\n\r\n"
FLOOD = b"Event: Flood\r\nData: " + b"x" * 2000 + b"\r\n"  # never gets its blank line


@pytest.mark.parametrize("chunks", [
    [FLOOD, GOOD],                              # the valid event in the next read
    [FLOOD + GOOD],                             # both in one read
    [FLOOD[:1500], FLOOD[1500:] + GOOD[:5], GOOD[5:]],  # the message start split across reads
    [FLOOD[:1500], FLOOD[1500:], GOOD],         # skipping already when the event comes
])
def test_given_an_oversized_unterminated_block_then_the_next_valid_event_is_not_swallowed(chunks):
    """Issue 11.7: the reader used to skip to the next blank line, i.e. the end of the good event."""
    reader = AmiReader(max_message_size=1000)
    msgs = [m for chunk in chunks for m in reader.feed(chunk)]
    assert [(m.event, m["Interface"]) for m in msgs] == [("QueueMemberAdded", "PJSIP/8001")]
    assert reader.error_count == 1 and isinstance(reader.errors[-1], AmiMessageTooLarge)
    assert [m.event for m in reader.feed(b"Event: Next\r\n\r\n")] == ["Next"]
