"""热点与预警 (/reports/hotspots): counts by category and district, the day's early warnings, SVG charts.

GET /reports/hotspots?day=YYYY-MM-DD&channel=phone        the page (day: default today, Asia/Shanghai)
GET /reports/hotspots.csv?from=…&to=…&channel=…           anonymised counts: day, category, district,
                                                          channel, count — no caller, no content; audited
Supervisors and admins; both read-only. Warnings are computed from the store on each view; each one
also says whether the supervisors were notified (hotspots/notify.py sends it once, in the background).
"""
from __future__ import annotations

import csv
import io
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor
from agent_console.render import capability_pages
from hotline.engine import ENGINE
from hotspots.counts import SHANGHAI, day_counts, fold, week_of
from hotspots.detect import Settings, spikes
from hotspots.notify import WarningNotifier
from hotline.periodic import PeriodicJob
from supervision.wiring import gateway_of
from reports.figures import Period, PeriodError
from reports.svg import bar_chart
from tickets.codes import Channel

render = capability_pages("hotspots")
CHANNELS = [(c.value, c.label) for c in Channel]
NO_CATEGORY, NO_DISTRICT = "（未分类）", "（未填区县）"
TOP = 12
EARLIEST = date(2000, 1, 1)


def settings_of(section) -> Settings:
    return Settings(z_threshold=section.z_threshold, min_count=section.min_count, baseline_days=section.baseline_days)


def _channel(request: web.Request) -> str:
    value = request.query.get("channel", "")
    if value and value not in {c for c, _ in CHANNELS}:
        raise PeriodError("未知渠道")
    return value


def _chart(title: str, rows: list[tuple[str, int]], chart_id: str):
    return bar_chart(title, [(label, float(n)) for label, n in rows], chart_id=chart_id,
                     maximum=float(max((n for _, n in rows), default=0) or 1), fmt="{:.0f}")


async def _names(engine) -> dict[str, str]:
    return {d.code: d.name for d in await engine.services["tickets"].list_departments()}


@requires("supervisor", "admin")
async def hotspots_page(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    settings = settings_of(engine.config.hotspots)
    today = engine.clock().astimezone(SHANGHAI).date()
    try:
        channel = _channel(request)
        raw = request.query.get("day")
        try:
            day = date.fromisoformat(raw) if raw else today
        except ValueError:
            raise PeriodError("日期格式应为 YYYY-MM-DD") from None
        if not EARLIEST <= day <= today:
            raise PeriodError(f"日期应在 {EARLIEST.isoformat()} 至今天之间")
    except PeriodError as exc:
        return render(request, "hotspots.html", {"error": str(exc), "ready": False, "channels": CHANNELS,
                                                 "channel": "", "day": today.isoformat()}, status=400)
    first = day - timedelta(days=settings.baseline_days)
    rows = await day_counts(engine.sessions, first, day, channel=channel or None)
    names = await _names(engine)

    def district_name(code):
        return NO_DISTRICT if not code else names.get(code, code)

    sent = await engine.services["hotspot_notifier"].of_day(day)
    warnings = [{"category": w.category or NO_CATEGORY, "district": None if w.district is None
                 else district_name(w.district), "w": w,
                 "notice": sent.get(((w.category or NO_CATEGORY)[:128], (w.district or "")[:64]))}
                for w in spikes(rows, day, settings)]
    by_category = fold([r for r in rows if r.day == day], by=("category",))
    category_rows = sorted(((c or NO_CATEGORY, n) for (_, c), n in by_category.items()), key=lambda x: -x[1])
    daily = fold(rows, by=())
    trend = [((first + timedelta(days=i)).strftime("%m-%d"), daily.get((first + timedelta(days=i),), 0))
             for i in range(settings.baseline_days + 1)]
    weekly = fold(rows, by=(), week=True)  # the first and the current week are partial: marked
    week_rows = [(f"{w.strftime('%m-%d')} 起{'（部分）' if w < first or w == week_of(day) else ''}", weekly[(w,)])
                 for w in sorted({k[0] for k in weekly})]

    this_week, last_week = week_of(day), week_of(day) - timedelta(days=7)
    districts: dict[str | None, dict] = {}
    for r in rows:
        d = districts.setdefault(r.district, {"today": 0, "baseline": 0, "this_week": 0, "last_week": 0,
                                              "categories": {}})
        if r.day == day:
            d["today"] += r.count
        else:
            d["baseline"] += r.count
        if week_of(r.day) == this_week:
            d["this_week"] += r.count
        elif week_of(r.day) == last_week:
            d["last_week"] += r.count
        d["categories"][r.category] = d["categories"].get(r.category, 0) + r.count
    district_rows = []
    for code, d in districts.items():
        top = max(d["categories"].items(), key=lambda kv: (kv[1], kv[0] or ""))
        district_rows.append({"code": code or "", "name": district_name(code), "today": d["today"],
                              "mean": round(d["baseline"] / settings.baseline_days, 1), "this_week": d["this_week"],
                              "last_week": d["last_week"], "top": top[0] or NO_CATEGORY, "top_n": top[1]})
    district_rows.sort(key=lambda r: (-r["today"], -r["mean"], r["name"]))
    charts = [_chart(f"{day.isoformat()} 各类别工单数", category_rows[:TOP], "chart-category"),
              _chart("各区县工单数（当日）", [(r["name"], r["today"]) for r in district_rows[:TOP]], "chart-district"),
              _chart(f"近 {settings.baseline_days + 1} 天每日工单数", trend, "chart-daily"),
              _chart("每周工单数（周一起）", week_rows, "chart-weekly")]
    return render(request, "hotspots.html", {
        "error": "", "ready": True, "day": day.isoformat(), "first": first.isoformat(), "channel": channel,
        "channels": CHANNELS, "settings": settings, "warnings": warnings, "districts": district_rows,
        "charts": charts, "total": sum(n for _, n in category_rows)})


@requires("supervisor", "admin")
async def hotspots_csv(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    today = engine.clock().astimezone(SHANGHAI).date()
    try:
        channel = _channel(request)
        period = Period.parse(request.query.get("from"), request.query.get("to"), today)
    except PeriodError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    rows = await day_counts(engine.sessions, period.first, period.last, channel=channel or None)
    names = await _names(engine)
    labels = dict(CHANNELS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["日期", "类别", "区县", "渠道", "工单数"])
    for r in rows:
        writer.writerow([r.day.isoformat(), r.category or NO_CATEGORY,
                         NO_DISTRICT if not r.district else names.get(r.district, r.district),
                         labels.get(r.channel, r.channel), r.count])
    await request.app[CONSOLE].audit.record(actor(request), "report.hotspots.export",
                                            f"{period.first}~{period.last} {channel or '全部渠道'}")
    name = f"hotspots-{period.first}-{period.last}{'-' + channel if channel else ''}.csv"
    return web.Response(body=("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def setup_hotspots(app: web.Application) -> None:
    """Call from hotline.engine.build_app (after setup_console)."""
    if any(getattr(r, "canonical", "") == "/reports/hotspots" for r in app.router.resources()):
        return
    app.router.add_get("/reports/hotspots", hotspots_page, name="reports-hotspots")
    app.router.add_get("/reports/hotspots.csv", hotspots_csv, name="reports-hotspots-csv")
    app.cleanup_ctx.append(_notify_context)


async def _notify_context(app: web.Application) -> AsyncIterator[None]:
    """The early-warning notifier (engine.services["hotspot_notifier"]) on the 督办 gateway's configuration."""
    engine = app[ENGINE]
    section, supervision = engine.config.hotspots, engine.config.supervision
    notifier = WarningNotifier(engine.sessions, lambda: engine.clock(), gateway_of(supervision),
                               settings_of(section), lambda: _names(engine),
                               retry_after=timedelta(seconds=supervision.retry_seconds),
                               send_timeout=supervision.webhook_timeout)
    engine.services["hotspot_notifier"] = notifier
    job = None
    if section.notify:
        every = timedelta(seconds=section.notify_every_seconds)
        job = PeriodicJob("hotspot-warnings", notifier.run_once, every, logging.getLogger("hotspots.notify"),
                          "hotspots.notify.pass_failed")
        job.start(datetime.now(UTC) + every)
    try:
        yield
    finally:
        if job is not None:
            await job.stop()
        await notifier.gateway.close()
