"""The engine's reading of a real Asterisk 22.10.1 restart (trace 16, tests/fixtures/traces/README.md)."""
from __future__ import annotations

from pathlib import Path

from hotline.ami.events import to_event
from hotline.ami.message import Message, Source
from hotline.ami.protocol import AmiReader
from hotline.ami.response import AmiResponse
from queues.membership import Membership

RAW = Path(__file__).parents[1] / "fixtures" / "traces" / "raw"


def _messages(conn: str) -> list[Message]:
    data = (RAW / f"16-ami-restart-fullybooted.{conn}.from_asterisk.bin").read_bytes()
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
