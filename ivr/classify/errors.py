"""Typed classification errors with stable ids; messages are Chinese because admins see them."""
from __future__ import annotations


class ClassifyError(Exception):
    error_id = "classify.error"


class RuleError(ClassifyError):
    """An admin-edited rule file or rule dict is malformed."""

    error_id = "classify.rule_invalid"


class NotReadyError(ClassifyError):
    """The word segmenter has not been initialised (call `await start()` first)."""

    error_id = "classify.not_ready"
