"""Merged hotlines (并入热线) and the queues they feed, as data an admin edits."""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class MergeMode(StrEnum):
    HUB = "hub"              # 12345 itself
    ABSORBED = "absorbed"    # 整体并入: number retired, announcement then the 12345 flow
    PARALLEL = "parallel"    # 双号并行: number kept, dedicated queue (专席) with overflow to the pool
    SUBCENTER = "subcenter"  # 设分中心: a sub-center with its own seats takes the call

    @property
    def label(self) -> str:
        return MODE_LABELS[self]

    @classmethod
    def from_label(cls, text: str) -> MergeMode:
        for mode, label in MODE_LABELS.items():
            if text in (label, mode.value):
                return mode
        raise ValueError(f"unknown merge mode {text!r}; expected one of {', '.join(MODE_LABELS.values())}")


MODE_LABELS = {MergeMode.HUB: "12345主号", MergeMode.ABSORBED: "整体并入",
               MergeMode.PARALLEL: "双号并行", MergeMode.SUBCENTER: "设分中心"}

GENERAL_QUEUE = "hotline-general"


class HotlineLine(Base):
    """One number citizens dial. The IVR looks the dialed number up here to route the call."""

    __tablename__ = "hotline_line"
    __table_args__ = (
        CheckConstraint("mode IN ('hub', 'absorbed', 'parallel', 'subcenter')", name="mode_valid"),
        CheckConstraint("overflow_after >= 0 AND overflow_after <= 600", name="overflow_range"),
    )

    number: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(64), default="")
    mode: Mapped[str] = mapped_column(String(16))
    # 双号并行: the dedicated queue; 设分中心: the sub-center's queue (or empty when dial_target is used)
    queue: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # seconds in the dedicated queue before overflowing to the general pool (0 = never overflow)
    overflow_after: Mapped[int] = mapped_column(Integer, default=60)
    # 设分中心 reached by number instead of a local queue, e.g. PJSIP/95598@trunk
    dial_target: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # service hours of the dedicated seats, "HH:MM-HH:MM" (Asia/Shanghai); outside them the pool answers
    hours: Mapped[str] = mapped_column(String(32), default="00:00-24:00")
    note: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
