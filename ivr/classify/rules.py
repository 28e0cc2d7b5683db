"""Keyword rules as data: plain dicts in, plain dicts out, so the console can edit them.

A rule is `{"category": "供水", "keywords": [...], "weight": 1.0}` or
`{"type": "投诉", "keywords": [...], "weight": 1.0}`; files are TOML (`[[rules]]` tables) or JSON
(a list, or `{"rules": [...]}`).
"""
from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ivr.classify.errors import RuleError

REQUEST_TYPES: dict[str, str] = {
    "consult": "咨询",
    "help": "求助",
    "complaint": "投诉",
    "report": "举报",
    "suggestion": "建议",
    "praise": "表扬",
}
TYPE_CODES: dict[str, str] = {name: code for code, name in REQUEST_TYPES.items()}


@dataclass(frozen=True)
class Rule:
    kind: str  # "type" or "category"
    label: str  # Chinese: a request type name (投诉) or a category (供水)
    keywords: tuple[str, ...]
    weight: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        return {self.kind: self.label, "keywords": list(self.keywords), "weight": self.weight}


def rule_from_dict(item: Mapping[str, Any], index: int = 0) -> Rule:
    where = f"第{index + 1}条规则"
    if not isinstance(item, Mapping):
        raise RuleError(f"{where}：应为表（字典），实际是 {type(item).__name__}")
    kinds = [k for k in ("type", "category") if k in item]
    if len(kinds) != 1:
        raise RuleError(f"{where}：必须且只能有 type 或 category 其中之一")
    kind = kinds[0]
    label = item[kind]
    if not isinstance(label, str) or not label.strip():
        raise RuleError(f"{where}：{kind} 不能为空")
    label = label.strip()
    if kind == "type":
        label = REQUEST_TYPES.get(label, label)
        if label not in TYPE_CODES:
            raise RuleError(f"{where}：未知诉求类型“{label}”，应为 {'/'.join(TYPE_CODES)}")
    unknown = set(item) - {kind, "keywords", "weight"}
    if unknown:
        raise RuleError(f"{where}：未知字段 {', '.join(sorted(unknown))}")
    keywords = item.get("keywords")
    if not isinstance(keywords, list) or not keywords:
        raise RuleError(f"{where}：keywords 必须是非空列表")
    for word in keywords:
        if not isinstance(word, str) or not word.strip() or any(c.isspace() for c in word.strip()):
            raise RuleError(f"{where}：关键词必须是不含空格的非空文字，实际是 {word!r}")
    weight = item.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 100:
        raise RuleError(f"{where}：weight 必须是 0 到 100 之间的数字，实际是 {weight!r}")
    return Rule(kind, label, tuple(dict.fromkeys(w.strip() for w in keywords)), float(weight))


def rules_from_dicts(items: Iterable[Mapping[str, Any]]) -> list[Rule]:
    if isinstance(items, Mapping | str | bytes):
        raise RuleError("规则必须是列表")
    return [rule_from_dict(item, i) for i, item in enumerate(items)]


def rules_to_dicts(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    return [rule.as_dict() for rule in rules]


def parse_rules_text(text: str, fmt: str, section: str = "rules") -> list[Mapping[str, Any]]:
    """The raw rule dicts of a TOML or JSON document (not yet validated)."""
    try:
        data: Any = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise RuleError(f"规则文件格式错误：{exc}") from exc
    if isinstance(data, Mapping):
        data = data.get(section)
    if not isinstance(data, list):
        raise RuleError(f"规则文件中没有 {section} 列表")
    return data


def read_rules_file(path: str | os.PathLike[str], section: str = "rules") -> list[Mapping[str, Any]]:
    suffix = Path(path).suffix.lower()
    if suffix not in (".toml", ".json"):
        raise RuleError(f"规则文件必须是 .toml 或 .json：{path}")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"无法读取规则文件 {path}：{exc}") from exc
    return parse_rules_text(text, suffix[1:], section)


def load_rules(path: str | os.PathLike[str]) -> list[Rule]:
    return rules_from_dicts(read_rules_file(path))


def default_rules() -> list[Rule]:
    text = resources.files("ivr.classify").joinpath("default_rules.toml").read_text(encoding="utf-8")
    return rules_from_dicts(parse_rules_text(text, "toml"))
