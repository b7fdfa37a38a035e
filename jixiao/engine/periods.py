"""Calendar periods of recurring appraisal cycles: months, quarters, half-years and years.

Pure date arithmetic (stdlib only, no Django), shared by the recurring cycle series of the
appraisal app and anything else that needs it:

- a period of a kind starts on the first day of a month that is a multiple of the kind's
  length into the year (January; January/April/July/October; January/July; January), and ends
  the day before the next one starts, so periods of a kind tile the calendar without gaps;
- the period of a series whose cycle is created `lead_days` before it starts is *due* on its
  creation day (start − lead_days) and on every day after it: a scheduler that did not run
  for a few days still creates it on its next run.

The kinds are named as the appraisal cycles name them ("monthly", "quarterly", "half_year",
"annual"); cycles of other kinds (special, contract term) do not recur.
"""

from __future__ import annotations

import datetime
from collections.abc import Container, Iterator
from dataclasses import dataclass

MONTHLY = "monthly"
QUARTERLY = "quarterly"
HALF_YEAR = "half_year"
ANNUAL = "annual"
MONTHS: dict[str, int] = {MONTHLY: 1, QUARTERLY: 3, HALF_YEAR: 6, ANNUAL: 12}
KINDS: tuple[str, ...] = tuple(MONTHS)
SHORTEST_DAYS: dict[str, int] = {MONTHLY: 28, QUARTERLY: 90, HALF_YEAR: 181, ANNUAL: 365}
"""The fewest days a period of the kind has (February; Q1 and H1 of a common year)."""

MAX_PERIODS = 1200
"""A guard on the periods one question walks through (a hundred years of months)."""


class PeriodError(ValueError):
    """An unknown kind, or a date that is not the first day of a period of the kind."""


@dataclass(frozen=True, slots=True)
class Period:
    kind: str
    start: datetime.date
    end: datetime.date

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def number(self) -> int:
        """The period's number in its year: month 1–12, quarter 1–4, half 1–2, year 1."""
        return (self.start.month - 1) // months_in(self.kind) + 1

    def creation_day(self, lead_days: int) -> datetime.date:
        """The day its cycle is created: `lead_days` before it starts."""
        return self.start - datetime.timedelta(days=lead_days)


def months_in(kind: str) -> int:
    try:
        return MONTHS[kind]
    except KeyError:
        raise PeriodError(f"not a recurring kind: {kind!r}") from None


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """The first of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_start_of(kind: str, day: datetime.date) -> datetime.date:
    """The first day of the period of the kind that contains `day`."""
    n = months_in(kind)
    return datetime.date(day.year, (day.month - 1) // n * n + 1, 1)


def is_period_start(kind: str, day: datetime.date) -> bool:
    return period_start_of(kind, day) == day


def _check_start(kind: str, start: datetime.date) -> None:
    if not is_period_start(kind, start):
        raise PeriodError(f"{start.isoformat()} does not start a {kind} period")


def next_period_start(kind: str, start: datetime.date) -> datetime.date:
    _check_start(kind, start)
    return _add_months(start, months_in(kind))


def previous_period_start(kind: str, start: datetime.date) -> datetime.date:
    _check_start(kind, start)
    return _add_months(start, -months_in(kind))


def period_end(kind: str, start: datetime.date) -> datetime.date:
    """The last day of the period starting on `start`."""
    return next_period_start(kind, start) - datetime.timedelta(days=1)


def period_at(kind: str, start: datetime.date) -> Period:
    return Period(kind=kind, start=start, end=period_end(kind, start))


def period_of(kind: str, day: datetime.date) -> Period:
    """The period of the kind that contains `day`."""
    return period_at(kind, period_start_of(kind, day))


def periods_from(kind: str, first_start: datetime.date) -> Iterator[Period]:
    """The period starting on `first_start` and every one after it, at most MAX_PERIODS."""
    start = first_start
    _check_start(kind, start)
    for _ in range(MAX_PERIODS):
        if start.year > datetime.MAXYEAR - 1:
            return
        period = period_at(kind, start)
        yield period
        start = period.end + datetime.timedelta(days=1)


def due_periods(
    kind: str,
    first_start: datetime.date,
    today: datetime.date,
    lead_days: int = 0,
    *,
    not_before: datetime.date | None = None,
) -> list[Period]:
    """The periods from `first_start` (and from `not_before`, when later) whose creation day
    is `today` or earlier: every period whose cycle should exist by today."""
    if lead_days < 0:
        raise PeriodError("lead_days must not be negative")
    out: list[Period] = []
    for period in periods_from(kind, first_start):
        if period.creation_day(lead_days) > today:
            break
        if not_before is None or period.start >= not_before:
            out.append(period)
    return out


def next_missing(
    kind: str,
    first_start: datetime.date,
    existing: Container[datetime.date],
    *,
    not_before: datetime.date | None = None,
) -> Period | None:
    """The first period from `first_start` (and `not_before`) whose start is not in
    `existing`: the next cycle a series will create (or should have created already)."""
    for period in periods_from(kind, first_start):
        if not_before is not None and period.start < not_before:
            continue
        if period.start not in existing:
            return period
    return None
