"""Typed knowledge-base errors with stable ids; messages are Chinese because admins and agents see them."""
from __future__ import annotations

from dataclasses import dataclass


class KnowledgeError(Exception):
    error_id = "knowledge.error"


@dataclass(frozen=True)
class RowProblem:
    """One bad field of one row; `line` is the 1-based line of the file where the row starts."""

    line: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        return f"第 {self.line} 行 {self.field}：{self.message}"


class ImportFormatError(KnowledgeError):
    """The file as a whole cannot be read (not UTF-8, not CSV/JSON, missing columns, too large)."""

    error_id = "knowledge.import.format"

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"第 {line} 行：{message}")
        self.line = line


class ImportInvalidError(KnowledgeError):
    """Some rows are invalid; nothing was imported. `problems` names every bad row by line."""

    error_id = "knowledge.import.invalid"

    def __init__(self, problems: list[RowProblem]) -> None:
        shown = "；".join(str(p) for p in problems[:5])
        more = f"（另有 {len(problems) - 5} 处）" if len(problems) > 5 else ""
        super().__init__(f"导入失败，{len(problems)} 处错误：{shown}{more}")
        self.problems = problems


class NotReadyError(KnowledgeError):
    """The search index has not been built yet (call `await start()` first)."""

    error_id = "knowledge.not_ready"
