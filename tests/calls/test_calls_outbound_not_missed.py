"""Calls the engine places itself (click-to-call of 回访 / 漏接回拨, the automated survey) carry
HOTLINE_* variables but are no citizen's call in: unanswered, they must not land on the 漏接回拨
worklist as a miss of the line's own caller ID (found by issue 14.3's flow test)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calls.call_state import CallState
from calls.codes import Outcome
from calls.tracker import DEFAULT_HOTLINE_CONTEXTS

AT = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("variables", [
    {"HOTLINE_TICKET": "20261203000001", "HOTLINE_CALLBACK_CID": "057112345", "DIALSTATUS": "NOANSWER"},
    {"HOTLINE_TICKET": "20261203000001", "HOTLINE_SURVEY_JOB": "7"},
])
def test_a_call_out_is_other_not_an_ivr_hangup(variables):
    call = CallState("standin", "1.1", AT, root_context="hotline-callback", variables=dict(variables))
    assert call.outcome(DEFAULT_HOTLINE_CONTEXTS) is Outcome.OTHER
    assert call.finish(AT, DEFAULT_HOTLINE_CONTEXTS).hotline is False


def test_a_citizen_hanging_up_after_intake_is_still_an_ivr_hangup():
    call = CallState("standin", "1.2", AT, root_context="from-trunk", variables={"HOTLINE_TICKET": "20261203000002"})
    assert call.outcome(DEFAULT_HOTLINE_CONTEXTS) is Outcome.IVR_HANGUP
