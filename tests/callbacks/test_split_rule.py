"""回访分派: which replied tickets the automated survey calls and which the agents call back, decided
once per reply when it is due; a ticket is on one list at a time and every choice or move is in its
history. The pure rule first, then the router on a real store (SQLite and PostgreSQL)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from callbacks.assign import CallbackRouter
from callbacks.rules import CallbackRules
from callbacks.service import CallbackService
from callbacks.split import SplitRule, callback_phone
from hotline.config import ConfigError, load_config
from tickets.codes import Action, RequestType, Urgency

from callbacks_support import fresh_store



@dataclass(frozen=True)
class T:
    number: str = "20261203000001"
    caller: str | None = "13800138000"
    contact_number: str | None = None
    line_dialed: str | None = "12345"
    category: str | None = "城市管理/市政设施/路灯不亮"
    request_type: RequestType | None = RequestType.HELP
    urgency: Urgency = Urgency.NORMAL
    confidential: bool = False
    personal_callback: bool = False


RULE = SplitRule(lines=frozenset({"12315"}), categories=("市场监管/消费维权",),
                 request_types=frozenset({"report"}), urgencies=frozenset({"life_property"}))


@pytest.mark.parametrize("ticket, blocked, expected", [
    (T(), False, ("survey", "default")),
    (T(line_dialed="12315"), False, ("agent", "line")),
    (T(category="市场监管/消费维权/预付卡退费"), False, ("agent", "category")),
    (T(category="市场监管/消费维权"), False, ("agent", "category")),
    (T(category="市场监管/消费维权外"), False, ("survey", "default")),        # a path, not a text prefix
    (T(request_type=RequestType.REPORT), False, ("agent", "request_type")),
    (T(urgency=Urgency.LIFE_PROPERTY), False, ("agent", "urgency")),
    (T(confidential=True), False, ("agent", "confidential")),
    (T(personal_callback=True), False, ("agent", "personal")),
    (T(caller=None), False, ("agent", "no_number")),
    (T(), True, ("agent", "do_not_call")),
])
def test_the_rule_sends_what_a_person_should_handle_to_the_agents(ticket, blocked, expected):
    route = RULE.decide(ticket, phone=callback_phone(ticket), blocked=blocked)
    assert (route.route, route.reason) == expected


def test_with_the_survey_off_everything_goes_to_the_agents_and_criteria_can_be_switched_off():
    assert SplitRule(survey_enabled=False).decide(T(), phone="13800138000").reason == "survey_off"
    lenient = replace(RULE, confidential=False, urgencies=frozenset())
    assert lenient.decide(T(confidential=True, urgency=Urgency.LIFE_PROPERTY), phone="13800138000").route == "survey"


def test_the_rule_comes_from_the_survey_section_of_the_config_and_bad_values_are_refused():
    config = load_config(None, {}, {"survey": {"enabled": True, "agent_lines": ["12315"],
                                               "agent_categories": ["住房"], "agent_request_types": ["report"]}})
    rule = SplitRule.from_config(config.survey)
    assert (rule.lines, rule.categories, rule.request_types, rule.urgencies) == (
        frozenset({"12315"}), ("住房",), frozenset({"report"}), frozenset({"life_property"}))
    with pytest.raises(ConfigError, match="survey.agent_urgencies.0 = 'urgent'"):
        load_config(None, {}, {"survey": {"agent_urgencies": ["urgent"]}})


def test_the_number_called_back_is_the_contact_number_taken_at_registration_else_the_caller_id():
    assert callback_phone(T(contact_number="13900139000")) == "13900139000"
    assert callback_phone(T(contact_number=None, caller="+86 138 0013 8000")) == "+8613800138000"
    assert callback_phone(T(caller="anonymous")) is None


@pytest.fixture
async def store(database_url):
    async with fresh_store(database_url) as (sessions, tickets, clock):
        callbacks = CallbackService(sessions, tickets, clock, CallbackRules(due_after_minutes=30))
        blocked = {"13700137000"}

        async def blocked_among(phones):
            return set(phones) & blocked
        router = callbacks.router = CallbackRouter(sessions, tickets, clock, RULE, timedelta(minutes=30),
                                                   blocked_among)
        yield tickets, callbacks, router, clock


async def replied(tickets, *, caller="13800138000", line="12345", urgency=None) -> str:
    draft = await tickets.create_draft(caller=caller, line_dialed=line, content="路灯不亮")
    await tickets.register(draft.number, "agent01", request_type="help", content="路灯不亮", urgency=urgency)
    await tickets.dispatch(draft.number, "cgj", [], "agent01")
    await tickets.accept(draft.number, "cgj", "dept02")
    await tickets.reply(draft.number, "已修复", "dept02", dept="cgj", contact="电话")
    return draft.number


def routes_in_history(history) -> list[dict]:
    return [e.detail for e in history if e.action is Action.CALLBACK_ROUTE]


async def test_given_due_tickets_when_assigned_then_each_is_on_one_list_and_a_move_is_in_its_history(store):
    tickets, callbacks, router, clock = store
    plain = await replied(tickets)
    hotline_12315 = await replied(tickets, line="12315")
    blocked = await replied(tickets, caller="13700137000")
    assert await router.assign_due(clock.now) == []          # replied just now: not due for 30 minutes
    assert await callbacks.due(clock.now) == []              # and on neither list meanwhile
    clock.now += timedelta(minutes=31)
    made = dict((n, r.route) for n, r in await router.assign_due(clock.now))
    assert made == {plain: "survey", hotline_12315: "agent", blocked: "agent"}
    assert await router.assign_due(clock.now) == []          # once per reply
    assert sorted(i.ticket.number for i in await callbacks.due(clock.now)) == sorted([hotline_12315, blocked])
    assert await callbacks.on_survey(await tickets.get(plain))
    assert routes_in_history(await tickets.history(blocked)) == [
        {"route": "agent", "reason": "do_not_call", "text": "号码在免打扰名单，转坐席处理"}]

    assert await router.move_to_agent(plain, "survey_failed", clock.now)
    assert not await router.move_to_agent(plain, "survey_failed", clock.now)   # moved once
    assert not await router.move_to_agent(hotline_12315, "survey_failed", clock.now)
    assert plain in [i.ticket.number for i in await callbacks.due(clock.now)]
    assert not await callbacks.on_survey(await tickets.get(plain))
    assert routes_in_history(await tickets.history(plain)) == [
        {"route": "survey", "reason": "default", "text": "默认由语音回访"},
        {"route": "agent", "from": "survey", "reason": "survey_failed", "text": "语音回访多次未成功，转坐席回访"}]


async def test_given_a_reopened_ticket_replied_again_then_the_new_reply_is_decided_afresh(store):
    tickets, callbacks, router, clock = store
    number = await replied(tickets)
    clock.now += timedelta(minutes=31)
    await router.assign_due(clock.now)
    await router.move_to_agent(number, "survey_failed", clock.now)
    done = await callbacks.record_attempt(number, channel="agent", outcome="reached", actor="agent01",
                                          resolved=False, satisfaction="dissatisfied", note="路灯又坏了")
    assert done.action == "reopened"
    await tickets.accept(number, "cgj", "dept02")
    await tickets.reply(number, "已更换灯具", "dept02", dept="cgj", contact="电话")
    clock.now += timedelta(minutes=31)
    assert [(n, r.route) for n, r in await router.assign_due(clock.now)] == [(number, "survey")]
    assert await callbacks.due(clock.now) == []


async def test_given_the_citizen_asked_for_a_person_at_registration_then_the_agents_call_back(store):
    from tickets.intake import TicketDetails

    tickets, callbacks, router, clock = store
    draft = await tickets.create_draft(caller="13800138000", line_dialed="12345", content="路灯不亮")
    await tickets.register(draft.number, "agent01", request_type="help", content="路灯不亮",
                           details=TicketDetails(personal_callback=True))
    await tickets.reply(draft.number, "已修复", "agent01")
    registered = next(e for e in await tickets.history(draft.number) if e.action is Action.REGISTER)
    assert registered.detail["personal_callback"] is True and (await tickets.get(draft.number)).personal_callback
    clock.now += timedelta(minutes=31)
    assert [(n, r.reason) for n, r in await router.assign_due(clock.now)] == [(draft.number, "personal")]
    assert [i.ticket.number for i in await callbacks.due(clock.now)] == [draft.number]
