"""Working days per the official 2026 schedule, and admin-editable deadline rules."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets import DEFAULT_RULES, DeadlineRules, Limit, WorkCalendar, save_rule, seed_default_rules
from tickets.errors import CalendarFileError, InvalidField, NoDeadlineRule

CAL = WorkCalendar.shipped()
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("day", "workday"), [
    ("2026-01-01", False), ("2026-01-04", True),            # 元旦, Sunday made a workday
    ("2026-02-14", True), ("2026-02-15", False), ("2026-02-23", False), ("2026-02-28", True),
    ("2026-04-06", False), ("2026-05-05", False), ("2026-05-09", True),
    ("2026-06-19", False), ("2026-09-20", True), ("2026-09-25", False),
    ("2026-10-07", False), ("2026-10-10", True), ("2026-10-11", False),
    ("2026-11-23", True), ("2026-11-22", False),            # an ordinary Monday and Sunday
])
def test_given_official_2026_schedule_when_asking_a_day_then_work_or_rest(day, workday):
    assert CAL.is_workday(date.fromisoformat(day)) is workday


def test_given_shipped_calendar_then_it_covers_2026_only():
    assert CAL.covers(2026) and not CAL.covers(2027)
    assert len(CAL.holidays) == 33 and len(CAL.workdays) == 6


@pytest.mark.parametrize(("start", "days", "due"), [
    ("2026-02-13 10:00", 1, "2026-02-14 10:00"),   # Friday -> 调休 Saturday
    ("2026-02-14 10:00", 1, "2026-02-24 10:00"),   # across the 9-day Spring Festival
    ("2026-02-13 10:00", 3, "2026-02-25 10:00"),
    ("2026-11-21 08:30", 1, "2026-11-23 08:30"),   # Saturday start: own day never counts
    ("2026-11-20 23:59", 1, "2026-11-23 23:59"),
    ("2026-12-31 18:00", 1, "2027-01-01 18:00"),   # 2027 has no file yet: weekends only
])
def test_given_start_when_adding_working_days_then_same_local_time_on_nth_working_day(start, days, due):
    begin = datetime.fromisoformat(start + "+08:00")
    result = CAL.add_working_days(begin, days)
    assert result.tzinfo == UTC
    assert result == datetime.fromisoformat(due + "+08:00")


def test_given_bad_inputs_when_adding_working_days_then_value_error():
    with pytest.raises(ValueError):
        CAL.add_working_days(datetime(2026, 1, 5, 9), 1)
    with pytest.raises(ValueError):
        CAL.add_working_days(datetime(2026, 1, 5, 9, tzinfo=UTC), 0)


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("day,kind\n2026-01-01,holiday\n", 1, "header"),
    ("date,kind,name\n2026-13-01,holiday,x\n", 2, "bad date"),
    ("date,kind,name\n2026-01-01,holiday,x\n2026-01-02,vacation,y\n", 3, "kind must be"),
    ("date,kind,name\n2026-01-01,holiday,x\n2026-01-01,workday,y\n", 3, "both"),
])
def test_given_broken_calendar_file_when_loading_then_error_names_line(text, line, reason):
    with pytest.raises(CalendarFileError) as info:
        WorkCalendar.from_csv_text(text, "cal.csv")
    assert info.value.line == line and reason in str(info.value) and "cal.csv" in str(info.value)


def test_given_two_files_when_loaded_then_both_years_apply(tmp_path):
    extra = tmp_path / "2027.csv"
    extra.write_text("date,kind,name\n2027-01-01,holiday,元旦\n", encoding="utf-8")
    cal = WorkCalendar.from_files([extra])
    assert not cal.is_workday(date(2027, 1, 1)) and cal.covers(2027)


def test_given_default_rules_when_looking_up_then_urgency_sets_accept_and_type_sets_completion():
    rules = DeadlineRules.defaults()
    start = datetime(2026, 9, 30, 15, 50, tzinfo=UTC)  # 23:50 local on the eve of the holiday
    assert rules.accept_due(start, "help", "life_property", CAL) == datetime(2026, 9, 30, 16, 5, tzinfo=UTC)
    assert rules.accept_due(start, "help", "utilities", CAL) == datetime(2026, 9, 30, 16, 20, tzinfo=UTC)
    assert rules.accept_due(start, "help", "normal", CAL) == datetime.fromisoformat("2026-10-08T23:50+08:00")
    expected = {"consult": 1, "help": 3, "complaint": 5, "report": 10, "suggestion": 10, "praise": 1}
    for rtype, days in expected.items():
        limit = rules.limit("complete", rtype, "normal")
        assert (limit.amount, limit.unit) == (days, "working_days")


def test_given_rules_without_fallback_when_missing_then_typed_error():
    rules = DeadlineRules([Limit("complete", "consult", "*", 1, "working_days")])
    with pytest.raises(NoDeadlineRule) as info:
        rules.limit("complete", "help", "normal")
    assert info.value.error_id == "ticket.no_deadline_rule"


@pytest.mark.parametrize("limit", [
    Limit("finish", "*", "*", 1, "working_days"),
    Limit("accept", "*", "*", 1, "hours"),
    Limit("accept", "*", "*", 0, "minutes"),
])
def test_given_malformed_rule_when_building_rules_then_invalid_field(limit):
    with pytest.raises(InvalidField):
        DeadlineRules([limit])


async def test_given_admin_changes_rule_when_service_reloads_then_new_deadline_applies(
    sessions, service, clock, local
):
    await seed_default_rules(sessions)
    await seed_default_rules(sessions)  # idempotent
    async with sessions() as session:
        assert len((await DeadlineRules.load(session)).limits()) == len(DEFAULT_RULES)
    await save_rule(sessions, Limit("complete", "complaint", "life_property", 1, "working_days"))
    await save_rule(sessions, Limit("accept", "*", "life_property", 10, "minutes"))
    await service.reload_rules()

    t = await service.create_draft(caller="13800138000")
    t = await service.register(t.number, "agent:1", request_type="complaint", content="燃气泄漏无人管",
                               urgency="life_property")
    assert t.complete_due == local("2026-10-08 09:00")
    t = await service.dispatch(t.number, "cgj", [], actor="agent:1")
    assert t.accept_due == local("2026-09-30 09:10")

    other = await service.create_draft()
    other = await service.register(other.number, "agent:1", request_type="complaint", content="噪音")
    assert other.complete_due == local("2026-10-13 09:00")  # untouched rule still 5 working days


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2026, 12, 31),
                          timezones=st.just(UTC)),
       days=st.integers(min_value=1, max_value=15))
def test_property_given_any_start_when_adding_n_working_days_then_exactly_n_workdays_passed(start, days):
    due = CAL.add_working_days(start, days)
    local_start, local_due = start.astimezone(SHANGHAI), due.astimezone(SHANGHAI)
    assert local_due.time() == local_start.time().replace(tzinfo=None)
    assert CAL.is_workday(local_due.date())
    between = [local_start.date() + timedelta(days=i)
               for i in range(1, (local_due.date() - local_start.date()).days + 1)]
    assert sum(CAL.is_workday(d) for d in between) == days
