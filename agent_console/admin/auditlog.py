"""/admin/audit: the audit-log viewer (filter by user, action, target, result and time; CSV export).

Reading the audit log is itself audited: who looked for what, and who took a copy away.
"""
from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from aiohttp import web

from agent_console.audit import search
from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor
from agent_console.render import page
from hotline.engine import ENGINE
from tickets.views import SHANGHAI

VIEW, EXPORT = "audit.view", "audit.export"
CSV_HEADER = ("时间", "用户", "操作", "对象", "来源地址", "结果")
RESULT_LABELS = {"ok": "成功", "denied": "拒绝", "failed": "失败", "error": "错误"}  # as the filter names them


def _row(entry) -> tuple[str, ...]:
    return (f"{entry.at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}", entry.username, entry.action, entry.target,
            entry.ip, entry.result)


def _shown(entry) -> tuple[str, ...]:
    """The page says the result in Chinese, as its filter does; the CSV keeps the stored code."""
    *rest, result = _row(entry)
    return (*rest, RESULT_LABELS.get(result, result))


def _described(f: search.AuditFilter) -> str:
    shown = {k: v for k, v in f.as_params(SHANGHAI).items() if v}
    return urlencode(shown) or "all"


@requires("admin")
async def audit_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    try:
        f = search.parse_filter(request.query, SHANGHAI)
    except search.AuditFilterError as exc:
        typed = {name: request.query.get(name, "")[:64] for name in ("user", "action", "target", "result", "from", "to")}
        return page(request, "admin_audit.html", {"rows": [], "total": 0, "form": typed,
                                                  "error": exc.message, "pages": 0, "page": 1, "query": ""},
                    status=400)
    rows, total = await search.search(request.app[ENGINE].sessions, f)
    await console.audit.record(actor(request), VIEW, _described(f)[:256])
    params = f.as_params(SHANGHAI)
    return page(request, "admin_audit.html", {
        "rows": [_shown(r) for r in rows], "total": total, "form": params, "error": "", "page": f.page,
        "pages": max(1, -(-total // search.PAGE_SIZE)), "query": urlencode({k: v for k, v in params.items() if v})})


@requires("admin")
async def audit_csv(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    try:
        f = search.parse_filter(request.query, SHANGHAI)
    except search.AuditFilterError as exc:
        return web.Response(status=400, text=exc.message, content_type="text/plain", charset="utf-8")
    rows, total = await search.search(request.app[ENGINE].sessions, f, limit=search.EXPORT_LIMIT, paged=False)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows(_row(r) for r in rows)
    await console.audit.record(actor(request), EXPORT, f"{_described(f)} rows={len(rows)}"[:256])
    body = "\ufeff" + out.getvalue()  # BOM: Excel opens the Chinese headers as UTF-8
    return web.Response(body=body.encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/audit", audit_page, name="admin-audit")
    router.add_get("/admin/audit.csv", audit_csv, name="admin-audit-csv")
