"""The agent's AMI actions (exact dicts), the Chinese error texts, and the desk state from trace events."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent_console.agent.actions import AddMember, PauseMember, RemoveMember
from agent_console.agent.desk import AgentDesk, QueueChoice
from agent_console.agent.errors import ASTERISK_MESSAGES, DeskError
from hotline.ami.errors import AmiActionError, AmiClosed, AmiConnectionLost, AmiNotConnected, AmiTimeout
from hotline.ami.events import to_event
from hotline.ami.message import Source
from hotline.ami.protocol import AmiReader
from queues.live import LiveFloor
from tests.conftest import FIXTURES

RAW = FIXTURES / "traces" / "raw"
LAB_PHONE = "Local/agent10@lab-agents"  # the member of trace 12


class User:
    def __init__(self, phone="PJSIP/8001", name="坐席01"):
        self.phone_interface, self.display_name = phone, name


class FakeAmi:
    """Records what would go on the wire; answers like Asterisk or raises what the client raises."""

    def __init__(self, error: Exception | None = None, ready: bool = True):
        self.sent: list[tuple[str, dict]] = []
        self.error = error
        self.ready = ready

    async def send(self, name, fields):
        self.sent.append((name, fields))
        if self.error is not None:
            raise self.error


def desk(ami=None, floor=None) -> AgentDesk:
    return AgentDesk({"pbx1": ami or FakeAmi()}, floor, [QueueChoice("hotline-general", "总坐席"),
                                                          QueueChoice("line-12315", "12315")],
                     ("小休", "午休", "培训", "会议"))


def test_given_an_agent_when_joining_then_queueadd_names_the_phone_member_and_state_interface():
    assert AddMember("hotline-general", "PJSIP/8001", "坐席01").fields() == {
        "Queue": "hotline-general", "Interface": "PJSIP/8001", "MemberName": "坐席01",
        "StateInterface": "PJSIP/8001", "Paused": "false"}


def test_given_a_login_paused_with_reason_when_joining_then_queueadd_carries_paused_and_reason():
    assert AddMember("hotline-general", "PJSIP/8001", "坐席01", paused=True, reason="登录").fields() == {
        "Queue": "hotline-general", "Interface": "PJSIP/8001", "MemberName": "坐席01",
        "StateInterface": "PJSIP/8001", "Paused": "true", "Reason": "登录"}


def test_given_a_display_name_with_line_breaks_when_joining_then_the_ami_field_stays_one_line():
    assert AddMember("q", "PJSIP/8001", "坐席\r\nAction: Hangup").fields()["MemberName"] == "坐席 Action: Hangup"


def test_given_an_agent_when_leaving_then_queueremove_names_queue_and_phone():
    assert RemoveMember("hotline-general", "PJSIP/8001").fields() == {"Queue": "hotline-general",
                                                                     "Interface": "PJSIP/8001"}


def test_given_a_pause_with_reason_when_sent_then_every_queue_of_the_phone_is_paused():
    assert PauseMember("PJSIP/8001", True, "午休").fields() == {"Interface": "PJSIP/8001", "Paused": "true",
                                                               "Reason": "午休"}


def test_given_an_unpause_when_sent_then_no_reason_is_carried():
    assert PauseMember("PJSIP/8001", False, "午休").fields() == {"Interface": "PJSIP/8001", "Paused": "false"}
    assert PauseMember("PJSIP/8001", True, queue="q1").fields() == {"Queue": "q1", "Interface": "PJSIP/8001",
                                                                   "Paused": "true"}


async def test_given_desk_buttons_when_pressed_then_exactly_these_actions_are_sent():
    ami = FakeAmi()
    d = desk(ami)
    user = User()
    await d.join(user, "line-12315")
    await d.pause(user, "培训")
    await d.unpause(user)
    await d.leave(user, "line-12315")
    assert ami.sent == [
        ("QueueAdd", {"Queue": "line-12315", "Interface": "PJSIP/8001", "MemberName": "坐席01",
                      "StateInterface": "PJSIP/8001", "Paused": "false"}),
        ("QueuePause", {"Interface": "PJSIP/8001", "Paused": "true", "Reason": "培训"}),
        ("QueuePause", {"Interface": "PJSIP/8001", "Paused": "false"}),
        ("QueueRemove", {"Queue": "line-12315", "Interface": "PJSIP/8001"}),
    ]


@pytest.mark.parametrize("call, error_id, text", [
    (lambda d: d.join(User(phone=None), "hotline-general"), "console.agent.no_phone", "账号未绑定话机分机，请联系管理员"),
    (lambda d: d.join(User(), "no-such"), "console.agent.unknown_queue", "没有这个队列"),
    (lambda d: d.leave(User(), "../etc"), "console.agent.unknown_queue", "没有这个队列"),
    (lambda d: d.pause(User(), "回家"), "console.agent.unknown_reason", "请选择列表中的示忙原因"),
    (lambda d: d.unpause(User(phone="")), "console.agent.no_phone", "账号未绑定话机分机，请联系管理员"),
])
async def test_given_bad_input_when_pressing_a_button_then_nothing_is_sent_and_the_agent_is_told(call, error_id,
                                                                                                  text):
    ami = FakeAmi()
    with pytest.raises(DeskError) as caught:
        await call(desk(ami))
    assert (caught.value.error_id, caught.value.message) == (error_id, text)
    assert ami.sent == []


async def test_given_no_asterisk_configured_when_joining_then_the_agent_is_told_in_chinese():
    d = AgentDesk({}, None, [QueueChoice("hotline-general", "总坐席")], ("小休",))
    with pytest.raises(DeskError, match="没有配置交换机连接"):
        await d.join(User(), "hotline-general")


def _trace_errors() -> list[str]:
    reader = AmiReader(source=Source("pbx1", 1))
    replies = reader.feed((RAW / "04-ami-queue-management.ami1.from_asterisk.bin").read_bytes())
    return [m.get("Message") for m in replies if m.get("Response") == "Error" and m.get("Message", "").startswith(
        ("Unable to", "Interface", "Member"))]


def test_given_every_queue_error_asterisk_22_gave_in_the_trace_then_a_chinese_text_exists():
    seen = _trace_errors()
    assert len(seen) == 6
    assert sorted(set(seen)) == sorted(ASTERISK_MESSAGES)


@pytest.mark.parametrize("message", _trace_errors())
async def test_given_asterisk_refuses_when_pressing_a_button_then_the_chinese_text_and_its_words_are_kept(message):
    d = desk(FakeAmi(AmiActionError("QueueAdd", message)))
    with pytest.raises(DeskError) as caught:
        await d.join(User(), "hotline-general")
    assert (caught.value.error_id, caught.value.status) == ("console.ami.refused", 409)
    assert caught.value.message == ASTERISK_MESSAGES[message] and caught.value.detail == message


@pytest.mark.parametrize("error, error_id, status, text", [
    (AmiActionError("QueuePause", "Something new"), "console.ami.refused", 409, "交换机拒绝了操作：Something new"),
    (AmiNotConnected("pbx1: not ready"), "console.ami.not_connected", 503, "未连接到交换机，操作没有执行，请稍后重试"),
    (AmiConnectionLost("pbx1: lost"), "console.ami.connection_lost", 503, "与交换机的连接中断，操作结果未知，请查看当前状态"),
    (AmiTimeout("pbx1: slow"), "console.ami.timeout", 504, "交换机没有及时响应，操作结果未知，请查看当前状态"),
    (AmiClosed("pbx1: closed"), "console.ami.closed", 503, "交换机连接已关闭，操作没有执行"),
])
async def test_given_the_ami_link_fails_when_pausing_then_it_is_reported_never_swallowed(error, error_id, status,
                                                                                           text):
    with pytest.raises(DeskError) as caught:
        await desk(FakeAmi(error)).pause(User(), "午休")
    assert (caught.value.error_id, caught.value.status, caught.value.message) == (error_id, status, text)


def _lifecycle_events():
    reader = AmiReader(source=Source("pbx1", 1))
    messages = reader.feed((RAW / "12-ami-queue-member-lifecycle.ami1.from_asterisk.bin").read_bytes())
    return [to_event(m) for m in messages if m.event]


def test_given_trace_12_events_when_replayed_then_the_desk_shows_each_state_asterisk_reported():
    now = [datetime(2026, 11, 22, 2, 0, tzinfo=UTC)]
    floor = LiveFloor(lambda: now[0])
    d = AgentDesk({"pbx1": FakeAmi()}, floor, [QueueChoice("lab-console", "实验队列")], ("午休",))
    user = User(phone=LAB_PHONE)
    assert d.state(user)["state_label"] == "未签入"
    seen = []
    for event in _lifecycle_events():
        now[0] += timedelta(seconds=0.05)
        floor.handle(event)
        if event.name in ("QueueMemberAdded", "QueueMemberPause", "QueueMemberRemoved"):
            state = d.state(user)
            seen.append((event.name, state["state_label"], state["paused_reason"],
                         [q["joined"] for q in state["queues"]]))
    assert seen == [
        ("QueueMemberAdded", "示忙", "登录", [True]),
        ("QueueMemberPause", "空闲", "", [True]),
        ("QueueMemberPause", "示忙", "午休", [True]),
        ("QueueMemberPause", "空闲", "", [True]),
        ("QueueMemberRemoved", "未签入", "", [False]),
    ]
