"""考核统计 (/reports/assessment): per department and period, with SVG charts and CSV export.

GET /reports/assessment?from=YYYY-MM-DD&to=YYYY-MM-DD       the page
GET /reports/assessment.csv?from=…&to=…                    the same figures as CSV (UTF-8 with BOM, for Excel)
Supervisors and admins; both are read-only and the export is audited.
"""
from __future__ import annotations

import csv
import io

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor
from agent_console.render import capability_pages
from hotline.engine import ENGINE
from reports.assessment import CENTER, CENTER_RATES, COUNTS, RATES
from reports.figures import SHANGHAI, Period, PeriodError, build_report
from reports.svg import bar_chart
from tickets.codes import Channel

render = capability_pages("reports")
COUNT_LABELS = {"dispatched": "派单数", "accepted": "签收数", "accepted_on_time": "按时签收数", "returned": "退单数",
                "extended": "延期数", "replied": "办结数", "replied_on_time": "按时办结数", "visited": "已回访数",
                "evaluated": "评价数", "satisfied": "满意数（含基本满意）", "resolution_known": "解决情况已知数",
                "resolved": "已解决数", "reopened": "重办数", "unreachable": "无法回访数",
                "registered": "登记数", "direct": "直接办结数"}
CALL_FIGURES = (("offered", "呼入"), ("answered", "接通"), ("abandoned", "放弃"),
                ("connection_rate_pct", "接通率"), ("answered_15s_pct", "15秒接通率"),
                ("abandoned_pct", "放弃率"), ("average_wait", "平均等待（秒）"))


def _label(code: str, names: dict[str, str]) -> str:
    return "12345 中心直接办理" if code == CENTER else names.get(code, code)


CHANNELS = [(c.value, c.label) for c in Channel]


def _channel(request: web.Request) -> str:
    """?channel=phone|web|wechat|app|sms: the ticket figures of one channel (issue 16); '' all."""
    value = request.query.get("channel", "")
    if value and value not in dict(CHANNELS):
        raise PeriodError("未知渠道")
    return value


async def _report(request: web.Request):
    engine = request.app[ENGINE]
    today = engine.clock().astimezone(SHANGHAI).date()
    period = Period.parse(request.query.get("from"), request.query.get("to"), today)
    return await build_report(engine.services["tickets"], engine.sessions, period, _channel(request) or None)


def _rows(report) -> list[dict]:
    rows = [{"code": "*", "name": "全中心", "counts": report.assessment.center.counts,
             "rates": report.assessment.center.rates()}]
    for code, counts, rates in report.assessment.department_rows():
        rows.append({"code": code, "name": _label(code, report.names), "counts": counts, "rates": rates})
    return rows


@requires("supervisor", "admin")
async def assessment_page(request: web.Request) -> web.Response:
    try:
        report = await _report(request)
    except PeriodError as exc:
        return render(request, "assessment.html", {"error": str(exc), "report": None, "rows": [], "charts": [],
                                                   "rates": RATES, "first": "", "last": "",
                                                   "center_rates": {}, "calls": [], "counts": [],
                                                   "channels": CHANNELS, "channel": ""}, status=400)
    rows = _rows(report)
    charts = [bar_chart(label, [(r["name"], r["rates"][key]) for r in rows], chart_id=f"chart-{key}")
              for key, label, _, _ in RATES]
    center = report.assessment.center.rates(CENTER_RATES)
    calls = [(label, report.calls.get(key)) for key, label in CALL_FIGURES]
    return render(request, "assessment.html", {
        "error": "", "report": report, "rows": rows, "charts": charts, "rates": RATES,
        "first": report.period.first.isoformat(), "last": report.period.last.isoformat(),
        "center_rates": {label: center[key] for key, label, _, _ in CENTER_RATES},
        "direct": report.assessment.center.counts, "calls": calls,
        "counts": [(k, COUNT_LABELS[k]) for k in COUNTS if k not in ("registered", "direct")],
        "channels": CHANNELS, "channel": _channel(request)})


@requires("supervisor", "admin")
async def assessment_csv(request: web.Request) -> web.Response:
    try:
        report = await _report(request)
    except PeriodError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    out = io.StringIO()
    writer = csv.writer(out)
    counts = [k for k in COUNTS if k not in ("registered", "direct")]
    writer.writerow(["开始日期", "结束日期", "单位编码", "单位", *(label for _, label, _, _ in RATES),
                     *(COUNT_LABELS[k] for k in counts)])
    for r in _rows(report):
        writer.writerow([report.period.first, report.period.last, r["code"], r["name"],
                         *("" if r["rates"][key] is None else r["rates"][key] for key, _, _, _ in RATES),
                         *(r["counts"][k] for k in counts)])
    center = report.assessment.center
    writer.writerow([])
    writer.writerow(["全中心", "直接办结率", center.rates(CENTER_RATES)["direct_pct"] or "",
                     "登记数", center.counts["registered"], "直接办结数", center.counts["direct"]])
    for key, label in CALL_FIGURES:
        value = report.calls.get(key)
        writer.writerow(["话务", label, "" if value is None else value])
    channel = _channel(request)
    if channel:
        writer.writerow(["渠道", dict(CHANNELS)[channel], "（工单数字仅此渠道；话务数字为电话）"])
    await request.app[CONSOLE].audit.record(actor(request), "report.assessment.export",
                                            f"{report.period.first}~{report.period.last}"
                                            + (f" {channel}" if channel else ""))
    name = f"assessment-{report.period.first}-{report.period.last}.csv"
    return web.Response(body=("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def setup_reports(app: web.Application) -> None:
    """Call from hotline.engine.build_app (after setup_console)."""
    if any(getattr(r, "canonical", "") == "/reports/assessment" for r in app.router.resources()):
        return
    app.router.add_get("/reports/assessment", assessment_page, name="reports-assessment")
    app.router.add_get("/reports/assessment.csv", assessment_csv, name="reports-assessment-csv")
