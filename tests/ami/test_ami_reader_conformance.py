"""The reader against every recorded AMI stream: whole, byte by byte, random chunkings."""
from __future__ import annotations

import random

import pytest
from ami_replay import BANNER, ami_streams, blocks, raw

from hotline.ami.protocol import AmiReader

STREAMS = ami_streams("from_asterisk")


def parse(data: bytes, chunks: list[int] | None = None) -> tuple[AmiReader, list]:
    reader = AmiReader()
    out = []
    if chunks is None:
        out.extend(reader.feed(data))
        return reader, out
    pos = 0
    for size in chunks:
        out.extend(reader.feed(data[pos:pos + size]))
        pos += size
    out.extend(reader.feed(data[pos:]))
    return reader, out


def snapshot(msgs: list) -> list:
    return [(m.event, m.items()) for m in msgs]


def test_given_all_traces_then_every_ami_connection_is_covered():
    assert len(STREAMS) == 41  # 23 shared + 14/15 (busy, no-answer Dial), 16 (restart, 2 sessions), 17-30 captured here


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name.split(".from")[0])
def test_given_a_trace_when_read_whole_then_one_message_per_blank_line_block(path):
    data = path.read_bytes()
    reader, msgs = parse(data)
    assert len(msgs) == len(blocks(data)) == data.count(b"\r\n\r\n")
    assert reader.banner == BANNER.decode().strip()
    assert reader.version == "11.0.0"
    assert reader.error_count == 0 and reader.buffered == 0
    assert all(m.is_event or m.is_response for m in msgs)


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name.split(".from")[0])
def test_given_a_trace_when_read_in_random_chunks_then_messages_are_identical(path):
    data = path.read_bytes()
    whole = snapshot(parse(data)[1])
    rnd = random.Random(path.name)
    for _ in range(3):
        sizes = [rnd.choice((1, 2, 3, 7, 64, 500, 1460, 4096)) for _ in range(len(data) // 200 + 1)]
        assert snapshot(parse(data, sizes)[1]) == whole


@pytest.mark.parametrize("path", [p for p in STREAMS if p.stat().st_size < 40_000],
                         ids=lambda p: p.name.split(".from")[0])
def test_given_a_trace_when_read_one_byte_at_a_time_then_messages_are_identical(path):
    data = path.read_bytes()
    assert snapshot(parse(data, [1] * len(data))[1]) == snapshot(parse(data)[1])


def test_given_the_banner_split_across_reads_then_it_is_recognised_and_not_a_message():
    reader = AmiReader()
    assert reader.feed(b"Asterisk Call") == []
    assert reader.feed(b" Manager/11.0.0\r") == []
    msgs = reader.feed(b"\nResponse: Success\r\nActionID: a\r\nPing: Pong\r\n\r\n")
    assert reader.version == "11.0.0"
    assert [m["Ping"] for m in msgs] == ["Pong"]


def test_given_login_reply_then_response_fields_and_action_id_come_first():
    msgs = parse(raw("01-ami-basic.ami3.from_asterisk.bin"))[1]
    login = msgs[0]
    assert login.is_response and login.response == "Success"
    assert list(login)[:2] == ["Response", "ActionID"] and login.action_id == "ami3-1"
    assert login["Message"] == "Authentication accepted"
    assert [m.event for m in msgs[1:3]] == ["FullyBooted", "SuccessfulAuth"]
    ping = msgs[3]
    assert ping["Ping"] == "Pong" and "Message" not in ping


def test_given_queue_status_list_then_start_items_and_complete_with_list_items():
    msgs = parse(raw("04-ami-queue-management.ami1.from_asterisk.bin"))[1]
    start = next(i for i, m in enumerate(msgs) if m.is_response and m.get("EventList") == "start")
    aid = msgs[start].action_id
    items = [m for m in msgs[start + 1:] if m.is_event and m.action_id == aid]
    complete = items[-1]
    assert complete.event == "QueueStatusComplete" and complete["EventList"] == "Complete"
    assert int(complete["ListItems"]) == len(items) - 1
    params = items[0]
    assert params.event == "QueueParams" and list(params)[-1] == "ActionID" and "Privilege" not in params
    assert list(complete)[1] == "ActionID"


def test_given_command_output_then_every_output_line_is_kept_in_order():
    msgs = parse(raw("07-ami-bad-input.ami1.from_asterisk.bin"))[1]
    channels = next(m for m in msgs if m.action_id == "ami1-19")
    assert channels.getall("Output") == [
        "Channel                                                          Location"
        "                         State   Application(Data)             ",
        "0 active channels", "0 active calls", "36 calls processed"]
    assert channels["Output"] == channels.getall("output")[0]
    assert len(channels.items()) == 7 and len(channels) == 4


def test_given_non_utf8_action_id_then_bytes_become_replacement_characters_not_dropped():
    msgs = parse(raw("07-ami-bad-input.ami1.from_asterisk.bin"))[1]
    binary = [m for m in msgs if (m.action_id or "").startswith("bin-")]
    assert [m.action_id for m in binary] == ["bin-\ufffd\ufffd"]


@pytest.mark.parametrize("trace", ["09a-ami-linkage-confbridge", "10-ami-queue-waiting-prio",
                                   "12-ami-queue-member-lifecycle"])
def test_given_chinese_caller_name_split_inside_a_character_then_it_arrives_whole(trace):
    data = raw(f"{trace}.ami1.from_asterisk.bin")
    name = "张伟".encode()
    cut = data.index(name) + 1
    reader = AmiReader()
    msgs = reader.feed(data[:cut]) + reader.feed(data[cut:cut + 1]) + reader.feed(data[cut + 1:])
    whole = parse(data)[1]
    assert snapshot(msgs) == snapshot(whole)
    assert any(m.get("CallerIDName") == "张伟" for m in msgs)


def test_given_case_insensitive_lookup_then_first_duplicate_wins():
    reader = AmiReader()
    msg = reader.feed(b"Response: Success\r\nVariable: A=1\r\nvariable: B=2\r\nValue: x\r\n\r\n")[0]
    assert msg["VARIABLE"] == "A=1" and msg.getall("Variable") == ["A=1", "B=2"]
    assert msg.get("missing") is None and "Value" in msg and msg.get_ci("value") == "x"
    with pytest.raises(KeyError):
        msg["missing"]


def test_given_status_and_core_show_channels_then_action_id_positions_match_readme_fact_9():
    msgs = parse(raw("08-ami-originate-status-misc.ami1.from_asterisk.bin"))[1]
    status = next(m for m in msgs if m.event == "Status")
    assert status["Privilege"] == "Call" and list(status).index("ActionID") > len(status) - 4
    channel = next(m for m in msgs if m.event == "CoreShowChannel")
    assert list(channel)[:2] == ["Event", "ActionID"] and "Privilege" not in channel
    with_vars = [m for m in msgs if m.event == "Status"][1]
    assert with_vars.getall("Variable") == ["ENG_TAG=t1", "CALLERID(num)=12345"]
