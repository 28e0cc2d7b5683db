"""Guess request type and category of a transcript from keyword rules; the agent confirms.

Scores are weight x distinct keywords found among the jieba words of the text, summed per label,
ranked highest first; every guess carries the words that matched so the agent sees why.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from ivr.classify.errors import RuleError
from ivr.classify.rules import TYPE_CODES, Rule, rule_from_dict, rules_to_dicts
from ivr.classify.segmenter import Segmenter


@dataclass(frozen=True)
class Guess:
    kind: str
    label: str
    score: float
    share: float
    matched: tuple[str, ...]
    code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "code": self.code, "score": self.score,
                "share": self.share, "matched": list(self.matched)}


@dataclass(frozen=True)
class Classification:
    text: str
    tokens: tuple[str, ...]
    types: tuple[Guess, ...] = ()
    categories: tuple[Guess, ...] = ()
    best_type: Guess | None = field(init=False)
    best_category: Guess | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "best_type", self.types[0] if self.types else None)
        object.__setattr__(self, "best_category", self.categories[0] if self.categories else None)

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "types": [g.as_dict() for g in self.types],
                "categories": [g.as_dict() for g in self.categories]}


class Classifier:
    def __init__(self, rules: Sequence[Rule], segmenter: Segmenter | None = None) -> None:
        self._rules = list(rules)
        self._segmenter = segmenter or Segmenter()

    async def start(self, executor: Executor | None = None) -> None:
        await self._segmenter.start(executor, self._keywords(self._rules))

    @property
    def ready(self) -> bool:
        return self._segmenter.ready

    @property
    def rules(self) -> list[Rule]:
        return list(self._rules)

    def rules_as_dicts(self) -> list[dict[str, Any]]:
        return rules_to_dicts(self._rules)

    def set_rules(self, rules: Sequence[Rule | Mapping[str, Any]]) -> None:
        """Swap in edited rules (validated first, so a bad edit leaves the old rules working)."""
        if isinstance(rules, Mapping | str | bytes):
            raise RuleError("规则必须是列表")
        new = [r if isinstance(r, Rule) else rule_from_dict(r, i) for i, r in enumerate(rules)]
        old_words, new_words = self._keywords(self._rules), self._keywords(new)
        if self._segmenter.ready:
            self._segmenter.remove_words(old_words - new_words)
            self._segmenter.add_words(new_words)
        self._rules = new

    def classify(self, text: str) -> Classification:
        """Ranked type and category guesses; empty lists when nothing matched."""
        tokens = tuple(self._segmenter.tokens(text))
        present = set(tokens)
        scores: dict[tuple[str, str], float] = {}
        matched: dict[tuple[str, str], dict[str, None]] = {}
        for rule in self._rules:
            hits = [w for w in rule.keywords if w in present]
            if hits:
                key = (rule.kind, rule.label)
                scores[key] = scores.get(key, 0.0) + rule.weight * len(hits)
                matched.setdefault(key, {}).update(dict.fromkeys(hits))
        return Classification(text, tokens, self._ranked("type", scores, matched),
                              self._ranked("category", scores, matched))

    @staticmethod
    def _ranked(kind: str, scores: dict[tuple[str, str], float],
                matched: dict[tuple[str, str], dict[str, None]]) -> tuple[Guess, ...]:
        mine = [(label, score) for (k, label), score in scores.items() if k == kind]
        total = sum(score for _, score in mine)
        ranked = sorted(mine, key=lambda item: -item[1])
        return tuple(
            Guess(kind, label, score, round(score / total, 4), tuple(matched[(kind, label)]),
                  TYPE_CODES.get(label) if kind == "type" else None)
            for label, score in ranked
        )

    @staticmethod
    def _keywords(rules: Sequence[Rule]) -> set[str]:
        return {w for rule in rules for w in rule.keywords}
