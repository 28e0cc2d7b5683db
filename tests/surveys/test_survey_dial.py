"""The survey's outbound channel follows the center's trunk: PJSIP by default, an E1 (DAHDI) trunk
or a dialplan route (Local) where the carrier is reached that way."""
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from hotline.ami.events import to_event
from hotline.ami.message import Source
from hotline.ami.protocol import AmiReader
from hotline.config import SurveySection
from surveys.service import SurveyService
from surveys.store import JobView
from tests.conftest import FIXTURES

NOW = datetime(2026, 12, 3, 4, 40, tzinfo=UTC)


def test_default_survey_calls_leave_on_the_pjsip_carrier_endpoint_with_digits_only():
    s = SurveySection(endpoint="carrier")
    assert s.dial_string("138-0013 8000") == "PJSIP/13800138000@carrier"
    assert s.number_in("PJSIP/13800138000@carrier") == "13800138000"
    assert s.number_in("PJSIP/8001") is None


@pytest.mark.parametrize(("dial", "channel"), [
    ("DAHDI/g1/{number}", "DAHDI/g1/13800138000"),
    ("Local/{number}@outbound", "Local/13800138000@outbound"),
])
def test_a_center_on_another_trunk_configures_the_dial_string(dial, channel):
    s = SurveySection(dial=dial)
    assert s.dial_string("13800138000") == channel
    assert s.number_in(channel) == "13800138000"
    assert s.number_in("PJSIP/13800138000@trunk") is None


@pytest.mark.parametrize("dial", ["PJSIP/trunk", "PJSIP/{number}@{host}", "Local/{number}@x,,n", "PJSIP/{number}\nx"])
def test_a_dial_string_without_the_number_or_with_dialplan_syntax_is_refused(dial):
    with pytest.raises(ValidationError):
        SurveySection(dial=dial)


class _Jobs:
    """The store's part that handle() uses when no ActionID is known (e.g. after a restart)."""

    def __init__(self, phones):
        self.by_phone = {p: JobView(i, f"2026120300000{i}", p, "dialing", 1, NOW, None, None, None, None, None) for i, p in enumerate(phones, 2)}
        self.failed_calls = []

    async def get(self, job_id):
        return None

    async def dialing_to(self, phone):
        return self.by_phone.get(phone)

    async def failed(self, job_id, outcome, now, only_from):
        self.failed_calls.append((job_id, outcome))
        return None


async def test_trace_26_busy_and_unanswered_survey_calls_on_a_real_asterisk_are_retried_as_such():
    """Asterisk 22.10.1, survey calls as Local/<number>@lab-citizen: Busy() → OriginateResponse Failure
    Reason 5, 20 s of ringing → Reason 3; Channel is our dial string, so the job is found by number."""
    raw = (FIXTURES / "traces" / "raw" / "26-ami-survey-busy-noanswer.ami1.from_asterisk.bin").read_bytes()
    events = [to_event(m) for m in AmiReader(source=Source("pbx1", 1)).feed(raw) if m.event]
    store = _Jobs(["23800138026", "33800138026"])
    service = SurveyService(store, tickets=None, recorder=None, clients={}, clock=lambda: NOW,
                            settings=SurveySection(dial="Local/{number}@lab-citizen"))
    for event in events:
        await service.handle(event)
    assert store.failed_calls == [(2, "busy"), (3, "no_answer")]
