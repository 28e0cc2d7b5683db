"""Why we wrote our own AMI reader: the defects of panoramisk 1.4 and pyst2 0.5.1, reproduced."""
from __future__ import annotations

import asyncio
import gc
import socket

import pytest
from ami_replay import TRACE_04, TRACE_04_TO, action_ids, raw

from hotline.ami.protocol import AmiReader


class _Transport:
    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        pass


class _Factory:
    def __init__(self) -> None:
        self.events = []

    def dispatch(self, message) -> None:
        self.events.append(message)


def panoramisk_protocol():
    from panoramisk.ami_protocol import AMIProtocol

    proto = AMIProtocol()
    proto.connection_made(_Transport())
    proto.factory = _Factory()
    proto.encoding = "utf8"  # what panoramisk.Manager sets by default
    return proto


def test_given_read_boundary_inside_utf8_char_when_panoramisk_reads_then_character_is_lost_but_not_by_us():
    data = raw("10-ami-queue-waiting-prio.ami1.from_asterisk.bin")
    name = "张伟".encode()
    cut = data.index(name) + 4  # inside 伟
    proto = panoramisk_protocol()
    proto.data_received(data[:cut])
    proto.data_received(data[cut:])
    theirs = [m.get("CallerIDName") for m in proto.factory.events if m.get("CallerIDName", "").startswith("张")]
    assert theirs[0] == "张"

    reader = AmiReader()
    ours = reader.feed(data[:cut]) + reader.feed(data[cut:])
    assert [m["CallerIDName"] for m in ours if m.get("CallerIDName", "").startswith("张")][0] == "张伟"


async def test_given_queue_add_reply_when_panoramisk_waits_then_it_never_completes():
    from panoramisk.actions import Action

    proto = panoramisk_protocol()
    action = Action({"Action": "QueueAdd", "Queue": "mgmt", "Interface": "Local/agent4@agents"})
    future = proto.send(action, as_list=None)  # what Manager.send_action(action) passes by default
    their_id = next(iter(proto.responses))
    old_id = action_ids(TRACE_04_TO, "QueueAdd")[0]
    stream = raw(TRACE_04)
    # the whole rest of the real session, with our QueueAdd's ActionID on Asterisk's reply
    proto.data_received(stream.replace(f"ActionID: {old_id}\r\n".encode(), f"ActionID: {their_id}\r\n".encode()))
    assert proto.responses[their_id] is action
    assert action.responses[0].message == "Added interface to queue"
    assert action.multi is True  # guessed from the wording: 'added … to queue'
    assert not future.done()  # no further message will ever carry this ActionID: hangs forever
    future.cancel()


async def test_given_failing_coroutine_callback_when_panoramisk_dispatches_then_error_is_invisible():
    from panoramisk.manager import Manager
    from panoramisk.message import Message

    loop = asyncio.get_running_loop()
    seen = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    try:
        manager = Manager(loop=loop)

        async def on_member_added(_manager, _event):
            raise RuntimeError("subscriber bug")

        manager.register_event("QueueMemberAdded", on_member_added)
        matches = manager.dispatch(Message({"Event": "QueueMemberAdded", "Queue": "q"}))
        assert matches == ["QueueMemberAdded"]  # dispatch reports success
        for _ in range(3):
            await asyncio.sleep(0)
        gc.collect()
    finally:
        loop.set_exception_handler(previous)
    # the only trace is the GC-time "never retrieved" log: no count, no API, no subscriber name
    assert [c["message"] for c in seen] == ["Task exception was never retrieved"]
    assert not hasattr(manager, "subscriber_errors")


def test_given_chanvariable_header_when_pyst2_parses_then_python3_crashes_on_has_key():
    from asterisk.manager import ManagerMsg

    with pytest.raises(AttributeError, match="has_key"):
        ManagerMsg(["Event: Newchannel\r\n", "Channel: Local/1@a-00000001;1\r\n", "ChanVariable: FOO=bar\r\n"])


class _CountingSocket(socket.socket):
    def recv_into(self, *args, **kwargs):
        self.calls = getattr(self, "calls", 0) + 1
        return super().recv_into(*args, **kwargs)


def test_given_pyst2_socket_reading_then_it_issues_one_recv_per_byte():
    data = raw("02c-ami-queue-empty-timeout.ami1.from_asterisk.bin")[:4000]
    left, right = socket.socketpair()
    counting = _CountingSocket(left.family, left.type, fileno=left.detach())
    with counting, right:
        stream = counting.makefile(mode="rwb", buffering=0)  # exactly what pyst2 Manager.connect does
        right.sendall(data)
        right.shutdown(socket.SHUT_WR)
        lines = list(stream)  # pyst2: `for line in self._sock`
        stream.close()
    assert b"".join(lines) == data
    assert counting.calls >= len(data)
