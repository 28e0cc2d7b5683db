"""The engine's reading of a real Asterisk 22.10.1 restart (trace 16, tests/fixtures/traces/README.md)."""
from __future__ import annotations

from pathlib import Path

import pytest

from hotline.ami.errors import AmiActionError, AmiConnectionLost
from hotline.ami.events import to_event
from hotline.ami.message import Message, Source
from hotline.ami.protocol import AmiReader
from hotline.ami.response import AmiResponse
from queues.membership import Membership

RAW = Path(__file__).parents[1] / "fixtures" / "traces" / "raw"


def _messages(conn: str, trace: str = "16-ami-restart-fullybooted") -> list[Message]:
    data = (RAW / f"{trace}.{conn}.from_asterisk.bin").read_bytes()
    return AmiReader(source=Source("pbx1", 1)).feed(data)


class TraceSession:
    """Answers CoreStatus with the trace's bytes, records every other action."""

    server = "pbx1"

    def __init__(self, conn: str) -> None:
        (self.core_status,) = [m for m in _messages(conn) if m.get("CoreStartupTime")]
        self.sent: list[tuple[str, dict]] = []

    async def send(self, action: str, fields=None) -> AmiResponse:
        self.sent.append((action, dict(fields or {})))
        if action == "CoreStatus":
            return AmiResponse(action, self.core_status)
        return AmiResponse(action, Message.from_items([("Response", "Success"), ("Message", "Added")],
                                                      Source("pbx1", 1)))


def test_the_trace_shows_a_shutdown_for_restart_then_a_new_start_up_time_and_fullybooted():
    before, after = _messages("ami1"), _messages("ami2")
    assert any(m.get("Event") == "Shutdown" and m.get("Restart") == "True" for m in before)
    assert any(m.get("Event") == "FullyBooted" for m in after)
    startup = [next(m.get("CoreStartupTime") for m in ms if m.get("CoreStartupTime")) for ms in (before, after)]
    assert startup[0] != startup[1]


async def test_given_the_real_restart_when_the_engine_reconnects_then_it_adds_its_agents_back():
    membership = Membership()
    first = TraceSession("ami1")
    await membership.on_connected(first)          # engine start: adopts (QueueStatus)
    membership.handle(to_event(Message.from_items([
        ("Event", "QueueMemberAdded"), ("Queue", "hotline-general"), ("MemberName", "坐席02"),
        ("Interface", "PJSIP/8002"), ("StateInterface", "PJSIP/8002"), ("Membership", "dynamic"),
        ("Paused", "1"), ("PausedReason", "培训")], Source("pbx1", 1))))
    second = TraceSession("ami2")
    await membership.on_connected(second)
    assert ("QueueAdd", {"Queue": "hotline-general", "Interface": "PJSIP/8002", "MemberName": "坐席02",
                         "StateInterface": "PJSIP/8002", "Paused": "true", "Reason": "培训"}) in second.sent
    assert membership.restarts_seen == 1 and membership.readded == 1


def test_the_engines_ami_session_notices_fullybooted_in_the_real_bytes_after_login():
    import logging

    from hotline.ami.session import AmiSession

    published = []
    session = AmiSession(None, None, Source("pbx1", 2), published.extend, "t", 1 << 20, logging.getLogger("t"))
    assert not session.fully_booted.is_set()
    data = (RAW / "16-ami-restart-fullybooted.ami2.from_asterisk.bin").read_bytes()
    for at in range(0, len(data), 97):  # arbitrary read boundaries
        session.feed(data[at:at + 97])
    assert session.fully_booted.is_set()
    assert any(m.event == "FullyBooted" for m in published)


class BootingSession:
    """Trace 19 (real Asterisk 22.10.1 restarting): logged in before app_queue loaded, CoreStatus answers,
    QueueAdd gets `Invalid/unknown command` until app_queue is there, then `Added interface to queue`."""

    server = "pbx1"

    def __init__(self, refusals: int | None = None, lose_connection: bool = False) -> None:
        messages = _messages("ami1", "19-ami-login-while-booting-queueadd")
        (self.core_status,) = [m for m in messages if m.get("CoreStartupTime")]
        (self.unknown,) = [m for m in messages if (m.get("Message") or "").startswith("Invalid/unknown command")]
        (self.added,) = [m for m in messages if m.get("Message") == "Added interface to queue"]
        self.refusals = 1 if refusals is None else refusals
        self.lose_connection = lose_connection
        self.sent: list[str] = []

    async def send(self, action: str, fields=None) -> AmiResponse:
        self.sent.append(action)
        if action == "CoreStatus":
            return AmiResponse(action, self.core_status)
        if action == "QueueStatus":
            return AmiResponse(action, Message.from_items([("Response", "Success")], Source("pbx1", 1)))
        if self.lose_connection:
            raise AmiConnectionLost("pbx1: connection lost while sending QueueAdd")
        if self.refusals:
            self.refusals -= 1
            raise AmiActionError(action, self.unknown.get("Message"), AmiResponse(action, self.unknown))
        return AmiResponse(action, self.added)


def _remembering(membership: Membership) -> None:
    membership.handle(to_event(Message.from_items([
        ("Event", "QueueMemberAdded"), ("Queue", "hotline-general"), ("MemberName", "坐席02"),
        ("Interface", "PJSIP/8002"), ("StateInterface", "PJSIP/8002"), ("Membership", "dynamic"),
        ("Paused", "0")], Source("pbx1", 1))))


async def _no_sleep(_seconds: float) -> None:
    return None


async def test_given_asterisk_still_booting_when_queueadd_is_unknown_then_the_engine_retries_until_it_is_added():
    """Seen on a real Asterisk 22.10.1: the engine reconnected 0.4 s into a restart, its QueueAdd met
    `Invalid/unknown command: QueueAdd`, and the whole floor stayed signed out."""
    membership = Membership(sleep=_no_sleep)
    await membership.on_connected(TraceSession("ami1"))
    _remembering(membership)
    booting = BootingSession(refusals=3)
    await membership.on_connected(booting)
    assert booting.sent == ["CoreStatus", "QueueAdd", "QueueAdd", "QueueAdd", "QueueAdd"]
    assert membership.readded == 1 and membership.restarts_seen == 1


async def test_given_the_re_add_failed_when_the_engine_reconnects_then_it_re_adds_instead_of_adopting_an_empty_floor():
    membership = Membership(sleep=_no_sleep)
    await membership.on_connected(TraceSession("ami1"))
    _remembering(membership)
    with pytest.raises(AmiConnectionLost):
        await membership.on_connected(BootingSession(lose_connection=True))
    again = BootingSession(refusals=0)
    await membership.on_connected(again)
    assert again.sent == ["CoreStatus", "QueueAdd"] and membership.readded == 1
    assert [m.interface for m in membership.members("pbx1")] == ["PJSIP/8002"]


async def test_given_a_member_asterisk_already_has_when_re_adding_then_it_counts_and_the_hook_does_not_fail():
    membership = Membership(sleep=_no_sleep)
    await membership.on_connected(TraceSession("ami1"))
    _remembering(membership)
    session = BootingSession(refusals=0)

    async def already(action, fields=None):
        if action == "QueueAdd":
            raise AmiActionError(action, "Unable to add interface: Already there")
        return await BootingSession.send(session, action, fields)

    session.send = already
    await membership.on_connected(session)
    assert membership.readded == 1
