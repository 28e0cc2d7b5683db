"""An SMS survey adapter: where a voice survey gave up (or for numbers that prefer text), the same two
questions can go out by SMS. The carrier gateway is site-specific; the default only logs."""
from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("surveys.sms")

SMS_TEXT = ("【12345热线回访】您反映的工单{number}（{category}）已办理答复。请回复：问题已解决回1、未解决回2；"
            "满意回A、基本满意回B、不满意回C。")


class SmsSurvey(Protocol):
    async def send_survey(self, number: str, phone: str, category: str) -> bool:
        """True when the gateway accepted the message (answers come back through record_attempt, channel sms)."""
        ...


class LogOnlySms:
    """Default: nothing leaves the engine; the message is logged so an operator sees what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send_survey(self, number: str, phone: str, category: str) -> bool:
        text = SMS_TEXT.format(number=number, category=category or "诉求")
        self.sent.append((number, phone, text))
        log.info("surveys.sms.log_only ticket=%s phone=%s text=%s", number, phone[-4:].rjust(len(phone), "*"), text)
        return False
