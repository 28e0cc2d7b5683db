"""The queue_log a real Asterisk 22.10.1 wrote while running our dialplan, read by queuelog/."""
from __future__ import annotations

import os
from pathlib import Path

from queuelog import QueueLogReducer, VisitOutcome, parse_lines
from queuelog.tail import FileTail, TailPosition

TRACE = Path(__file__).parents[1] / "fixtures" / "traces" / "queue_log" / "13-hotline-dialplan.queue_log"


def _reduce(data: bytes) -> dict:
    reducer = QueueLogReducer()
    reducer.feed(parse_lines(data.splitlines(keepends=True)).records)
    return {c.callid: c for c in reducer.settled()}


def test_given_the_real_trace_then_each_call_has_the_outcome_asterisk_recorded():
    calls = _reduce(TRACE.read_bytes())
    summary = {cid: (c.caller_number, c.outcome.value, c.wait_seconds, c.talk_seconds, c.agent)
               for cid, c in calls.items()}
    assert summary == {
        "1796193929.1": ("13800138000", "answered", 1, 6, "张敏"),
        "1796193991.9": ("13300133005", "transferred", 1, 3, "张敏"),      # blind transfer to 119
        "1796194020.15": ("13300133007", "answered", 12, 6, "张敏"),       # 120 busy, back to the pool
        "1796194060.23": ("13500135004", "abandoned", 6, None, ""),        # hung up while the phone rang
        "1796194080.27": ("13700137002", "answered", 61, 2, "张敏"),       # overflowed from line-12315
    }
    overflow = calls["1796194080.27"].visits
    assert [(v.queue, v.outcome, v.wait_seconds, v.ring_no_answer) for v in overflow] == [
        ("line-12315", VisitOutcome.OVERFLOWED, 60, 4), ("hotline-general", VisitOutcome.ANSWERED, 1, 0)]
    assert calls["1796193991.9"].visits[0].transfer_to == "119@emergency-linkage"


def test_given_a_timeout_with_nothing_after_it_then_it_settles_as_a_timeout_not_an_abandon():
    lines = [b"100|9.1|line-12315|NONE|ENTERQUEUE||13700137002|1\n",
             b"160|9.1|line-12315|NONE|EXITWITHTIMEOUT|1|1|60\n"]
    reducer = QueueLogReducer(settle_seconds=5)
    reducer.feed(parse_lines(lines).records)
    assert reducer.settled(now=162) == []            # an overflow may still follow
    (call,) = reducer.settled(now=166)
    assert call.outcome is VisitOutcome.TIMEOUT and call.wait_seconds == 60


def test_given_bad_lines_then_they_are_counted_and_the_rest_are_read():
    data = TRACE.read_bytes().replace(b"1796194068|", b"garbage|", 1) + b"not a record\n\xff\xfe|x\n"
    parsed = parse_lines(data.splitlines(keepends=True))
    assert parsed.bad == 3 and len(parsed.records) == 47
    assert parsed.bad_samples[0].startswith("time is not epoch seconds")


def test_given_a_nul_byte_in_a_line_then_the_record_is_kept_clean():
    (record,) = parse_lines([b"5|1.1|q|NONE|ENTERQUEUE||138\x0000|1\n"]).records
    assert record.field(2) == "13800"


def test_tail_reads_whole_lines_only_and_goes_on_from_its_position(tmp_path):
    path = tmp_path / "queue_log"
    data = TRACE.read_bytes()
    cut = data.index(b"\n", 300) + 20           # mid-line: Asterisk is still writing it
    path.write_bytes(data[:cut])
    tail = FileTail(path)
    first = tail.read(None)
    assert first.lines and all(line.endswith(b"\n") for _o, line in first.lines)
    with open(path, "ab") as f:
        f.write(data[cut:])
    second = tail.read(first.position)
    assert b"".join(line for _o, line in first.lines + second.lines) == data
    assert tail.read(second.position).lines == []


def test_tail_finishes_the_rotated_file_then_reads_the_new_one(tmp_path):
    path = tmp_path / "queue_log"
    data = TRACE.read_bytes()
    half = data.index(b"\n", len(data) // 2) + 1
    quarter = data.index(b"\n", len(data) // 4) + 1
    path.write_bytes(data[:quarter])
    tail = FileTail(path)
    pos = tail.read(None).position
    path.write_bytes(data[:half])  # same inode, more lines ...
    assert os.stat(path).st_ino == pos.inode
    path.rename(tmp_path / "queue_log.0")          # ... then `logger rotate`
    path.write_bytes(data[half:])
    read = tail.read(pos)
    assert read.rotated
    got = b"".join(line for _o, line in read.lines)
    assert got == data[pos.offset:]
    assert len(_reduce(got)) >= 2


def test_tail_starts_again_after_a_truncation(tmp_path):
    path = tmp_path / "queue_log"
    path.write_bytes(TRACE.read_bytes())
    tail = FileTail(path)
    pos = tail.read(None).position
    path.write_bytes(b"7|NONE|NONE|NONE|QUEUESTART|\n")
    read = tail.read(pos)
    assert read.truncated and [line for _o, line in read.lines] == [b"7|NONE|NONE|NONE|QUEUESTART|\n"]
    assert tail.read(TailPosition(read.position.inode, read.position.offset)).lines == []
