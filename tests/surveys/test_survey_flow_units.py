"""The survey flow without a socket (replayed with literal results) and the calling-hours rule."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from ivr.fastagi import ChannelHungUp, PlaybackResult, replay_flow
from ivr.frontend.driver import Effect
from surveys.flow import SurveyCall, survey_flow
from surveys.hours import CallingHours


class Ports:
    def begin(self, job_id, channel): ...
    def keep_partial(self, job_id, resolved, satisfaction): ...
    def complete(self, call, resolved, satisfaction): ...
    def not_finished(self, call, outcome, resolved): ...


CALL = SurveyCall(7, "20261203000012", "complaint")
PLAYED = PlaybackResult(None, 8000)


def key(d: str) -> PlaybackResult:
    return PlaybackResult(d, 4000)


def lines(transcript) -> list[str]:
    return [c.line.decode().strip() if hasattr(c, "line") else f"effect {c.fn.__name__}" for c in transcript.commands]


def test_a_key_outside_the_offered_ones_gets_one_reprompt_then_the_answer_counts():
    ports = Ports()
    t = replay_flow(survey_flow(7, "PJSIP/13800138000@trunk-1", ports),
                    [CALL, PLAYED, PLAYED, PLAYED,      # intro, digits, category
                     key("5"),                          # 问题是否已解决: 5 is not offered
                     key("1"),                          # interrupts the invalid prompt: 已解决
                     None,                              # keep_partial
                     key("3"),                          # 不满意
                     "reopened", PLAYED, PLAYED])
    assert t.value.outcome == "reached" and (t.value.resolved, t.value.satisfaction) == (True, "dissatisfied")
    assert lines(t)[1:5] == ['STREAM FILE hotline/survey-intro ""', 'SAY DIGITS 20261203000012 ""',
                             'STREAM FILE hotline/category-complaint ""',
                             'STREAM FILE hotline/survey-resolved "0123456789*#"']
    assert lines(t)[5] == 'STREAM FILE hotline/survey-invalid "0123456789*#"'
    assert t.commands[-3] == Effect(ports.complete, CALL, True, "dissatisfied")
    assert lines(t)[-2:] == ['STREAM FILE hotline/survey-reopen ""', 'STREAM FILE hotline/survey-thanks ""']


def test_two_invalid_keys_end_the_try_as_invalid_with_the_partial_answer_kept():
    ports = Ports()
    t = replay_flow(survey_flow(7, None, ports),
                    [CALL, PLAYED, PLAYED, PLAYED, key("2"), None,   # 未解决, kept
                     key("9"), key("8"),                              # twice outside 1/2/3
                     None, PLAYED])
    assert (t.value.outcome, t.value.resolved, t.value.satisfaction) == ("invalid", False, None)
    assert Effect(ports.not_finished, CALL, "invalid", False) in t.commands
    assert lines(t)[-1] == 'STREAM FILE hotline/survey-later ""'


def test_hang_up_after_the_first_answer_is_reported_with_it():
    ports = Ports()
    t = replay_flow(survey_flow(7, None, ports),
                    [CALL, PLAYED, PLAYED, PLAYED, key("1"), None, ChannelHungUp("gone"), None])
    assert (t.value.outcome, t.value.resolved) == ("hung_up", True)
    assert t.commands[-1] == Effect(ports.not_finished, CALL, "hung_up", True)


def test_a_job_that_is_not_out_is_not_surveyed():
    t = replay_flow(survey_flow(7, None, Ports()), [None])
    assert t.value.outcome == "none" and len(t.commands) == 1


@pytest.mark.parametrize(("utc", "expected"), [
    ("2026-12-03T02:00", "2026-12-03T02:00"),   # 10:00 Shanghai: allowed
    ("2026-12-03T12:00", "2026-12-04T01:00"),   # 20:00 Shanghai: the window has closed → 09:00 next day
    ("2026-12-02T20:30", "2026-12-03T01:00"),   # 04:30 Shanghai: 09:00 the same day
    ("2026-12-03T00:59", "2026-12-03T01:00"),
])
def test_calls_only_within_the_hours_never_at_night(utc, expected):
    hours = CallingHours("09:00-20:00", "Asia/Shanghai")
    at = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert hours.next_allowed(at) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


def test_a_window_across_midnight_is_refused():
    with pytest.raises(ValueError, match="same day"):
        CallingHours("20:00-09:00")


def test_the_demo_whole_day_window_allows_midnight_and_late_evening():
    hours = CallingHours("00:00-24:00", "Asia/Shanghai")
    for utc in ("2026-12-02T16:00", "2026-12-03T15:59:59"):  # 00:00 and 23:59:59 Shanghai
        at = datetime.fromisoformat(utc).replace(tzinfo=UTC)
        assert hours.allowed(at) and hours.next_allowed(at) == at


async def test_an_originate_that_never_left_gives_the_try_back(tmp_path):
    """Asterisk not connected: the citizen was not called, so the try does not count."""
    from datetime import timedelta

    from hotline import migrate
    from hotline.config import SurveySection
    from hotline.db import make_engine, make_sessionmaker
    from hotline.ami.errors import AmiNotConnected
    from surveys.service import SurveyService
    from surveys.store import SurveyStore

    url = f"sqlite+aiosqlite:///{tmp_path}/s.db"
    await asyncio.to_thread(migrate.upgrade, url)
    db = make_engine(url)
    store = SurveyStore(make_sessionmaker(db), CallingHours(), retry_after=timedelta(minutes=60), max_attempts=3)
    now = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)   # 10:00 Shanghai

    class Ticket:
        number, caller, replied_at = "20261203000001", "13800138000", now - timedelta(hours=1)

    class Tickets:
        async def search(self, **_):
            return [Ticket()]

    class Down:
        async def send(self, *_a, **_k):
            raise AmiNotConnected("standin: not ready")

    service = SurveyService(store, Tickets(), None, {"standin": Down()}, lambda: now, SurveySection(due_after_minutes=0))
    assert len(await service.tick()) == 1
    [job] = await store.jobs()
    assert (job.status, job.attempts, job.next_at) == ("pending", 0, now + timedelta(minutes=1))
    await db.dispose()
