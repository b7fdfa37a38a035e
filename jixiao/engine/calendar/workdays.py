"""Working days under a calendar with public holidays and adjusted working weekends (调休).

A calendar is a weekmask (which weekdays are normally worked), a set of holidays (days off
that would otherwise be worked) and a set of extra working days (weekend days worked in
exchange, 调休上班). numpy's busday functions know the first two but not the third, so every
count here is numpy's count over the weekmask and holidays plus the extra working days found
by `searchsorted`, and every offset inverts that cumulative count the same way. Nothing loops
over the input rows: a million dates cost a few array operations.

Conventions (the same as numpy.busday_count / busday_offset):

- `working_days_between(cal, start, end)` counts the working days in [start, end): the start
  is counted, the end is not. When end < start the count of [end, start) is returned negated.
- `working_days_inclusive(cal, start, end)` counts [start, end] (both ends), negated likewise
  when end < start: "received on the 3rd, closed on the 7th" is a span of both days.
- `add_working_days(cal, dates, n, roll)` first rolls a non-working date to a working day
  ("forward" to the next, "backward" to the previous, "raise" refuses), then moves n working
  days (n may be negative).
- `deadline(cal, received, n)` is the n-th working day after the day of receipt (the day of
  receipt does not count, as in 公文 time limits "N 个工作日内办结"); n = 0 means the first
  working day on or after receipt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

DateArray = npt.NDArray[np.datetime64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Roll = Literal["forward", "backward", "raise"]

DAY = np.timedelta64(1, "D")
# Any fixed day works: counts are differences of a cumulative count from this day.
EPOCH = np.datetime64("1970-01-01", "D")
MON_FRI = (True, True, True, True, True, False, False)
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CalendarError(ValueError):
    """A calendar or a date the functions cannot use; the reason in Chinese and English."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(message_en)


def as_dates(values: Any) -> DateArray:
    """Dates as datetime64[D]: accepts datetime64 arrays, datetime.date objects and ISO text.

    NaT is refused: a missing date has no working-day count, so callers mask it first.
    """
    try:
        arr = np.asarray(values, dtype="datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise CalendarError("日期无法识别。", f"Not a date: {exc}") from None
    if np.isnat(arr).any():
        raise CalendarError("日期不能为空。", "A date is missing (NaT).")
    return arr


def parse_weekmask(weekmask: str | Sequence[bool] | Sequence[int]) -> tuple[bool, ...]:
    """ "1111100", or seven flags from Monday to Sunday."""
    if isinstance(weekmask, str):
        text = weekmask.strip()
        if len(text) != 7 or set(text) - {"0", "1"}:
            raise CalendarError(
                "工作周须为 7 位 0/1，自周一起，如 1111100。",
                "A weekmask is seven 0/1 digits from Monday, e.g. 1111100.",
            )
        flags = tuple(c == "1" for c in text)
    else:
        flags = tuple(bool(x) for x in weekmask)
        if len(flags) != 7:
            raise CalendarError(
                "工作周须为周一至周日 7 个标志。",
                "A weekmask has seven flags, Monday to Sunday.",
            )
    if not any(flags):
        raise CalendarError(
            "工作周至少要有一天工作日。", "A weekmask needs at least one working day."
        )
    return flags


def _sorted_unique(values: Any) -> DateArray:
    arr = as_dates(values if values is not None else [])
    return np.unique(arr.reshape(-1))


@dataclass(frozen=True, eq=False)
class WorkCalendar:
    """An immutable working-day calendar. Build it with `WorkCalendar.build`.

    `holidays` and `workdays` keep every date given (sorted, unique), so that a holiday on a
    weekend can still be named on a page; the counts use only the dates that change
    something: holidays on weekmask days and extra working days off the weekmask.
    """

    weekmask: tuple[bool, ...]
    holidays: DateArray
    workdays: DateArray
    _base: np.busdaycalendar = field(repr=False)
    _extra: DateArray = field(repr=False)
    _extra_rank: IntArray = field(repr=False)

    @classmethod
    def build(
        cls,
        weekmask: str | Sequence[bool] | Sequence[int] = MON_FRI,
        holidays: Any = (),
        workdays: Any = (),
    ) -> WorkCalendar:
        mask = parse_weekmask(weekmask)
        hol = _sorted_unique(holidays)
        work = _sorted_unique(workdays)
        clash = np.intersect1d(hol, work)
        if clash.size:
            days = ", ".join(str(d) for d in clash[:5])
            raise CalendarError(
                f"同一天不能既放假又调休上班：{days}。",
                f"A day cannot be both a holiday and a working day: {days}.",
            )
        mask_arr = np.array(mask, dtype=bool)
        base = np.busdaycalendar(weekmask=mask_arr, holidays=hol)
        extra = work[~np.is_busday(work, weekmask=mask_arr)] if work.size else work
        # The cumulative working-day count at each extra day: numpy's count plus the extra
        # days before it. Strictly increasing, so offsets can search it.
        rank = (
            np.busday_count(EPOCH, extra, busdaycal=base).astype(np.int64)
            + np.arange(extra.size, dtype=np.int64)
            if extra.size
            else np.zeros(0, dtype=np.int64)
        )
        return cls(mask, hol, work, base, extra, rank)

    @property
    def weekmask_text(self) -> str:
        return "".join("1" if x else "0" for x in self.weekmask)

    # ------------------------------------------------------------ the cumulative count

    def _extra_before(self, dates: DateArray) -> IntArray:
        return np.searchsorted(self._extra, dates, side="left").astype(np.int64)

    def _cumulative(self, dates: DateArray) -> IntArray:
        """Working days in [EPOCH, date), negated for dates before EPOCH (up to a constant)."""
        base = np.busday_count(EPOCH, dates, busdaycal=self._base).astype(np.int64)
        return base + self._extra_before(dates)

    def _nth(self, k: IntArray) -> DateArray:
        """The working day whose cumulative count is k: the inverse of `_cumulative`."""
        k = np.asarray(k, dtype=np.int64)
        j = np.searchsorted(self._extra_rank, k, side="left").astype(np.int64)
        hit = np.zeros(k.shape, dtype=bool)
        if self._extra.size:
            jj = np.minimum(j, self._extra.size - 1)
            hit = (j < self._extra.size) & (self._extra_rank[jj] == k)
        # Otherwise the day is a regular working day with j extra days before it.
        regular = np.busday_offset(EPOCH, k - j, roll="forward", busdaycal=self._base)
        if not hit.any():
            return np.asarray(regular, dtype="datetime64[D]")
        extra = self._extra[np.minimum(j, self._extra.size - 1)]
        return np.asarray(np.where(hit, extra, regular), dtype="datetime64[D]")


def is_working_day(cal: WorkCalendar, dates: Any) -> BoolArray:
    d = as_dates(dates)
    regular = np.is_busday(d, busdaycal=cal._base)
    if not cal._extra.size:
        return np.asarray(regular, dtype=bool)
    idx = np.minimum(np.searchsorted(cal._extra, d), cal._extra.size - 1)
    return np.asarray(regular | (cal._extra[idx] == d), dtype=bool)


def working_days_between(cal: WorkCalendar, start: Any, end: Any) -> IntArray:
    """Working days in [start, end); negative when end < start. Broadcasts like numpy."""
    s, e = as_dates(start), as_dates(end)
    return np.asarray(cal._cumulative(e) - cal._cumulative(s), dtype=np.int64)


def working_days_inclusive(cal: WorkCalendar, start: Any, end: Any) -> IntArray:
    """Working days in [start, end], both ends counted; when end < start, minus the count of
    [end, start]."""
    s, e = as_dates(start), as_dates(end)
    forward = cal._cumulative(e + DAY) - cal._cumulative(s)
    backward = cal._cumulative(e) - cal._cumulative(s + DAY)
    return np.asarray(np.where(e >= s, forward, backward), dtype=np.int64)


def add_working_days(cal: WorkCalendar, dates: Any, n: Any, roll: Roll = "forward") -> DateArray:
    """Move n working days from each date (numpy.busday_offset semantics, with 调休)."""
    d = as_dates(dates)
    steps = np.asarray(n)
    if steps.dtype.kind not in "iub":
        raise CalendarError("工作日数须为整数。", "A number of working days must be an integer.")
    steps = steps.astype(np.int64)
    if roll == "forward":
        k = cal._cumulative(d)
    elif roll == "backward":
        k = cal._cumulative(d + DAY) - 1
    elif roll == "raise":
        if not is_working_day(cal, d).all():
            raise CalendarError("起始日不是工作日。", "A start date is not a working day.")
        k = cal._cumulative(d)
    else:
        raise CalendarError("不支持的顺延方式。", f"Unknown roll {roll!r}.")
    return cal._nth(k + steps)


def deadline(cal: WorkCalendar, received: Any, n: Any) -> DateArray:
    """The n-th working day after the day of receipt (which itself does not count)."""
    steps = np.asarray(n)
    if steps.dtype.kind not in "iub":
        raise CalendarError("工作日数须为整数。", "A number of working days must be an integer.")
    if (steps < 0).any():
        raise CalendarError("期限不能为负数。", "A time limit cannot be negative.")
    d = as_dates(received)
    # The n-th working day in (received, ...) is n - 1 steps from the first working day after
    # receipt; for n = 0, the first working day on or after receipt.
    nxt = cal._cumulative(d + DAY) + steps.astype(np.int64) - 1
    same = cal._cumulative(d)
    return cal._nth(np.where(steps == 0, same, nxt))


def working_days_in(cal: WorkCalendar, start: Any, end: Any) -> DateArray:
    """The working days in [start, end) of one span, in order (for grids and lists)."""
    s, e = as_dates(start), as_dates(end)
    if s.ndim or e.ndim:
        raise CalendarError("只能给出一个区间。", "Give one span, not arrays.")
    if e <= s:
        return np.zeros(0, dtype="datetime64[D]")
    days = s + np.arange(int((e - s) / DAY)) * DAY
    return np.asarray(days[is_working_day(cal, days)], dtype="datetime64[D]")
