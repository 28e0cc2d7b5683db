"""Typed prompt errors with stable ids."""
from __future__ import annotations


class PromptError(Exception):
    error_id = "prompts.error"


class CatalogueError(PromptError):
    error_id = "prompts.catalogue_invalid"


class UnknownPromptError(PromptError, KeyError):
    error_id = "prompts.unknown"

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class MissingValueError(PromptError):
    error_id = "prompts.missing_value"


class ToolMissingError(PromptError):
    """espeak-ng, sox or pypinyin is not installed, so placeholder audio cannot be made."""

    error_id = "prompts.tool_missing"


class SynthesisError(PromptError):
    error_id = "prompts.synthesis_failed"
