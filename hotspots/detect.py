"""The spike detector: today's count of a category (and of a category in one district) against the
mean and standard deviation of the previous days. Pure: day counts in, warnings out.

A day without tickets is a zero in the baseline. The spread is floored at 1 so a perfectly flat
series (five a day for four weeks, six today) is not a spike; the minimum count keeps a quiet
category going from 0 to 2 out of the list.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from hotspots.counts import DayCount

MIN_SPREAD = 1.0


@dataclass(frozen=True)
class Settings:
    z_threshold: float = 3.0
    min_count: int = 5
    baseline_days: int = 28


@dataclass(frozen=True)
class EarlyWarning:
    category: str | None
    district: str | None     # None: the category across the whole city
    today: int
    mean: float
    spread: float            # the baseline's standard deviation (before the floor)
    z: float

    @property
    def ratio(self) -> float | None:
        return None if self.mean == 0 else round(self.today / self.mean, 1)


def baseline(series: dict[date, int], today: date, days: int) -> tuple[float, float]:
    """Mean and population standard deviation of the `days` days before `today`."""
    values = [series.get(today - timedelta(days=i), 0) for i in range(1, days + 1)]
    mean = sum(values) / days
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / days)


def spikes(rows: Iterable[DayCount], today: date, settings: Settings = Settings()) -> list[EarlyWarning]:
    """Warnings for `today`, city-wide categories first, then by z-score (highest first)."""
    series: dict[tuple[str | None, str | None, bool], dict[date, int]] = {}
    for r in rows:
        for key in ((r.category, None, True), (r.category, r.district, False)):
            days = series.setdefault(key, {})
            days[r.day] = days.get(r.day, 0) + r.count
    out: list[tuple[bool, EarlyWarning]] = []
    for (category, district, city), days in series.items():
        count = days.get(today, 0)
        if count < settings.min_count:
            continue
        mean, spread = baseline(days, today, settings.baseline_days)
        z = (count - mean) / max(spread, MIN_SPREAD)
        if z >= settings.z_threshold:
            out.append((city, EarlyWarning(category, district, count, round(mean, 2), round(spread, 2), round(z, 2))))
    out.sort(key=lambda cw: (not cw[0], -cw[1].z, cw[1].category or "", cw[1].district or ""))
    return [w for _, w in out]
