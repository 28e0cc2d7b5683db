"""What a department sees of a ticket in its lists: deadline, countdown and a yellow/red mark.

Pure: tickets and `now` in, plain dicts out, so the pages and the tests share one reading.
"""
from __future__ import annotations

from datetime import datetime

from tickets.codes import Action, Evaluation, ReturnReason, Status
from tickets.deadlines import deadline_mark
from tickets.views import EventView, TicketView, format_local

TABS = (("pending", "待签收"), ("doing", "办理中"), ("review", "待审核"), ("done", "已办结"))
MARK_LABELS = {"green": "正常", "yellow": "即将超时", "red": "已超时", "": "无时限"}
RETURN_REASONS = tuple((r.value, r.label) for r in ReturnReason)
CONFIDENTIAL = "（保密工单，打开查看，查看将被记录）"  # lists never show it: only the audited ticket page does


def countdown(due: datetime | None, now: datetime) -> str:
    """'剩余 2天3小时' / '超时 45分钟' (whole minutes); '' without a deadline."""
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    text = (f"{days}天" if days else "") + (f"{hours}小时" if hours else "") + (
        f"{mins}分钟" if mins or not (days or hours) else "")
    return ("剩余 " if seconds >= 0 else "超时 ") + text


def running_deadline(t: TicketView) -> tuple[str, datetime | None, datetime | None]:
    """The deadline that is running: ('签收时限', start, due) before 签收, ('办结时限', ...) after."""
    if t.status is Status.DISPATCHED:
        return "签收时限", t.dispatched_at, t.accept_due
    if t.status is Status.ACCEPTED:
        return "办结时限", t.registered_at or t.dispatched_at, t.complete_due
    return "办结时限", None, None


def row(t: TicketView, now: datetime, dept: str | None = None) -> dict:
    """`dept`: the viewing department; a ticket it only co-handles (协办) runs on the completion deadline."""
    co = dept is not None and (t.lead_department is None or t.lead_department.code != dept)
    kind, start, due = ("办结时限", t.registered_at or t.dispatched_at, t.complete_due) if co else running_deadline(t)
    mark = deadline_mark(start, due, now)
    done_on_time = ""
    if t.replied_at is not None and t.complete_due is not None:
        done_on_time = "按时办结" if t.replied_at <= t.complete_due else "超时办结"
    return {"number": t.number, "status": t.status.label, "status_code": t.status.value,
            "type": t.request_type.label if t.request_type else "", "category": t.category or "",
            "content": CONFIDENTIAL if t.confidential else (t.content or "")[:60], "urgency": t.urgency.label,
            "dispatched": format_local(t.dispatched_at), "deadline_kind": kind, "due": format_local(due),
            "mark": mark, "mark_label": MARK_LABELS[mark], "countdown": countdown(due, now) if mark else "",
            "replied": format_local(t.replied_at), "done_on_time": done_on_time, "co": co,
            "complete_due": format_local(t.complete_due), "accept_due": format_local(t.accept_due)}


def event_line(e: EventView, names: dict[str, str]) -> dict:
    """One history line: when, who, what, and the detail a department needs (reason, result, contact)."""
    d = e.detail
    parts = []
    if e.action in (Action.DISPATCH, Action.REJECT_RETURN) and d.get("lead", d.get("dept")):
        code = d.get("lead", d.get("dept"))
        parts.append(f"承办单位：{names.get(code, code)}")
    if e.action is Action.RETURN:
        try:
            parts.append(f"退单理由：{ReturnReason(d.get('reason_code', 'other')).label}")
        except ValueError:
            pass
        parts.append(f"说明：{d.get('reason', '')}")
    if e.action is Action.CO_REPLY:
        parts.append(f"协办单位：{names.get(d.get('dept'), d.get('dept', ''))}")
        parts.append(f"协办意见：{d.get('reply', '')}")
    if e.action is Action.REPLY:
        parts.append(f"办理结果：{d.get('reply', '')}")
        if d.get("contact"):
            parts.append(f"与群众沟通：{d['contact']}")
    if e.action in (Action.CALLBACK, Action.CALLBACK_TRY):
        parts.extend(_callback_parts(d))
    if e.action is Action.CALLBACK_ROUTE:  # 回访分派 (callbacks/split.py)
        parts.append(("转" if d.get("from") else "") + ("坐席回访" if d.get("route") == "agent" else "语音回访"))
        if d.get("text"):
            parts.append(f"原因：{d['text']}")
    if e.action is Action.REGISTER and d.get("personal_callback"):
        parts.append("市民要求人工回访")
    if e.action in (Action.REOPEN, Action.CLOSE) and d.get("reason"):
        parts.append(f"{'重办原因' if e.action is Action.REOPEN else '办结说明'}：{d['reason']}")
    parts.extend(handling_detail(e, names))
    for key, label in (("note", "备注"), ("comment", "审核意见")):
        if d.get(key):
            parts.append(f"{label}：{d[key]}")
    return {"at": format_local(e.at), "actor": e.actor, "action": e.action.label,
            "to": e.to_status.label if e.to_status else "", "detail": "；".join(parts)}


def _callback_parts(d: dict) -> list[str]:
    """回访 / 回访未果 (callbacks/): channel, solved or not, the evaluation, or why nobody was reached."""
    from callbacks.codes import AttemptOutcome, CallbackChannel

    parts = []
    for enum, key, label in ((CallbackChannel, "channel", "回访方式"), (AttemptOutcome, "outcome", "结果")):
        try:
            parts.append(f"{label}：{enum(d[key]).label}")
        except (KeyError, ValueError):
            pass
    if isinstance(d.get("resolved"), bool):
        parts.append("已解决" if d["resolved"] else "未解决")
    if d.get("evaluation"):
        try:
            parts.append(f"评价：{Evaluation(d['evaluation']).label}")
        except ValueError:
            pass
    if d.get("outcome") == "unreachable" and d.get("attempts"):
        parts.append(f"共 {d['attempts']} 次无法联系，无法回访")
    return parts
def handling_detail(e: EventView, names: dict[str, str]) -> list[str]:
    """The department-side steps (二级派单, 审核, 延期) in a history line."""
    d, parts = e.detail, []
    if e.action is Action.SUB_DISPATCH:
        parts.append(f"转派至：{names.get(d.get('sub'), d.get('sub', ''))}")
    if e.action is Action.SUB_ACCEPT:
        parts.append(f"签收单位：{names.get(d.get('dept'), d.get('dept', ''))}")
    if e.action is Action.SUBMIT:
        parts.append(f"办理单位：{names.get(d.get('dept'), d.get('dept', ''))}")
        parts.append(f"办理结果：{d.get('result', '')}")
        parts.append(("已联系群众：" if d.get("contacted") else "未联系群众：") + d.get("contact", ""))
        if d.get("attachments"):
            parts.append(f"附件：{'、'.join(d['attachments'])}")
    if e.action is Action.REPLY and d.get("approved_by"):
        parts.append(f"审核人：{d['approved_by']}（承办人 {d.get('submitted_by', '')}）")
    if e.action is Action.EXT_REQUEST:
        parts.append(f"申请延期 {d.get('days')} 个工作日，理由：{d.get('reason', '')}")
        parts.append(f"申请办结时限：{_iso_local(d.get('new_due'))}")
    if e.action is Action.EXT_APPROVE:
        parts.append(f"办结时限由 {_iso_local(d.get('old_due'))} 延至 {_iso_local(d.get('new_due'))}")
    return parts


def _iso_local(text: str | None) -> str:
    if not text:
        return ""
    try:
        return format_local(datetime.fromisoformat(text))
    except ValueError:
        return text
