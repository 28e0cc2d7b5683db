"""Typed transfer errors: a stable id for logs/tests, a Chinese message for the agent, an HTTP status."""
from __future__ import annotations


class TransferError(Exception):
    def __init__(self, error_id: str, message: str, status: int = 400, detail: str = "") -> None:
        super().__init__(f"{error_id}: {message}" + (f" ({detail})" if detail else ""))
        self.error_id = error_id
        self.message = message
        self.status = status
        self.detail = detail
