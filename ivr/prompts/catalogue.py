"""The prompt catalogue: every IVR announcement by name, Chinese first, checked at load time.

A catalogue an operator edited is validated when loaded (every required prompt present, Chinese
text for each, the same placeholders in every language), so a typo fails at start-up rather than
in the middle of a call.
"""
from __future__ import annotations

import os
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ivr.prompts.errors import CatalogueError, MissingValueError, UnknownPromptError

LANGUAGES = ("zh", "en", "yue")
REQUIRED_PROMPTS = (
    "hotline/welcome", "hotline/choose-language", "hotline/merged-number", "hotline/intake-invite",
    "hotline/intake-thanks", "hotline/invalid", "hotline/after-hours-menu", "hotline/subcenter-menu",
    "hotline/emergency-transfer", "hotline/callback-later", "hotline/goodbye", "hotline/ticket-number",
)


@dataclass(frozen=True)
class Prompt:
    name: str
    texts: Mapping[str, str]
    placeholders: frozenset[str]
    example: Mapping[str, str]

    def text(self, lang: str = "zh", /, **values: Any) -> str:
        """The text in `lang` (Chinese when that variant is missing) with placeholders filled."""
        missing = self.placeholders - values.keys()
        if missing:
            raise MissingValueError(f"提示音 {self.name} 缺少参数：{', '.join(sorted(missing))}")
        template = self.texts.get(lang, self.texts["zh"])
        return template.format_map({k: str(v) for k, v in values.items()})

    def example_text(self, lang: str = "zh") -> str:
        return self.text(lang, **self.example)


@dataclass(frozen=True)
class PromptCatalogue:
    prompts: Mapping[str, Prompt]

    @property
    def names(self) -> list[str]:
        return list(self.prompts)

    def get(self, name: str) -> Prompt:
        try:
            return self.prompts[name]
        except KeyError:
            raise UnknownPromptError(f"未知提示音：{name}") from None

    def text(self, name: str, lang: str = "zh", /, **values: Any) -> str:
        return self.get(name).text(lang, **values)


def _placeholders(name: str, lang: str, template: str) -> frozenset[str]:
    fields = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise CatalogueError(f"提示音 {name}.{lang} 的花括号不成对：{exc}") from exc
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise CatalogueError(f"提示音 {name}.{lang} 的占位符必须是 {{名称}} 形式，实际是 {{{field}}}")
        fields.add(field)
    return frozenset(fields)


def _prompt(name: str, table: Any) -> Prompt:
    if not isinstance(table, Mapping):
        raise CatalogueError(f"提示音 {name} 应为表")
    unknown = set(table) - set(LANGUAGES) - {"example"}
    if unknown:
        raise CatalogueError(f"提示音 {name} 有未知字段：{', '.join(sorted(unknown))}")
    zh = table.get("zh")
    if not isinstance(zh, str) or not zh.strip():
        raise CatalogueError(f"提示音 {name} 缺少中文文本（zh）")
    texts = {lang: table[lang] for lang in LANGUAGES if lang in table}
    for lang, text in texts.items():
        if not isinstance(text, str) or not text.strip():
            raise CatalogueError(f"提示音 {name}.{lang} 必须是非空文字")
    placeholders = _placeholders(name, "zh", zh)
    for lang, text in texts.items():
        if _placeholders(name, lang, text) != placeholders:
            raise CatalogueError(f"提示音 {name}.{lang} 的占位符与中文文本不一致")
    example = table.get("example", {})
    if not isinstance(example, Mapping) or set(example) != placeholders:
        raise CatalogueError(f"提示音 {name} 的 example 必须恰好给出占位符 {sorted(placeholders)} 的示例值")
    return Prompt(name, texts, placeholders, {k: str(v) for k, v in example.items()})


def parse_catalogue(text: str) -> PromptCatalogue:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"提示音目录格式错误：{exc}") from exc
    prompts = {name: _prompt(name, table) for name, table in data.items()}
    missing = [name for name in REQUIRED_PROMPTS if name not in prompts]
    if missing:
        raise CatalogueError(f"提示音目录缺少：{', '.join(missing)}")
    return PromptCatalogue(prompts)


def load_catalogue(path: str | os.PathLike[str] | None = None) -> PromptCatalogue:
    """Load an operator's catalogue file, or the shipped one when `path` is None."""
    if path is None:
        return parse_catalogue(resources.files("ivr.prompts").joinpath("catalogue.toml").read_text("utf-8"))
    try:
        return parse_catalogue(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"无法读取提示音目录 {path}：{exc}") from exc
