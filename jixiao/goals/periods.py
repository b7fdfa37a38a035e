"""Planning periods named by short keys: "2026" (year), "2026-H1" (half), "2026-Q3" (quarter),
"2026-03" (month). A key gives its kind and its first and last day; keys sort by start date
within a kind, and the year of a period is the year its key starts with.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    YEAR = "year", _("Year")
    HALF = "half", _("Half-year")
    QUARTER = "quarter", _("Quarter")
    MONTH = "month", _("Month")


_KEY = re.compile(
    r"^(?P<year>\d{4})(?:-(?:H(?P<half>[12])|Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$"
)


@dataclass(frozen=True, slots=True)
class Period:
    key: str
    kind: str
    year: int
    start: datetime.date
    end: datetime.date

    @property
    def label(self) -> str:
        """The Chinese label, e.g. 2026年第三季度."""
        if self.kind == PeriodKind.YEAR:
            return f"{self.year}年"
        if self.kind == PeriodKind.HALF:
            return f"{self.year}年{'上' if self.start.month == 1 else '下'}半年"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.year}年第{'一二三四'[(self.start.month - 1) // 3]}季度"
        return f"{self.year}年{self.start.month}月"

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def elapsed_share(self, today: datetime.date) -> float:
        """How much of the period has passed on `today`, from 0 to 1."""
        if today < self.start:
            return 0.0
        if today >= self.end:
            return 1.0
        return ((today - self.start).days + 1) / ((self.end - self.start).days + 1)


def parse_period(key: str) -> Period | None:
    """The period a key names, or None when the key is malformed or outside 2000–2100."""
    m = _KEY.match(key.strip())
    if m is None:
        return None
    year = int(m["year"])
    if not 2000 <= year <= 2100:
        return None
    if m["half"]:
        first = 1 if m["half"] == "1" else 7
        return _span(key.strip(), PeriodKind.HALF, year, first, first + 5)
    if m["quarter"]:
        first = 3 * (int(m["quarter"]) - 1) + 1
        return _span(key.strip(), PeriodKind.QUARTER, year, first, first + 2)
    if m["month"]:
        month = int(m["month"])
        return _span(key.strip(), PeriodKind.MONTH, year, month, month)
    return _span(key.strip(), PeriodKind.YEAR, year, 1, 12)


def _span(key: str, kind: str, year: int, first_month: int, last_month: int) -> Period:
    last_day = calendar.monthrange(year, last_month)[1]
    return Period(
        key=key,
        kind=kind,
        year=year,
        start=datetime.date(year, first_month, 1),
        end=datetime.date(year, last_month, last_day),
    )


def period_keys_of_year(year: int) -> list[str]:
    """Every key of a year, the year first, then halves, quarters and months."""
    return [
        str(year),
        *(f"{year}-H{h}" for h in (1, 2)),
        *(f"{year}-Q{q}" for q in (1, 2, 3, 4)),
        *(f"{year}-{m:02d}" for m in range(1, 13)),
    ]


def period_choices(years: list[int]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for year in years:
        for key in period_keys_of_year(year):
            p = parse_period(key)
            assert p is not None
            out.append((key, p.label))
    return out


def current_period_key(kind: str, today: datetime.date) -> str:
    if kind == PeriodKind.HALF:
        return f"{today.year}-H{1 if today.month <= 6 else 2}"
    if kind == PeriodKind.QUARTER:
        return f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    if kind == PeriodKind.MONTH:
        return f"{today.year}-{today.month:02d}"
    return str(today.year)
