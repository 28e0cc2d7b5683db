"""When a replied ticket is due for a callback, and what an attempt does to it. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from callbacks.codes import AttemptOutcome

SATISFIED = ("satisfied", "basically_satisfied")


@dataclass(frozen=True)
class CallbackRules:
    """Config `[callbacks]`: due_after_minutes after the reply; a failed attempt waits
    retry_after_minutes before the next; `unreachable_after` failed attempts of the channels in
    `count_channels` within one round (since the latest reply) close the ticket as 无法回访."""

    due_after_minutes: int = 30
    retry_after_minutes: int = 120
    unreachable_after: int = 3
    count_channels: tuple[str, ...] = ("agent", "survey")

    @classmethod
    def from_config(cls, section) -> CallbackRules:
        if section is None:
            return cls()
        return cls(section.due_after_minutes, section.retry_after_minutes, section.unreachable_after,
                   tuple(section.count_channels))

    def due_at(self, replied_at: datetime, last_failed_at: datetime | None) -> datetime:
        due = replied_at + timedelta(minutes=self.due_after_minutes)
        if last_failed_at is not None:
            due = max(due, last_failed_at + timedelta(minutes=self.retry_after_minutes))
        return due

    def counts(self, channel: str, outcome: str) -> bool:
        """Whether an attempt counts towards 无法回访."""
        return outcome != AttemptOutcome.REACHED.value and channel in self.count_channels


def decision(outcome: str, resolved: bool | None, satisfaction: str | None, failed_in_round: int,
             rules: CallbackRules, channel: str) -> str:
    """'closed' (满意/基本满意 and resolved), 'reopened' (不满意 or 未解决: 重办), 'unreachable'
    (the failed attempt that reaches the limit) or 'pending' (a failed attempt below it)."""
    if outcome == AttemptOutcome.REACHED.value:
        return "closed" if resolved and satisfaction in SATISFIED else "reopened"
    if rules.counts(channel, outcome) and failed_in_round >= rules.unreachable_after:
        return "unreachable"
    return "pending"
