"""共建共享 as console pages: 知识共建 (`/kb/proposals` in a browser) and one entry with its history
(`/kb/entries/{id}`). Plain HTML forms with the CSRF field post to the routes of coedit_web.py, which
answer a browser with a 303 back here, or this page again with the refusal in Chinese.

What a page offers follows the role: the center (班长, 管理员) reviews pending proposals and edits
any entry; a department (承办人, 单位负责人) proposes new entries and edits of its own domain (the
entries whose 责任部门 is its name) and reads the center's verdict on its proposals."""
from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from agent_console.context import live_session
from knowledge.coediting import ProposalGone
from tickets.views import format_local

CENTER = frozenset({"supervisor", "admin"})
DEPARTMENT = frozenset({"department", "department_lead"})
STATES = {"pending": "待审核", "published": "已发布", "rejected": "已驳回"}
SOURCES = {"proposal": "承办单位提议，中心审核发布", "edit": "中心直接编辑"}
DONE = {"proposed": "已提交，等待中心审核发布", "published": "已发布，坐席即可检索到新内容",
        "rejected": "已驳回，审核意见已告知承办单位", "saved": "已保存，坐席即可检索到新内容"}


def local(instant: datetime | None) -> str:
    """Shanghai time; SQLite hands the stored UTC instants back without their zone."""
    if instant is not None and instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return format_local(instant)


def _roles(request: web.Request) -> set[str]:
    return set(live_session(request).roles)


def _render(request: web.Request, name: str, context: dict, status: int) -> web.Response:
    from knowledge.web import PAGES

    return request.app[PAGES].page(request, name, context, status=status)


async def proposals_page(request: web.Request, coediting, department: str | None, *, error: str = "",
                         status: int = 200, form: dict | None = None) -> web.Response:
    """The center's review queue, or a department's proposals, its entries and the new-entry form."""
    roles = _roles(request)
    center = bool(roles & CENTER)
    pending, own, entries, current = [], [], [], {}
    if center:
        pending = await coediting.proposals(state="pending")
        for p in pending:
            if p.entry_id is not None and p.entry_id not in current:
                try:
                    current[p.entry_id] = await coediting.entry(p.entry_id)
                except ProposalGone:
                    pass
    if roles & DEPARTMENT and department:
        own = list(reversed(await coediting.proposals(state=None, department=department)))
        entries = await coediting.entries_of(department)
    return _render(request, "kb_coedit.html", {
        "center": center, "department": department if roles & DEPARTMENT else None,
        "pending": pending, "current": current, "local": local, "own": own, "entries": entries, "states": STATES,
        "form": form or {}, "error": error, "notice": DONE.get(request.query.get("done", ""), "")}, status)


async def entry_page(request: web.Request, coediting, entry_id: int, department: str | None, *,
                     error: str = "", status: int = 200) -> web.Response:
    """One entry: its fields, its history, and the form the role may use (edit, or propose an edit)."""
    entry = await coediting.entry(entry_id)  # ProposalGone → the caller's 404
    roles = _roles(request)
    revisions = [dict(r, at=local(datetime.fromisoformat(r["at"]))) for r in await coediting.history(entry_id)]
    own = bool(roles & DEPARTMENT) and department is not None and entry.department == department
    waiting = [p for p in await coediting.proposals(state="pending", department=entry.department)
               if p.entry_id == entry_id] if own or roles & CENTER else []
    return _render(request, "kb_entry.html", {
        "e": entry, "updated": local(entry.updated_at), "revisions": revisions, "sources": SOURCES, "can_edit": bool(roles & CENTER),
        "can_propose": own, "waiting": waiting, "error": error,
        "notice": DONE.get(request.query.get("done", ""), "")}, status)
