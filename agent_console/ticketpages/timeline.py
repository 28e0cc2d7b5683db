"""A ticket's whole timeline: its history, calls, recordings (for those allowed), transfers,
attachments and 督办, as one list sorted by time. Pure: rows in, plain dicts out."""
from __future__ import annotations

from datetime import datetime

from agent_console.department.rows import event_line
from supervision.marks import AUDIENCE_LABELS
from tickets.codes import Action
from tickets.views import format_local

MARK_TEXT = {"yellow": "黄牌预警（即将超时）", "red": "红牌（已超时）"}
KIND_TEXT = {"accept": "签收时限", "complete": "办结时限"}
OUTCOME_TEXT = {"answered": "已接听", "abandoned": "放弃", "timeout": "超时", "no_answer": "未接听"}
TRANSFER_TEXT = {"emergency": "应急联动", "subcenter": "转分中心"}
RESULT_TEXT = {"answered": "接通", "busy": "忙", "no_answer": "无人接听", "failed": "失败", None: "进行中"}


def _entry(at: datetime, kind: str, actor: str, title: str, text: str = "", link: str = "") -> dict:
    return {"at": at, "at_local": format_local(at), "kind": kind, "actor": actor, "title": title, "text": text,
            "link": link}


def supervision_detail(action: Action, d: dict) -> str:
    if action is Action.DEADLINE_MARK:
        notified = "、".join(AUDIENCE_LABELS.get(a, a) for a in d.get("notified", []))
        return f"{KIND_TEXT.get(d.get('kind'), '')}{MARK_TEXT.get(d.get('mark'), '')}，已通知{notified}"
    if action is Action.REMIND:
        return f"第 {d.get('reminders')} 次催办；督办意见：{d.get('comment', '')}"
    if action is Action.ESCALATE:
        return f"催办 {d.get('reminders')} 次未办结，已升级至单位负责人"
    return ""


def timeline(events, names: dict[str, str], *, calls=(), recordings=(), transfers=(), attachments=(),
             orders=(), notices=()) -> list[dict]:
    out = []
    for e in events:
        line = event_line(e, names)
        text = line["detail"]
        if e.action in (Action.DEADLINE_MARK, Action.REMIND, Action.ESCALATE):
            text = supervision_detail(e.action, e.detail)
        elif e.action is Action.SUPERVISE and e.detail.get("due"):
            text = f"督办意见：{e.detail.get('note', '')}；要求办结：{format_local(datetime.fromisoformat(e.detail['due']))}"
        kind = "supervision" if e.action in (Action.SUPERVISE, Action.DEADLINE_MARK, Action.REMIND,
                                             Action.ESCALATE) else "event"
        out.append(_entry(e.at, kind, e.actor, f"{line['action']}" + (f" → {line['to']}" if line["to"] else ""), text))
    for c in calls:
        talk = f"，通话 {c.talk_seconds} 秒" if c.talk_seconds else ""
        out.append(_entry(c.started_at, "call", c.answered_member or "", "来电",
                          f"热线 {c.line or ''}，{OUTCOME_TEXT.get(c.outcome, c.outcome)}{talk}"))
    for r in recordings:
        out.append(_entry(r.started_at, "recording", r.agent_name or "", "录音",
                          f"{int(r.duration_seconds or 0)} 秒", f"/recordings/{r.id}"))
    for t in transfers:
        out.append(_entry(t.started_at, "transfer", t.actor, TRANSFER_TEXT.get(t.kind, t.kind),
                          f"转接 {t.target}，{RESULT_TEXT.get(t.result, t.result)}"))
    for a in attachments:
        out.append(_entry(a["at"], "attachment", a.get("actor", ""), "附件", a.get("name", ""), a.get("link", "")))
    for o in orders:
        state = "已办结关闭" if o.closed_at else ("已升级" if o.escalated else "督办中")
        out.append(_entry(o.issued_at, "supervision", o.issued_by, "督办单",
                          f"{o.comment}（要求 {format_local(o.due_at)} 前办结；已催办 {o.reminders} 次；{state}）"))
    for n in notices:
        sms = "短信已发送" if n.state == "sent" else f"短信待发送（已尝试 {n.attempts} 次）"
        out.append(_entry(n.created_at, "notice", "督办系统", f"通知{AUDIENCE_LABELS.get(n.audience, n.audience)}",
                          f"{n.text}（{sms}）"))
    out.sort(key=lambda x: x["at"])
    return out
