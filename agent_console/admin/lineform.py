"""An admin's line form -> LineInfo, refusing bad input in Chinese before it reaches the renderer."""
from __future__ import annotations

import re

from queues.models import MODE_LABELS, MergeMode
from queues.render import has_breaking_chars
from queues.routing import LineInfo, parse_hours

EDITABLE_MODES = (MergeMode.ABSORBED, MergeMode.PARALLEL, MergeMode.SUBCENTER)
_NUMBER = re.compile(r"^[0-9]{3,15}$")
_QUEUE = re.compile(r"^[a-z][a-z0-9_-]{1,62}$")
_DIAL = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,15}/[A-Za-z0-9@._:+-]{1,100}$")


LABELS = {"number": "号码", "name": "热线名称", "mode": "并入方式", "queue": "队列", "dial_target": "分中心拨号串",
          "overflow_after": "溢出等待", "hours": "服务时间", "department": "主管部门", "note": "备注"}


class LineFormError(ValueError):
    error_id = "console.lines.invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _str(data: dict, name: str, limit: int) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise LineFormError(name, f"{LABELS.get(name, name)}格式错误")
    text = str(value).strip()
    if has_breaking_chars(text):  # \n, \r, NUL, U+0085, U+2028, U+2029...: line breaks to some reader
        raise LineFormError(name, f"{LABELS.get(name, name)}不能含换行符或控制字符（如 U+2028 行分隔符）")
    if len(text) > limit:
        raise LineFormError(name, f"{LABELS.get(name, name)}不能超过 {limit} 个字符")
    return text


def parse_line(data: dict) -> tuple[LineInfo, str, str]:
    """-> (line, department, note)."""
    number = _str(data, "number", 15)
    if not _NUMBER.match(number):
        raise LineFormError("number", "号码应为 3–15 位数字")
    name = _str(data, "name", 64)
    if not name:
        raise LineFormError("name", "请填写热线名称")
    try:
        mode = MergeMode.from_label(_str(data, "mode", 16))
    except ValueError:
        raise LineFormError("mode", "请选择并入方式：" + "、".join(MODE_LABELS[m] for m in EDITABLE_MODES)) from None
    if mode not in EDITABLE_MODES:
        raise LineFormError("mode", "12345 主号不能在这里修改")
    queue = _str(data, "queue", 63) or None
    if queue is not None and not _QUEUE.match(queue):
        raise LineFormError("queue", "队列名只能用小写字母、数字、- 或 _，以字母开头")
    if mode is MergeMode.PARALLEL and not queue:
        raise LineFormError("queue", "双号并行需要专席队列，例如 line-" + number)
    if mode is MergeMode.ABSORBED:
        queue = None
    dial = _str(data, "dial_target", 128) or None
    if dial is not None and not _DIAL.match(dial):
        raise LineFormError("dial_target", "分中心号码应为交换机拨号串，例如 PJSIP/95598@trunk")
    if mode is MergeMode.SUBCENTER and not (queue or dial):
        raise LineFormError("queue", "设分中心需要分中心队列或拨号串")
    overflow_text = _str(data, "overflow_after", 3) or "60"
    if not overflow_text.isdigit() or not 0 <= int(overflow_text) <= 600:
        raise LineFormError("overflow_after", "溢出等待应为 0–600 秒")
    hours = _str(data, "hours", 11) or "00:00-24:00"
    try:
        parse_hours(hours)
    except ValueError:
        raise LineFormError("hours", "服务时间格式应为 HH:MM-HH:MM，例如 08:30-17:30") from None
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise LineFormError("enabled", "启用标记格式错误")
    line = LineInfo(number=number, name=name, mode=mode, queue=queue, overflow_after=int(overflow_text),
                    dial_target=dial if mode is MergeMode.SUBCENTER else None, hours=hours, enabled=enabled)
    return line, _str(data, "department", 64), _str(data, "note", 500)
