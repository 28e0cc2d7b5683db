"""派单目录 (职责清单): the category tree and who handles each category, optionally per district.

A rule maps a category path (城市管理/市容环境/占道经营) and a district ('' = every district) to a
lead department and co-handlers. The agent's form asks `suggest`: the most specific rule for the
chosen category (its own path first, then each parent; the district's rule before the city-wide
one), or, with no category, a rule whose `classifier_label` is the classifier's guess.

CSV import is all or nothing: every row is checked first and each bad row is named (row number and
the reason in Chinese); only a file without errors is applied, in one transaction (upsert by
category + district; rules not in the file stay).
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from tickets.errors import TicketError
from tickets.intake import Place
from tickets.models import CatalogueRule, Department

SEPARATOR = "/"
SHOWN_SEPARATOR = " › "
MAX_DEPTH = 4
MAX_CSV_CHARS = 2_000_000
MAX_ROWS = 10_000
_SPLIT = re.compile(r"\s*(?:/|›|>|＞|／)\s*")
_CO_SPLIT = re.compile(r"[;；、|,，]")
CONCURRENT = "另一位管理员同时修改了派单目录，请刷新后重试"
HEADERS = {  # accepted column names -> field
    "category": "category", "分类": "category", "district": "district", "区县": "district",
    "lead": "lead", "主办部门": "lead", "主办单位": "lead", "co": "co", "协办部门": "co", "协办单位": "co",
    "classifier": "classifier", "分类器类别": "classifier",
}


class CatalogueError(TicketError):
    error_id = "ticket.catalogue.invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CatalogueImportError(TicketError):
    """The file had bad rows; nothing was applied. `errors` are (row number, Chinese reason)."""

    error_id = "ticket.catalogue.import_failed"

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__("；".join(f"第 {n} 行：{why}" for n, why in errors[:5]))

    def lines(self) -> list[str]:
        return [f"第 {n} 行：{why}" if n else why for n, why in self.errors]


def normalize_category(text: str | None) -> str:
    """'城市管理 › 市容环境 › 占道经营' or with '/' -> '城市管理/市容环境/占道经营'; CatalogueError if malformed."""
    parts = _SPLIT.split((text or "").strip())
    if not parts or any(not p for p in parts):
        raise CatalogueError("分类不能为空，各级之间用 / 或 › 分隔，每级都要填写")
    if len(parts) > MAX_DEPTH:
        raise CatalogueError(f"分类最多 {MAX_DEPTH} 级")
    path = SEPARATOR.join(parts)
    if len(path) > 64 or any(ord(ch) < 32 for ch in path):
        raise CatalogueError("分类过长（最多 64 个字符）或含控制字符")
    return path


def shown(path: str | None) -> str:
    return (path or "").replace(SEPARATOR, SHOWN_SEPARATOR)


def ancestors(path: str) -> list[str]:
    """'a/b/c' -> ['a/b/c', 'a/b', 'a']."""
    parts = path.split(SEPARATOR)
    return [SEPARATOR.join(parts[:i]) for i in range(len(parts), 0, -1)]


@dataclass(frozen=True)
class DeptInfo:
    id: int
    code: str
    name: str
    kind: str
    active: bool
    parent_id: int | None


@dataclass(frozen=True)
class RuleView:
    id: int
    category: str
    district: str
    lead: str
    co: tuple[str, ...]
    classifier_label: str | None
    updated_at: datetime | None = None
    updated_by: str = ""
    lead_active: bool = True


@dataclass(frozen=True)
class Suggestion:
    """Who the catalogue (or the classifier through it) proposes; `source` is 'catalogue' or 'classifier'."""

    rule_id: int
    category: str
    district: str
    lead: str
    co: tuple[str, ...]
    source: str


@dataclass
class ParsedRow:
    line: int
    category: str
    district: str
    lead: str
    co: list[str] = field(default_factory=list)
    classifier_label: str | None = None


class Directory:
    """Departments by code and by name, for resolving what a person typed."""

    def __init__(self, departments: Iterable[DeptInfo]) -> None:
        self.all = list(departments)
        self.by_code = {d.code: d for d in self.all}
        self.by_name: dict[str, DeptInfo] = {}
        for d in self.all:
            self.by_name.setdefault(d.name, d)
        self.by_id = {d.id: d for d in self.all}

    def find(self, text: str) -> DeptInfo | None:
        text = text.strip()
        return self.by_code.get(text) or self.by_name.get(text)


def _department(directory: Directory, text: str, label: str) -> tuple[DeptInfo | None, str | None]:
    dept = directory.find(text)
    if dept is None:
        return None, f"{label}“{text[:40]}”不存在"
    if not dept.active:
        return None, f"{label}“{dept.name}”已停用"
    return dept, None


def check_rule(directory: Directory, category: str, district: str, lead: str, co: Iterable[str],
               classifier: str | None) -> tuple[ParsedRow | None, list[str]]:
    """One rule's values checked against the department tree; -> (row, Chinese reasons)."""
    reasons: list[str] = []
    try:
        path = normalize_category(category)
    except CatalogueError as exc:
        path = ""
        reasons.append(exc.message)
    district_code = ""
    if (district or "").strip() and (district or "").strip() not in ("*", "全部", "全市"):
        found, why = _department(directory, district, "区县")
        if why:
            reasons.append(why)
        elif found.kind != "district":
            reasons.append(f"“{found.name}”不是区县")
        else:
            district_code = found.code
    lead_dept = None
    if not (lead or "").strip():
        reasons.append("主办部门不能为空")
    else:
        lead_dept, why = _department(directory, lead, "主办部门")
        if why:
            reasons.append(why)
    co_codes: list[str] = []
    for text in co:
        if not text.strip():
            continue
        found, why = _department(directory, text, "协办部门")
        if why:
            reasons.append(why)
        elif lead_dept is not None and found.code == lead_dept.code:
            reasons.append("主办部门不能同时协办")
        elif found.code not in co_codes:
            co_codes.append(found.code)
    label = (classifier or "").strip() or None
    if label is not None and len(label) > 64:
        reasons.append("分类器类别过长（最多 64 个字符）")
    if reasons:
        return None, reasons
    return ParsedRow(0, path, district_code, lead_dept.code, sorted(co_codes), label), []


def parse_csv(text: str, directory: Directory) -> tuple[list[ParsedRow], list[tuple[int, str]]]:
    """Every row checked; -> (rows, errors as (line number, reason)). Line 1 is the header."""
    if len(text) > MAX_CSV_CHARS:
        return [], [(0, f"文件过大（最多 {MAX_CSV_CHARS // 1_000_000} MB）")]
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], [(1, "文件为空")]
    except csv.Error as exc:
        return [], [(1, f"CSV 格式错误：{exc}")]
    columns = [HEADERS.get(h.strip().lower(), HEADERS.get(h.strip())) for h in header]
    if "category" not in columns or "lead" not in columns:
        return [], [(1, "表头应包含 category（分类）和 lead（主办部门），可选 district（区县）、co（协办部门）、"
                        "classifier（分类器类别）")]
    rows: list[ParsedRow] = []
    errors: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(rows) + len(errors) >= MAX_ROWS:
                errors.append((line, f"行数过多（最多 {MAX_ROWS} 行）"))
                break
            if len(values) > len(columns):
                errors.append((line, f"列数 {len(values)} 多于表头的 {len(columns)} 列"))
                continue
            cell = {name: values[i] if i < len(values) else "" for i, name in enumerate(columns) if name}
            row, reasons = check_rule(directory, cell.get("category", ""), cell.get("district", ""),
                                      cell.get("lead", ""), _CO_SPLIT.split(cell.get("co", "")),
                                      cell.get("classifier"))
            if reasons:
                errors.append((line, "；".join(reasons)))
                continue
            key = (row.category, row.district)
            if key in seen:
                errors.append((line, f"与第 {seen[key]} 行重复（同一分类和区县）"))
                continue
            seen[key] = line
            row.line = line
            rows.append(row)
    except csv.Error as exc:
        errors.append((reader.line_num, f"CSV 格式错误：{exc}"))
    if not rows and not errors:
        errors.append((1, "文件中没有规则"))
    return rows, errors


def best_rule(rules: Iterable[RuleView], category: str | None, district: str | None,
              classifier_label: str | None) -> tuple[RuleView, str] | None:
    """The rule the form suggests and why ('catalogue' / 'classifier'), or None."""
    rules = list(rules)
    district = district or ""
    if category:
        keyed = {(r.category, r.district): r for r in rules}
        for path in ancestors(category):
            for where in ((district, "") if district else ("",)):
                if (path, where) in keyed:
                    return keyed[(path, where)], "catalogue"
        return None
    if classifier_label:
        matches = [r for r in rules if r.classifier_label == classifier_label and r.district in (district, "")]
        if matches:
            matches.sort(key=lambda r: (r.district != district, r.category.count(SEPARATOR), r.id))
            local = best_rule(rules, matches[0].category, district, None)  # the district's own rule, if any
            return (local[0] if local else matches[0]), "classifier"
    return None


def tree(rules: Iterable[RuleView]) -> list[dict]:
    """The category tree for the form's cascading picker: [{name, path, children}], sorted by name."""
    root: dict[str, dict] = {}
    for rule in rules:
        level, parts = root, rule.category.split(SEPARATOR)
        for i, part in enumerate(parts):
            node = level.setdefault(part, {"name": part, "path": SEPARATOR.join(parts[: i + 1]), "children": {}})
            level = node["children"]

    def listed(level: dict[str, dict]) -> list[dict]:
        return [{"name": n["name"], "path": n["path"], "children": listed(n["children"])}
                for _, n in sorted(level.items())]
    return listed(root)


class Catalogue:
    """The 派单目录 tables; the agent form and the admin pages reach them only through this."""

    def __init__(self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessions = sessionmaker
        self._clock = clock

    async def _directory(self, session) -> Directory:
        rows = await session.scalars(select(Department))
        return Directory(DeptInfo(d.id, d.code, d.name, d.kind, d.active, d.parent_id) for d in rows)

    async def departments(self) -> Directory:
        async with self._sessions() as session:
            return await self._directory(session)

    async def rules(self) -> list[RuleView]:
        async with self._sessions() as session:
            directory = await self._directory(session)
            rows = await session.scalars(select(CatalogueRule).order_by(CatalogueRule.category,
                                                                        CatalogueRule.district))
            return [RuleView(r.id, r.category, r.district, directory.by_id[r.lead_department_id].code,
                             tuple(r.co_codes or ()), r.classifier_label, r.updated_at, r.updated_by,
                             directory.by_id[r.lead_department_id].active)
                    for r in rows]

    async def places(self) -> tuple[dict[str, Place], dict[str, Place]]:
        """Active districts and streets of the department tree, by code (事发地点 lists)."""
        directory = await self.departments()
        districts = {d.code: Place(d.code, d.name) for d in directory.all if d.kind == "district" and d.active}
        by_id = directory.by_id
        streets = {d.code: Place(d.code, d.name, by_id[d.parent_id].code if d.parent_id in by_id else None)
                   for d in directory.all if d.kind == "street" and d.active}
        return districts, streets

    async def suggest(self, category: str | None, district: str | None,
                      classifier_label: str | None) -> Suggestion | None:
        """A rule whose lead department was deactivated is skipped (its parent's rule answers); deactivated
        co-handlers are left out, so the suggestion can always be dispatched as it stands."""
        directory = await self.departments()
        usable = [r for r in await self.rules() if r.lead_active]
        found = best_rule(usable, category, district, classifier_label)
        if found is None:
            return None
        rule, source = found
        co = tuple(c for c in rule.co if c in directory.by_code and directory.by_code[c].active)
        return Suggestion(rule.id, rule.category, rule.district, rule.lead, co, source)

    async def save_rule(self, *, category: str, district: str, lead: str, co: Iterable[str],
                        classifier: str | None, actor: str, rule_id: int | None = None) -> RuleView:
        """Add a rule, or change rule `rule_id` (an admin's edit); CatalogueError in Chinese."""
        try:
            return await self._save(category=category, district=district, lead=lead, co=co, classifier=classifier,
                                    actor=actor, rule_id=rule_id)
        except IntegrityError:
            raise CatalogueError(CONCURRENT) from None

    async def _save(self, *, category: str, district: str, lead: str, co: Iterable[str],
                    classifier: str | None, actor: str, rule_id: int | None) -> RuleView:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            directory = await self._directory(session)
            row, reasons = check_rule(directory, category, district, lead, list(co), classifier)
            if reasons:
                raise CatalogueError("；".join(reasons))
            clash = (await session.execute(select(CatalogueRule).where(
                CatalogueRule.category == row.category, CatalogueRule.district == row.district))).scalar_one_or_none()
            if rule_id is None:
                target = clash or CatalogueRule(category=row.category, district=row.district)
                if clash is None:
                    session.add(target)
            else:
                target = await session.get(CatalogueRule, rule_id)
                if target is None:
                    raise CatalogueError("该规则不存在（可能已被删除）")
                if clash is not None and clash.id != target.id:
                    raise CatalogueError("已有同一分类和区县的规则")
                target.category, target.district = row.category, row.district
            target.lead_department_id = directory.by_code[row.lead].id
            target.co_codes, target.classifier_label = row.co, row.classifier_label
            target.updated_at, target.updated_by = now, actor
            await session.flush()
            return RuleView(target.id, row.category, row.district, row.lead, tuple(row.co), row.classifier_label,
                            now, actor)

    async def delete_rule(self, rule_id: int) -> RuleView:
        for rule in await self.rules():
            if rule.id == rule_id:
                async with self._sessions() as session, session.begin():
                    await session.execute(delete(CatalogueRule).where(CatalogueRule.id == rule_id))
                return rule
        raise CatalogueError("该规则不存在（可能已被删除）")

    async def import_csv(self, text: str, actor: str) -> dict:
        """All or nothing; -> {'added': n, 'changed': m}. CatalogueImportError names every bad row."""
        try:
            return await self._import(text, actor)
        except IntegrityError:
            raise CatalogueError(CONCURRENT) from None

    async def _import(self, text: str, actor: str) -> dict:
        now = self._clock()
        async with self._sessions() as session, session.begin():
            directory = await self._directory(session)
            rows, errors = parse_csv(text, directory)
            if errors:
                raise CatalogueImportError(errors)
            existing = {(r.category, r.district): r for r in await session.scalars(select(CatalogueRule))}
            added = changed = 0
            for row in rows:
                target = existing.get((row.category, row.district))
                if target is None:
                    target = CatalogueRule(category=row.category, district=row.district)
                    session.add(target)
                    added += 1
                else:
                    changed += 1
                target.lead_department_id = directory.by_code[row.lead].id
                target.co_codes, target.classifier_label = row.co, row.classifier_label
                target.updated_at, target.updated_by = now, actor
            return {"added": added, "changed": changed}


__all__ = ["Catalogue", "CatalogueError", "CatalogueImportError", "Directory", "RuleView", "Suggestion",
           "best_rule", "normalize_category", "parse_csv", "shown", "tree"]
