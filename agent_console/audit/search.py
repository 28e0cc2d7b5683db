"""Which audit rows an auditor asked for: the filter parsed from a query string (pure), and the query.

Times are typed in Asia/Shanghai (the console's zone) and compared as UTC instants; a day given
without a time means the whole day.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from .models import RESULTS, AuditEntry

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


class AuditFilterError(ValueError):
    error_id = "console.audit.bad_filter"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class AuditFilter:
    username: str = ""
    action: str = ""
    target: str = ""
    result: str = ""
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1

    def as_params(self, zone: ZoneInfo) -> dict[str, str]:
        """The form's values, to fill the fields and build the export and paging links."""
        def local(instant: datetime | None, end: bool) -> str:
            if instant is None:
                return ""
            shown = (instant - timedelta(minutes=1) if end else instant).astimezone(zone)
            return f"{shown:%Y-%m-%dT%H:%M}"
        return {"user": self.username, "action": self.action, "target": self.target, "result": self.result,
                "from": local(self.since, False), "to": local(self.until, True)}


def _instant(value: str, field: str, zone: ZoneInfo, *, end: bool) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime.combine(day, time(0), zone)
            return (start + timedelta(days=1) if end else start).astimezone(UTC)
        parsed = datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        raise AuditFilterError(field, "时间格式应为 2026-12-03 或 2026-12-03T08:30") from None
    local = parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    return (local + timedelta(minutes=1) if end else local).astimezone(UTC)  # SQLite compares UTC text


def _text(params: Mapping[str, str], name: str, label: str, limit: int) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > limit or any(ord(ch) < 32 for ch in value):
        raise AuditFilterError(name, f"{label}不能超过 {limit} 个字符，且不能含控制字符")
    return value


def parse_filter(params: Mapping[str, str], zone: ZoneInfo) -> AuditFilter:
    result = _text(params, "result", "结果", 16)
    if result and result not in RESULTS:
        raise AuditFilterError("result", "结果只能是 ok、denied、failed 或 error")
    since = _instant(params.get("from") or "", "from", zone, end=False)
    until = _instant(params.get("to") or "", "to", zone, end=True)
    if since and until and until <= since:
        raise AuditFilterError("to", "结束时间必须晚于开始时间")
    page = params.get("page") or "1"
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        raise AuditFilterError("page", "页码格式错误")
    return AuditFilter(username=_text(params, "user", "用户", 64), action=_text(params, "action", "操作", 64),
                       target=_text(params, "target", "对象", 128), result=result, since=since, until=until,
                       page=int(page))


def _where(query: Select, f: AuditFilter) -> Select:
    if f.username:
        query = query.where(AuditEntry.username == f.username)
    if f.action:  # "view." finds every view.* action
        query = query.where(AuditEntry.action.startswith(f.action, autoescape=True)
                            if f.action.endswith(".") else AuditEntry.action == f.action)
    if f.target:
        query = query.where(AuditEntry.target.contains(f.target, autoescape=True))
    if f.result:
        query = query.where(AuditEntry.result == f.result)
    if f.since:
        query = query.where(AuditEntry.at >= f.since)
    if f.until:
        query = query.where(AuditEntry.at < f.until)
    return query


async def search(sessions, f: AuditFilter, *, limit: int = PAGE_SIZE, paged: bool = True
                 ) -> tuple[list[AuditEntry], int]:
    """Newest first; the total counts every matching row, for the pager."""
    rows = _where(select(AuditEntry), f).order_by(AuditEntry.id.desc()).limit(limit)
    if paged:
        rows = rows.offset((f.page - 1) * limit)
    async with sessions() as session:
        total = await session.scalar(_where(select(func.count(AuditEntry.id)), f))
        return list(await session.scalars(rows)), int(total or 0)
