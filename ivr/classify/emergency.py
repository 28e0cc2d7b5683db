"""Emergency word detection: route to 119/110/120/122 and say which word triggered it.

Substring matching on the space-free text (no jieba needed, so it works before the segmenter is
ready and cannot be defeated by an odd segmentation). Negations such as "不是着火" are out of
scope and still trigger: a needless transfer is cheaper than a missed fire.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ivr.classify.errors import RuleError
from ivr.classify.rules import parse_rules_text, read_rules_file

_TARGET = re.compile(r"^[0-9]{3,6}$")


@dataclass(frozen=True)
class EmergencyRule:
    target: str
    service: str
    name: str
    words: tuple[str, ...]
    priority: int = 100

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "service": self.service, "name": self.name,
                "priority": self.priority, "words": list(self.words)}


@dataclass(frozen=True)
class EmergencyTrigger:
    """What the IVR routes on and logs: the target number, the service and the word heard."""

    target: str
    service: str
    name: str
    word: str
    position: int
    priority: int

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "service": self.service, "name": self.name, "word": self.word,
                "position": self.position, "priority": self.priority}


def emergency_rule_from_dict(item: Mapping[str, Any], index: int = 0) -> EmergencyRule:
    where = f"第{index + 1}条紧急规则"
    if not isinstance(item, Mapping):
        raise RuleError(f"{where}：应为表（字典）")
    unknown = set(item) - {"target", "service", "name", "priority", "words"}
    if unknown:
        raise RuleError(f"{where}：未知字段 {', '.join(sorted(unknown))}")
    target = item.get("target")
    if not isinstance(target, str) or not _TARGET.match(target):
        raise RuleError(f"{where}：target 必须是 3–6 位号码，如 \"119\"，实际是 {target!r}")
    service, name = item.get("service", ""), item.get("name", "")
    if not isinstance(service, str) or not service or not isinstance(name, str) or not name:
        raise RuleError(f"{where}：service 和 name 不能为空")
    words = item.get("words")
    if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
        raise RuleError(f"{where}：words 必须是非空文字列表")
    priority = item.get("priority", 100)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise RuleError(f"{where}：priority 必须是整数")
    cleaned = tuple(dict.fromkeys("".join(w.split()) for w in words))
    return EmergencyRule(target, service, name, cleaned, priority)


def emergency_rules_from_dicts(items: Iterable[Mapping[str, Any]]) -> list[EmergencyRule]:
    if isinstance(items, Mapping | str | bytes):
        raise RuleError("紧急规则必须是列表")
    return [emergency_rule_from_dict(item, i) for i, item in enumerate(items)]


def load_emergency_rules(path: str | os.PathLike[str]) -> list[EmergencyRule]:
    return emergency_rules_from_dicts(read_rules_file(path, section="emergency"))


def default_emergency_rules() -> list[EmergencyRule]:
    text = resources.files("ivr.classify").joinpath("default_emergency.toml").read_text(encoding="utf-8")
    return emergency_rules_from_dicts(parse_rules_text(text, "toml", section="emergency"))


class EmergencyDetector:
    def __init__(self, rules: Sequence[EmergencyRule]) -> None:
        self.rules = list(rules)

    def detect(self, text: str) -> EmergencyTrigger | None:
        """The one trigger to route on: best priority, then the earliest word in the text."""
        triggers = self.detect_all(text)
        return triggers[0] if triggers else None

    def detect_all(self, text: str) -> list[EmergencyTrigger]:
        """One trigger per matching rule (its earliest word), best first, for the linkage log."""
        flat = "".join(text.split())
        found = []
        for rule in self.rules:
            hits = [(flat.find(w), w) for w in rule.words if w in flat]
            if hits:
                position, word = min(hits, key=lambda h: (h[0], -len(h[1])))
                found.append(EmergencyTrigger(rule.target, rule.service, rule.name, word, position, rule.priority))
        return sorted(found, key=lambda t: (t.priority, t.position))
