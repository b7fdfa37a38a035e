"""Who is graded in a cycle (DOMAIN.md §6, the special cases of the 2023 rules).

- under investigation (停职调查) at the end of the cycle: the grade is deferred;
- on leave other than maternity leave for more than six months of the cycle: no grade
  (maternity leave is graded);
- seconded for more than six months of the cycle: appraised by the host unit;
- hired less than six months before the end of the cycle: a comment only, no grade;
- everyone else is graded.

The month limits are parameters. Status history comes as spans (person, status, start, end),
end NaT while the status lasts; days are counted inside the cycle, both ends included.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

GRADED = "graded"
COMMENT_ONLY = "comment_only"
NO_GRADE = "no_grade"
DEFERRED = "deferred"
HOST_UNIT = "host_unit"

SICK_LEAVE = "sick_leave"
MATERNITY = "maternity"
SUSPENDED = "suspended"
SECONDED = "seconded"


@dataclass(frozen=True, slots=True)
class EligibilityRules:
    new_hire_months: int = 6
    leave_months: int = 6
    seconded_months: int = 6


@dataclass(frozen=True, slots=True)
class Eligibility:
    kind: NDArray[np.str_]
    """Per person: graded, comment_only, no_grade, deferred or host_unit."""
    leave_days: NDArray[np.int64]
    seconded_days: NDArray[np.int64]
    hire_date: NDArray[np.datetime64]


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` earlier (the last day of a shorter month when needed)."""
    month = day.month - 1 - months
    year = day.year + month // 12
    month = month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _days_in_cycle(
    person: NDArray[np.int64],
    start: NDArray[np.datetime64],
    end: NDArray[np.datetime64],
    mask: NDArray[np.bool_],
    cycle_start: np.datetime64,
    cycle_end: np.datetime64,
    people: int,
) -> NDArray[np.int64]:
    s = np.maximum(start, cycle_start)
    e = np.where(np.isnat(end), cycle_end, np.minimum(end, cycle_end))
    days = (e - s).astype("timedelta64[D]").astype(np.int64) + 1
    days = np.where(mask & (days > 0), days, 0)
    return np.bincount(person, weights=days, minlength=people).astype(np.int64)


def eligibility(
    *,
    people: int,
    hire_date: NDArray[np.datetime64],
    span_person: NDArray[np.int64],
    span_status: NDArray[np.str_],
    span_start: NDArray[np.datetime64],
    span_end: NDArray[np.datetime64],
    cycle_start: datetime.date,
    cycle_end: datetime.date,
    rules: EligibilityRules = EligibilityRules(),
) -> Eligibility:
    """The eligibility of every person for one cycle."""
    c_start = np.datetime64(cycle_start, "D")
    c_end = np.datetime64(cycle_end, "D")
    hire = np.asarray(hire_date, dtype="datetime64[D]")
    sp = np.asarray(span_person, dtype=np.int64)
    st = np.asarray(span_status)
    s0 = np.asarray(span_start, dtype="datetime64[D]")
    s1 = np.asarray(span_end, dtype="datetime64[D]")
    leave = _days_in_cycle(sp, s0, s1, st == SICK_LEAVE, c_start, c_end, people)
    seconded = _days_in_cycle(sp, s0, s1, st == SECONDED, c_start, c_end, people)
    open_at_end = (st == SUSPENDED) & (s0 <= c_end) & (np.isnat(s1) | (s1 >= c_end))
    suspended = np.bincount(sp, weights=open_at_end.astype(np.float64), minlength=people) > 0

    def limit(months: int) -> int:
        return (cycle_end - months_before(cycle_end, months)).days

    hire_cut = np.datetime64(months_before(cycle_end, rules.new_hire_months), "D")
    new_hire = ~np.isnat(hire) & (hire > hire_cut)
    kind = np.full(people, GRADED, dtype="<U12")
    kind[new_hire] = COMMENT_ONLY
    kind[seconded > limit(rules.seconded_months)] = HOST_UNIT
    kind[leave > limit(rules.leave_months)] = NO_GRADE
    kind[suspended] = DEFERRED
    return Eligibility(kind=kind, leave_days=leave, seconded_days=seconded, hire_date=hire)
