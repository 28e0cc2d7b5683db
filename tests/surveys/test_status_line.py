"""工单查询 on the phone through the stand-in running the shipped dialplan: the caller enters a ticket
number (GET DATA) and hears its number and status; bad numbers get a clear prompt, one retry, then an
agent; a caller with requests in progress is offered the latest one. Off on 12345 unless configured."""
from __future__ import annotations

import asyncio

from asterisk_standin.people import Citizen
from asterisk_standin.surveyed import answerer
from hotline.testing import running_hotline

from test_survey_calls import replied_ticket

STATUS = {"ivr": {"status_key_lines": ["12345"], "status_lines": ["1234599"]}}


def call_in(hotline, caller: str, dialed: str, keys: dict, patience: float | None = None):
    heard: list[str] = []
    outcome = hotline.call(Citizen(caller, dialed=dialed, context="from-trunk", patience=patience))
    hotline.pbx.watch_channel(outcome.channel, answerer(hotline.pbx, outcome.channel, keys, heard=heard))
    return outcome, heard


async def test_caller_presses_9_in_the_greeting_enters_a_ticket_number_and_hears_its_status(tmp_path):
    async with running_hotline(tmp_path, config=STATUS) as hotline:
        number = await replied_ticket(hotline.engine.services["tickets"], caller="13700137000")
        outcome, heard = call_in(hotline, "13900139000", "12345",
                                 {"hotline/welcome": "9", "hotline/status-enter-number": number})
        await hotline.finished(outcome)
        assert "GET DATA hotline/status-enter-number 10000 14" in heard
        assert heard.index(f'SAY DIGITS {number} ""') > heard.index('STREAM FILE hotline/ticket-number ""')
        assert 'STREAM FILE hotline/status-replied ""' in heard
        assert 'STREAM FILE hotline/status-reply-offer "0123456789*#"' in heard   # the reply: through an agent
        assert outcome.queue is None and outcome.agistatus == "SUCCESS"           # heard it, goodbye


async def test_wrong_length_then_unknown_number_gets_one_retry_then_an_agent(tmp_path):
    async with running_hotline(tmp_path, config=STATUS) as hotline:
        outcome, heard = call_in(hotline, "13900139000", "1234599",
                                 {"hotline/status-enter-number": ["12345", "20991231999999"]}, patience=30)
        await hotline.finished(outcome)
        prompts = [c.split()[2] for c in heard if c.startswith(("STREAM FILE", "GET DATA"))]
        assert prompts == ["hotline/status-enter-number", "hotline/status-wrong-length",
                           "hotline/status-enter-number", "hotline/status-not-found", "hotline/status-to-agent"]
        assert outcome.queue == "hotline-general"


async def test_caller_with_a_request_in_progress_is_offered_it(tmp_path):
    async with running_hotline(tmp_path, config=STATUS) as hotline:
        tickets = hotline.engine.services["tickets"]
        draft = await tickets.create_draft(actor="ivr", caller="13800138000", line_dialed="12345", content="路灯不亮")
        await tickets.register(draft.number, "agent01", request_type="report", content="路灯不亮")
        await tickets.dispatch(draft.number, "scjgj", [], "agent01")
        outcome, heard = call_in(hotline, "13800138000", "1234599", {"hotline/status-open-choice": "1"})
        await hotline.finished(outcome)
        assert heard.count(f'SAY DIGITS {draft.number} ""') == 2       # offered, then reported
        assert 'STREAM FILE hotline/status-in-progress ""' in heard
        assert not any(c.startswith("GET DATA") for c in heard)


async def test_status_line_is_off_on_12345_by_default(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        outcome, heard = call_in(hotline, "13900139000", "12345", {"hotline/welcome": "9"}, patience=20)
        await hotline.finished(outcome)
        assert not any("status-" in c for c in heard)
        assert 'STREAM FILE hotline/welcome "0"' in heard     # 9 is not offered: only 0 (agent)
        await asyncio.sleep(0)
