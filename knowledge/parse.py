"""Reading an import file (CSV or JSON) into validated entry drafts; pure: text in, drafts out.

Every bad row is named by the line it starts on, so an admin can fix the spreadsheet. Chinese and
English column names are both accepted; Excel's GBK CSV is accepted too.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from knowledge.errors import ImportFormatError, ImportInvalidError, RowProblem
from knowledge.models import ANSWER_MAX, DEPARTMENT_MAX, KEY_MAX, KEYWORDS_MAX, QUESTION_MAX

MAX_BYTES = 20 * 1024 * 1024
KEYWORD_MAX = 20
KEYWORDS_PER_ENTRY = 20
ALIASES = {
    "key": ("key", "id", "编号", "编码"),
    "question": ("question", "title", "问题", "标题"),
    "answer": ("answer", "答案", "答复", "解答"),
    "department": ("department", "owner", "dept", "责任部门", "部门", "所属部门"),
    "valid_from": ("valid_from", "生效日期", "有效期起", "开始日期"),
    "valid_to": ("valid_to", "失效日期", "有效期止", "截止日期"),
    "keywords": ("keywords", "关键词", "关键字"),
    "active": ("active", "启用", "状态"),
}
FIELD_OF = {alias.lower(): field for field, aliases in ALIASES.items() for alias in aliases}
LABELS = {"key": "编号", "question": "问题", "answer": "答案", "department": "责任部门", "valid_from": "生效日期",
          "valid_to": "失效日期", "keywords": "关键词", "active": "启用"}
KEYWORD_SPLIT = re.compile(r"[、,，;；|\s]+")
KEY_RE = re.compile(r"^[A-Za-z0-9_.:\-]+$")
TRUE = {"", "1", "true", "yes", "y", "是", "启用", "有效"}
FALSE = {"0", "false", "no", "n", "否", "停用", "无效"}


@dataclass(frozen=True)
class EntryDraft:
    """A validated row, ready to be upserted by `key`."""

    key: str
    question: str
    answer: str
    department: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    keywords: tuple[str, ...] = ()
    active: bool = True
    line: int = 0


def decode(data: bytes, *, max_bytes: int = MAX_BYTES) -> str:
    if len(data) > max_bytes:
        raise ImportFormatError(f"文件过大（{len(data)} 字节，上限 {max_bytes} 字节）")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFormatError("无法识别文件编码：请保存为 UTF-8 或 GBK")


def parse_file(data: bytes, fmt: str, *, max_bytes: int = MAX_BYTES) -> list[EntryDraft]:
    """`fmt` is "csv" or "json"; raises ImportFormatError or ImportInvalidError (nothing partial)."""
    text = decode(data, max_bytes=max_bytes)
    if fmt == "csv":
        return parse_csv(text)
    if fmt == "json":
        return parse_json(text)
    raise ImportFormatError(f"不支持的文件格式：{fmt}（仅支持 CSV 或 JSON）")


def parse_csv(text: str) -> list[EntryDraft]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ImportFormatError("文件为空")
        fields = [FIELD_OF.get(h.strip().lower()) for h in header]
        missing = [LABELS[f] for f in ("question", "answer") if f not in fields]
        if missing:
            raise ImportFormatError(f"缺少列：{'、'.join(missing)}（表头为：{'、'.join(header)}）", line=1)
        rows: list[tuple[int, dict]] = []
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(fields):
                rows.append((start, {"__error__": f"列数 {len(row)} 多于表头的 {len(fields)} 列"}))
                continue
            rows.append((start, {f: cell for f, cell in zip(fields, row, strict=False) if f is not None}))
    except csv.Error as exc:
        raise ImportFormatError(f"CSV 格式错误：{exc}", line=reader.line_num) from exc
    return validate(rows)


def parse_json(text: str) -> list[EntryDraft]:
    """A JSON array of objects, or JSON Lines (one object per line)."""
    rows: list[tuple[int, dict]] = []
    for line, obj in _json_objects(text.lstrip("\ufeff")):
        if not isinstance(obj, Mapping):
            rows.append((line, {"__error__": "每一条应为 JSON 对象"}))
            continue
        row = {}
        for name, value in obj.items():
            field = FIELD_OF.get(str(name).strip().lower())
            if field is not None:
                row[field] = value
        rows.append((line, row))
    if not rows:
        raise ImportFormatError("文件中没有任何条目")
    return validate(rows)


def _json_objects(text: str) -> Iterator[tuple[int, object]]:
    decoder = json.JSONDecoder()
    lines = _LineCounter(text)
    pos = _skip_ws(text, 0)
    try:
        if pos < len(text) and text[pos] == "[":
            pos = _skip_ws(text, pos + 1)
            while pos < len(text) and text[pos] != "]":
                obj, end = decoder.raw_decode(text, pos)
                yield lines.at(pos), obj
                pos = _skip_ws(text, end)
                if pos < len(text) and text[pos] == ",":
                    pos = _skip_ws(text, pos + 1)
                elif pos >= len(text) or text[pos] != "]":
                    raise ImportFormatError("JSON 数组中缺少逗号或右括号", line=lines.at(pos))
            if pos >= len(text):
                raise ImportFormatError("JSON 数组没有结束（缺少 ]）", line=lines.at(len(text)))
            if _skip_ws(text, pos + 1) != len(text):
                raise ImportFormatError("JSON 数组之后还有多余内容", line=lines.at(pos))
            return
    except json.JSONDecodeError as exc:
        raise ImportFormatError(f"JSON 格式错误：{exc.msg}", line=exc.lineno) from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise ImportFormatError(f"JSON 格式错误：{exc.msg}", line=number) from exc


class _LineCounter:
    """Line of an offset, for offsets that only grow (linear over the whole file)."""

    def __init__(self, text: str) -> None:
        self._text, self._pos, self._line = text, 0, 1

    def at(self, pos: int) -> int:
        self._line += self._text.count("\n", self._pos, pos)
        self._pos = pos
        return self._line


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def validate(rows: list[tuple[int, dict]]) -> list[EntryDraft]:
    drafts: list[EntryDraft] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if "__error__" in row:
            problems.append(RowProblem(line, "行", row["__error__"]))
            continue
        draft, row_problems = _draft(line, row)
        problems.extend(row_problems)
        if draft is None:
            continue
        if draft.key in seen:
            problems.append(RowProblem(line, LABELS["key"], f"与第 {seen[draft.key]} 行重复（{draft.key}）"))
            continue
        seen[draft.key] = line
        drafts.append(draft)
    if problems:
        raise ImportInvalidError(problems)
    return drafts


def _draft(line: int, row: dict) -> tuple[EntryDraft | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def text(field: str, limit: int, required: bool = False) -> str:
        value = row.get(field)
        value = "" if value is None else str(value).strip()
        if required and not value:
            problems.append(RowProblem(line, LABELS[field], "不能为空"))
        elif len(value) > limit:
            problems.append(RowProblem(line, LABELS[field], f"过长（{len(value)} 字，上限 {limit} 字）"))
        return value

    question = text("question", QUESTION_MAX, required=True)
    answer = text("answer", ANSWER_MAX, required=True)
    department = text("department", DEPARTMENT_MAX)
    key = text("key", KEY_MAX)
    if key and not KEY_RE.match(key):
        problems.append(RowProblem(line, LABELS["key"], "只能包含字母、数字和 _ . : -"))
    valid_from = _date(line, "valid_from", row.get("valid_from"), problems)
    valid_to = _date(line, "valid_to", row.get("valid_to"), problems)
    if valid_from and valid_to and valid_to < valid_from:
        problems.append(RowProblem(line, LABELS["valid_to"], "失效日期早于生效日期"))
    keywords = _keywords(line, row.get("keywords"), problems)
    active = _active(line, row.get("active"), problems)
    if problems:
        return None, problems
    return EntryDraft(key or stable_key(department, question), question, answer, department, valid_from, valid_to,
                      keywords, active, line), []


def stable_key(department: str, question: str) -> str:
    """Rows without an explicit key are identified by department + question, so re-importing updates them."""
    normal = re.sub(r"\s+", "", f"{department}\n{question}").lower()
    return "q-" + hashlib.sha1(normal.encode("utf-8")).hexdigest()[:24]


def _date(line: int, field: str, value: object, problems: list[RowProblem]) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    raw = str(value).strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    problems.append(RowProblem(line, LABELS[field], f"日期格式不正确：{raw[:40]}（应为 YYYY-MM-DD）"))
    return None


def _keywords(line: int, value: object, problems: list[RowProblem]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        words = [str(v).strip() for v in value]
    elif isinstance(value, str):
        words = KEYWORD_SPLIT.split(value)
    else:
        problems.append(RowProblem(line, LABELS["keywords"], "应为文本或文本列表"))
        return ()
    words = list(dict.fromkeys(w for w in words if w))
    too_long = [w for w in words if len(w) > KEYWORD_MAX]
    if too_long:
        problems.append(RowProblem(line, LABELS["keywords"], f"关键词过长（上限 {KEYWORD_MAX} 字）：{too_long[0][:30]}"))
    elif len(words) > KEYWORDS_PER_ENTRY or len("、".join(words)) > KEYWORDS_MAX:
        problems.append(RowProblem(line, LABELS["keywords"], f"关键词过多（上限 {KEYWORDS_PER_ENTRY} 个）"))
    return tuple(words)


def _active(line: int, value: object, problems: list[RowProblem]) -> bool:
    if value is None or isinstance(value, bool):
        return True if value is None else value
    raw = str(value).strip().lower()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    problems.append(RowProblem(line, LABELS["active"], f"无法识别：{raw[:20]}（应为 是/否）"))
    return True
