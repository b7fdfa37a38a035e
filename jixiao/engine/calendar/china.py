"""China's public holiday arrangements (全国年节及纪念日放假安排), as published each November by
the General Office of the State Council (国务院办公厅关于 YYYY 年部分节假日安排的通知).

Each year is a tuple of (ISO date, kind, name): kind "holiday" for every day of a holiday period
(weekends inside the period included, so that a calendar page can name them), "workday" for
the weekend days worked in exchange (调休上班). The data migration that seeds the calendar
imports these constants by name: never change a published year; add a new constant for a new
year and a new migration for it.

Sources, checked against the notices as reprinted by Xinhua (新华社):
- 2025: 国办发明电〔2024〕12号, 12 November 2024 (the first year under the November 2024
  revision that added New Year's Eve and 2 May: 13 statutory days).
- 2026: notice of 4 November 2025.
"""

from __future__ import annotations

import datetime as dt

Arrangement = tuple[tuple[str, str, str], ...]

HOLIDAY = "holiday"
WORKDAY = "workday"


def _span(first: str, last: str, name: str) -> tuple[tuple[str, str, str], ...]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    days = (end - start).days + 1
    return tuple(((start + dt.timedelta(days=i)).isoformat(), HOLIDAY, name) for i in range(days))


def _work(*dates: str, name: str) -> tuple[tuple[str, str, str], ...]:
    return tuple((d, WORKDAY, name) for d in dates)


CHINA_2025: Arrangement = (
    *_span("2025-01-01", "2025-01-01", "元旦"),
    *_span("2025-01-28", "2025-02-04", "春节"),
    *_work("2025-01-26", "2025-02-08", name="春节"),
    *_span("2025-04-04", "2025-04-06", "清明节"),
    *_span("2025-05-01", "2025-05-05", "劳动节"),
    *_work("2025-04-27", name="劳动节"),
    *_span("2025-05-31", "2025-06-02", "端午节"),
    *_span("2025-10-01", "2025-10-08", "国庆节、中秋节"),
    *_work("2025-09-28", "2025-10-11", name="国庆节、中秋节"),
)

CHINA_2026: Arrangement = (
    *_span("2026-01-01", "2026-01-03", "元旦"),
    *_work("2026-01-04", name="元旦"),
    *_span("2026-02-15", "2026-02-23", "春节"),
    *_work("2026-02-14", "2026-02-28", name="春节"),
    *_span("2026-04-04", "2026-04-06", "清明节"),
    *_span("2026-05-01", "2026-05-05", "劳动节"),
    *_work("2026-05-09", name="劳动节"),
    *_span("2026-06-19", "2026-06-21", "端午节"),
    *_span("2026-09-25", "2026-09-27", "中秋节"),
    *_span("2026-10-01", "2026-10-07", "国庆节"),
    *_work("2026-09-20", "2026-10-10", name="国庆节"),
)

ARRANGEMENTS: dict[int, Arrangement] = {2025: CHINA_2025, 2026: CHINA_2026}


def split(arrangement: Arrangement) -> tuple[list[str], list[str]]:
    """The holidays and the extra working days of an arrangement, as ISO dates."""
    holidays = [d for d, kind, _ in arrangement if kind == HOLIDAY]
    workdays = [d for d, kind, _ in arrangement if kind == WORKDAY]
    return holidays, workdays
