"""Bad input from citizens, agents and the IVR: rejected with the field named, or cleaned."""
from __future__ import annotations

import pytest

from tickets import FieldTooLong, InvalidField, mask_number, normalize_caller


async def test_given_content_over_20000_chars_when_registering_then_rejected_naming_field_and_limit(
    service
):
    t = await service.create_draft()
    with pytest.raises(FieldTooLong) as info:
        await service.register(t.number, "agent:1", request_type="consult", content="长" * 20_001)
    assert info.value.field == "content" and info.value.limit == 20_000
    assert info.value.error_id == "ticket.field_too_long"
    assert "content" in str(info.value) and "20000" in str(info.value)
    t = await service.register(t.number, "agent:1", request_type="consult", content="长" * 20_000)
    assert len(t.content) == 20_000


@pytest.mark.parametrize(("field", "kwargs"), [
    ("category", {"category": "类" * 65}),
    ("call_id", {"call_id": "1" * 65}),
    ("audio_ref", {"audio_ref": "a" * 513}),
    ("transcript", {"transcript": "字" * 100_001}),
])
async def test_given_over_long_field_when_creating_draft_then_rejected_and_no_number_taken(
    service, field, kwargs
):
    with pytest.raises(FieldTooLong) as info:
        await service.create_draft(**kwargs)
    assert info.value.field == field
    assert (await service.create_draft()).number.endswith("000001")


async def test_given_control_characters_when_saved_then_stripped_but_newlines_and_tabs_kept(service):
    t = await service.create_draft(transcript="喂\x00你好\x07\r\n我要投诉\x1b[31m")
    assert t.transcript == "喂你好\n我要投诉[31m"
    t = await service.register(t.number, "agent:\x001", request_type="complaint",
                               content="第一行\r第二行\t缩进\u202e反向\x7f", category="噪\x0b音")
    assert t.content == "第一行\n第二行\t缩进反向" and t.category == "噪音"
    history = await service.history(t.number)
    assert history[-1].actor == "agent:1"


async def test_given_content_only_control_chars_when_registering_then_required_error(service):
    t = await service.create_draft()
    with pytest.raises(InvalidField) as info:
        await service.register(t.number, "agent:1", request_type="consult", content="\x00\x01 \x02")
    assert info.value.field == "content" and info.value.error_id == "ticket.invalid_field"


@pytest.mark.parametrize(("field", "kwargs"), [
    ("channel", {"channel": "fax"}),
    ("urgency", {"urgency": "extreme"}),
    ("transcript_status", {"transcript_status": "maybe"}),
    ("request_type", {"request_type": "chat"}),
    ("caller", {"caller": "138abc"}),
    ("caller", {"caller": "+" + "1" * 32}),
    ("content", {"content": 12345}),
    ("actor", {"actor": "  "}),
])
async def test_given_invalid_value_when_creating_draft_then_invalid_field_named(service, field, kwargs):
    with pytest.raises(InvalidField) as info:
        await service.create_draft(**kwargs)
    assert info.value.field == field


async def test_given_bad_evaluation_when_recording_callback_then_invalid_field(service):
    t = await service.create_draft()
    await service.register(t.number, "agent:1", request_type="consult", content="问")
    await service.reply(t.number, "答", "agent:1")
    with pytest.raises(InvalidField) as info:
        await service.record_callback(t.number, "还行", None, "callback:1")
    assert info.value.field == "evaluation"


@pytest.mark.parametrize(("raw", "normal"), [
    ("138 0013 8000", "13800138000"),
    ("(021) 6321-0000", "02163210000"),
    ("+86 138.0013.8000", "+8613800138000"),
    ("", None),
    (None, None),
    ("1" * 32, "1" * 32),
])
def test_given_caller_formats_when_normalised_then_whole_number_kept(raw, normal):
    assert normalize_caller(raw) == normal


@pytest.mark.parametrize("raw", ["anonymous", "138+0013", "++86138", "1" * 33, "13800138000#"])
def test_given_garbage_caller_when_normalised_then_rejected(raw):
    with pytest.raises(InvalidField) as info:
        normalize_caller(raw)
    assert info.value.field == "caller"


@pytest.mark.parametrize(("number", "masked"), [
    ("13800138000", "138****8000"),
    ("+8613800138000", "+86138****8000"),
    ("63210000", "****0000"),
    ("12345", "*2345"),
    ("110", "***"),
    ("", ""),
    (None, ""),
])
def test_given_caller_when_masked_then_middle_digits_hidden(number, masked):
    assert mask_number(number) == masked


async def test_given_naive_datetimes_when_searching_or_listing_overdue_then_invalid_field(service):
    from datetime import datetime

    with pytest.raises(InvalidField) as info:
        await service.search(since=datetime(2026, 10, 1))
    assert info.value.field == "since"
    with pytest.raises(InvalidField) as info:
        await service.list_overdue(datetime(2026, 10, 1))
    assert info.value.field == "now"


async def test_given_clock_without_timezone_when_creating_then_refused_before_any_write(sessions):
    from datetime import datetime

    from tickets import DeadlineRules, TicketService, WorkCalendar

    naive = TicketService(sessions, lambda: datetime(2026, 10, 1, 9), WorkCalendar.shipped(),
                          DeadlineRules.defaults())
    with pytest.raises(ValueError, match="aware"):
        await naive.create_draft()
    assert await naive.search() == []


async def test_given_department_renamed_when_added_again_then_name_updated(service):
    ref = await service.add_department("scjgj", "市市场监管局")
    assert ref.name == "市市场监管局"
    with pytest.raises(InvalidField) as info:
        await service.add_department("x" * 33, "过长代码")
    assert info.value.field == "department_code"
