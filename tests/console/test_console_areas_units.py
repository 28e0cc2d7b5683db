"""Pure pieces of the screen pop, ticket desk and wallboard: duplicate flags, IVR path, hourly buckets, errors."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from agent_console.screenpop.duplicates import duplicate_numbers, similarity, ticket_text
from agent_console.screenpop.ivrpath import ivr_path
from agent_console.ticketdesk.errors import chinese
from agent_console.wallboard.board import Wallboard
from agent_console.wallboard.hourly import by_hour
from tickets.errors import ConcurrentUpdate, FieldTooLong, IllegalTransition, InvalidField, UnknownDepartment

NOW = datetime(2026, 11, 22, 6, 30, tzinfo=UTC)  # 14:30 in Beijing


def ticket(number: str, content: str = "", transcript: str = "", days_ago: float = 1):
    return SimpleNamespace(number=number, content=content, transcript=transcript,
                           created_at=NOW - timedelta(days=days_ago))


def test_given_similar_chinese_requests_when_compared_then_similar_and_unrelated_ones_are_not():
    assert similarity("小区门口的路灯坏了", "我们小区门口路灯坏了一个月") > 0.4
    assert similarity("小区门口的路灯坏了", "咨询社保卡补办材料") == 0.0
    assert similarity("", "anything") == 0.0 and similarity("。，", "。，") == 0.0


def test_given_earlier_tickets_when_flagging_then_only_similar_ones_within_30_days():
    earlier = [ticket("T1", "小区门口的路灯坏了", days_ago=3), ticket("T2", "小区门口的路灯坏了", days_ago=31),
               ticket("T3", "咨询公积金提取"), ticket("T4", transcript="门口的路灯坏了好久", days_ago=29)]
    assert duplicate_numbers("我家小区门口的路灯坏了", earlier, NOW) == {"T1", "T4"}
    assert duplicate_numbers("   ", earlier, NOW) == set()


def test_given_a_missed_call_draft_when_reading_its_text_then_the_placeholder_is_not_a_request():
    assert ticket_text(ticket("T", "未接通来电，待回拨", "路灯坏了")) == "路灯坏了"
    assert ticket_text(ticket("T", "登记的内容", "转写")) == "登记的内容"


def test_given_ivr_variables_when_describing_the_path_then_short_chinese_steps():
    variables = {"HOTLINE_LINE": "12315", "HOTLINE_LANG": "yue", "HOTLINE_TICKET": "T1", "HOTLINE_ACTION": "queue",
                 "HOTLINE_QUEUE": "hotline-general"}
    assert ivr_path(variables, ["line-12315", "line-12315", "hotline-general"], "市场监管") == [
        "拨打 12315（市场监管）", "语言：粤语", "语音留言", "队列 line-12315", "队列 hotline-general"]
    assert ivr_path({"HOTLINE_LINE": "12345", "HOTLINE_EMERGENCY": "119", "HOTLINE_ACTION": "emergency"}) == [
        "拨打 12345", "应急联动 119", "应急联动"]
    assert ivr_path({}) == []


def test_given_calls_around_midnight_when_bucketing_then_beijing_hours_of_today_only():
    rows = [(datetime(2026, 11, 21, 16, 0, tzinfo=UTC), "answered"),    # 00:00 Beijing today
            (datetime(2026, 11, 21, 15, 59, tzinfo=UTC), "answered"),   # 23:59 yesterday
            (datetime(2026, 11, 22, 6, 10, tzinfo=UTC), "abandoned"),   # 14:10
            (datetime(2026, 11, 22, 6, 10), "answered")]                # naive: not trusted
    chart = by_hour(rows, NOW)
    assert (chart["total"][0], chart["answered"][0], chart["total"][14], chart["answered"][14]) == (1, 1, 1, 0)
    assert (sum(chart["total"]), chart["hours"]) == (2, 15)


def test_given_ticket_errors_when_shown_to_the_agent_then_chinese_with_status():
    assert chinese(IllegalTransition("T1", "replied", "register")) == (
        "ticket.illegal_transition", "工单 T1 当前状态为「已答复」，不能执行「登记」", 409)
    assert chinese(FieldTooLong("content", 10, 11)) == (
        "ticket.field_too_long", "诉求内容：长度 11 超过上限 10 字符", 400)
    assert chinese(InvalidField("request_type", "'x' is not one of ['consult']"))[1] == (
        "诉求类型：请选择 咨询、求助、投诉、举报、建议、表扬")
    assert chinese(UnknownDepartment("zz"))[1:] == ("部门不存在：zz", 400)
    assert chinese(ConcurrentUpdate("T1"))[1:] == ("工单 T1 正被他人同时修改，请重试", 409)


def test_given_many_wallboards_when_rendered_without_floor_changes_then_the_floor_is_read_once_a_second():
    reads = []
    floor = SimpleNamespace(snapshot=lambda mask: reads.append(1) or {"queues": {}, "center": None, "agents": [],
                                                                      "callers": []},
                            waiting=lambda queue=None: [], agents={})
    ticks = iter([0.0, 0.1, 0.2, 0.3, 1.5])
    board = Wallboard({"floor": floor}, None, lambda: NOW, lambda: None, monotonic=lambda: next(ticks))
    first = board.view()
    assert board.view() is first and len(reads) == 1      # 50 pages in one flush: one snapshot
    board.floor_changed()
    assert board.view() is not first and len(reads) == 2  # an AMI event: recomputed
    board.view()
    board.view()
    assert len(reads) == 3                                # a second later: the switch link is re-read
