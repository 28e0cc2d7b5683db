"""Admin edits of the 限时 rules, shared by the console and the CLI: each returns what the rule was
before, for the audit line. Services see a change after `TicketService.reload_rules()`."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from tickets.deadlines import ANY, DeadlineRules, Limit, save_rule
from tickets.errors import InvalidField
from tickets.models import DeadlineRule


async def _current(sessionmaker: async_sessionmaker, kind: str, request_type: str, urgency: str) -> Limit | None:
    async with sessionmaker() as session:
        row = (await session.execute(select(DeadlineRule).where(
            DeadlineRule.kind == kind, DeadlineRule.request_type == request_type,
            DeadlineRule.urgency == urgency))).scalar_one_or_none()
        return None if row is None else Limit(row.kind, row.request_type, row.urgency, row.amount, row.unit)


async def save_limit(sessionmaker: async_sessionmaker, limit: Limit) -> Limit | None:
    """Insert or change one rule; -> the rule before (None if new)."""
    before = await _current(sessionmaker, limit.kind, limit.request_type, limit.urgency)
    await save_rule(sessionmaker, limit)
    return before


async def delete_limit(sessionmaker: async_sessionmaker, kind: str, request_type: str, urgency: str) -> Limit | None:
    """Remove a specific rule (the (*, *) fallback of a kind stays); -> the removed rule, None if absent."""
    if request_type == ANY and urgency == ANY:
        raise InvalidField("kind", "兜底规则不能删除 (the fallback rule cannot be deleted)")
    async with sessionmaker() as session, session.begin():
        row = (await session.execute(select(DeadlineRule).where(
            DeadlineRule.kind == kind, DeadlineRule.request_type == request_type,
            DeadlineRule.urgency == urgency))).scalar_one_or_none()
        if row is None:
            return None
        before = Limit(row.kind, row.request_type, row.urgency, row.amount, row.unit)
        await session.delete(row)
        return before


async def list_limits(sessionmaker: async_sessionmaker) -> list[Limit]:
    async with sessionmaker() as session:
        return (await DeadlineRules.load(session)).limits()
