"""The do-not-call list as a supervisor edits it: one number with a reason, or a CSV file that is
checked whole first (every bad row named, nothing applied then). Pure."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from tickets.errors import TicketError
from tickets.intake import normalize_contact

MAX_ROWS = 10_000
MAX_REASON = 200
HEADERS = ({"号码", "number", "电话", "phone"}, {"原因", "reason", "说明"})


class DoNotCallError(ValueError):
    """A bad number or reason; `rows` holds (row number, message) for a file."""

    def __init__(self, message: str, rows: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rows = rows or []


@dataclass(frozen=True)
class Entry:
    number: str
    reason: str


def check(number: str | None, reason: str | None) -> Entry:
    try:
        phone = normalize_contact(number)
    except TicketError:
        phone = None
    if not phone:
        raise DoNotCallError("号码格式不正确：应为 11 位手机号、带区号的固定电话或 7–8 位本地号码")
    reason = (reason or "").strip()
    if not reason:
        raise DoNotCallError("请填写加入免打扰名单的原因")
    if len(reason) > MAX_REASON or any(ord(ch) < 32 for ch in reason):
        raise DoNotCallError(f"原因最多 {MAX_REASON} 个字，且不能含控制字符")
    return Entry(phone, reason)


def parse_csv(text: str) -> list[Entry]:
    """`号码,原因` per row (a header row is optional); raises DoNotCallError naming every bad row."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if rows and rows[0] and rows[0][0].strip().lower() in HEADERS[0]:
        rows = rows[1:]
        first = 2
    else:
        first = 1
    if len(rows) > MAX_ROWS:
        raise DoNotCallError(f"文件最多 {MAX_ROWS} 行")
    entries, errors, seen = [], [], {}
    for i, row in enumerate(rows, start=first):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            errors.append((i, "每行应为两列：号码,原因"))
            continue
        try:
            entry = check(row[0], row[1])
        except DoNotCallError as exc:
            errors.append((i, exc.message))
            continue
        if entry.number in seen:
            errors.append((i, f"与第 {seen[entry.number]} 行号码重复"))
            continue
        seen[entry.number] = i
        entries.append(entry)
    if errors:
        raise DoNotCallError(f"导入失败：{len(errors)} 行有错误，未导入任何号码", errors)
    if not entries:
        raise DoNotCallError("文件中没有号码")
    return entries
