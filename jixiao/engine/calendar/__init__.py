"""Working-day calendars (DOMAIN.md §2): counts and offsets with holidays and 调休 workdays.

Pure numpy: the calendar page, the API, durations in reports and planning use the same code.
"""

from jixiao.engine.calendar.china import ARRANGEMENTS, CHINA_2025, CHINA_2026
from jixiao.engine.calendar.workdays import (
    MON_FRI,
    CalendarError,
    WorkCalendar,
    add_working_days,
    as_dates,
    deadline,
    is_working_day,
    parse_weekmask,
    working_days_between,
    working_days_in,
    working_days_inclusive,
)

__all__ = [
    "ARRANGEMENTS",
    "CHINA_2025",
    "CHINA_2026",
    "MON_FRI",
    "CalendarError",
    "WorkCalendar",
    "add_working_days",
    "as_dates",
    "deadline",
    "is_working_day",
    "parse_weekmask",
    "working_days_between",
    "working_days_in",
    "working_days_inclusive",
]
