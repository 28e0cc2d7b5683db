"""Who calls the citizen back: the automated 语音回访 or an agent on the 回访 page. Pure.

Decided once per reply, when the ticket becomes due for callback (docs/surveys.md 回访分派): the
first criterion that matches sends the ticket to the agents, otherwise the survey calls. A survey
that has used its tries, or a number on the do-not-call list, moves the ticket to the agents later
(`Route.to_agent`); nothing moves a ticket from the agents to the survey.
"""
from __future__ import annotations

from dataclasses import dataclass

SURVEY, AGENT = "survey", "agent"

REASONS = {
    "default": "默认由语音回访",
    "survey_off": "语音回访未开启",
    "line": "该线路由坐席回访",
    "category": "该类别由坐席回访",
    "request_type": "该诉求类型由坐席回访",
    "urgency": "紧急程度要求坐席回访",
    "confidential": "保密工单由坐席回访",
    "personal": "市民要求人工回访",
    "no_number": "无可拨打的回访号码",
    "do_not_call": "号码在免打扰名单，转坐席处理",
    "survey_failed": "语音回访多次未成功，转坐席回访",
    "moved_by_supervisor": "班长转坐席回访",
}


@dataclass(frozen=True)
class Route:
    route: str     # survey | agent
    reason: str    # a key of REASONS

    @property
    def text(self) -> str:
        return REASONS.get(self.reason, self.reason)


@dataclass(frozen=True)
class SplitRule:
    """Config `[survey] agent_*`: what goes to the agents' 回访 page instead of the survey."""

    survey_enabled: bool = True
    lines: frozenset[str] = frozenset()          # numbers dialed (ticket.line_dialed)
    categories: tuple[str, ...] = ()             # category paths; "城市管理" covers "城市管理/市政设施/…"
    request_types: frozenset[str] = frozenset()  # complaint, report, ...
    urgencies: frozenset[str] = frozenset({"life_property"})
    confidential: bool = True
    personal: bool = True                        # the citizen asked for a person to call back

    @classmethod
    def from_config(cls, survey) -> SplitRule:
        return cls(bool(survey.enabled), frozenset(survey.agent_lines), tuple(survey.agent_categories),
                   frozenset(survey.agent_request_types), frozenset(survey.agent_urgencies),
                   bool(survey.agent_confidential), bool(survey.agent_personal))

    def decide(self, ticket, *, phone: str | None, blocked: bool = False) -> Route:
        """`ticket` is a tickets.views.TicketView; `phone` the number the survey would dial."""
        if not self.survey_enabled:
            return Route(AGENT, "survey_off")
        if self.confidential and ticket.confidential:
            return Route(AGENT, "confidential")
        if self.personal and ticket.personal_callback:
            return Route(AGENT, "personal")
        if ticket.line_dialed and ticket.line_dialed in self.lines:
            return Route(AGENT, "line")
        if ticket.urgency is not None and _code(ticket.urgency) in self.urgencies:
            return Route(AGENT, "urgency")
        if ticket.request_type is not None and _code(ticket.request_type) in self.request_types:
            return Route(AGENT, "request_type")
        if ticket.category and any(ticket.category == c or ticket.category.startswith(c.rstrip("/") + "/")
                                   for c in self.categories):
            return Route(AGENT, "category")
        if not phone:
            return Route(AGENT, "no_number")
        if blocked:
            return Route(AGENT, "do_not_call")
        return Route(SURVEY, "default")


def callback_phone(ticket) -> str | None:
    """The number to call back: the contact number taken at 登记, else the caller ID."""
    from tickets.errors import TicketError
    from tickets.validation import normalize_caller

    for value in (getattr(ticket, "contact_number", None), ticket.caller):
        try:
            phone = normalize_caller(value)
        except TicketError:
            phone = None
        if phone:
            return phone
    return None


def _code(value) -> str:
    return getattr(value, "value", value)
