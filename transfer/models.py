"""The linkage ledger (联动台账): one row per transfer an agent started from the console.

Emergency transfers (110/119/120/122, 国办发〔2022〕12号) and sub-center transfers share the table;
`kind` tells them apart. Instants are aware UTC. Only transfer.ledger writes it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base
from tickets.models import Id, UtcDateTime

KINDS = ("emergency", "subcenter")
MODES = ("blind", "threeway", "attended")
RESULTS = ("answered", "busy", "no_answer", "failed")


def _in(column: str, values: tuple[str, ...]) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=f"{column}_valid")


class LedgerRow(Base):
    __tablename__ = "transfer_ledger"
    __table_args__ = (
        _in("kind", KINDS), _in("mode", MODES),
        CheckConstraint("result IS NULL OR result IN ('answered', 'busy', 'no_answer', 'failed')", name="result_valid"),
        Index("ix_transfer_ledger_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    ticket: Mapped[str | None] = mapped_column(String(32), index=True)
    citizen_number: Mapped[str | None] = mapped_column(String(32))
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    citizen_channel: Mapped[str] = mapped_column(String(128))
    agent_channel: Mapped[str] = mapped_column(String(128))
    target: Mapped[str] = mapped_column(String(64))        # 119, or a sub-center line / dial string
    dial: Mapped[str] = mapped_column(String(128))         # what Asterisk dialed
    mode: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))         # the agent's username
    state: Mapped[str] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
