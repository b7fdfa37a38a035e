"""Working days with holidays and 调休: golden values from China's 2025 and 2026 arrangements,
and properties against a plain day-by-day reference implementation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.engine.calendar import (
    CHINA_2025,
    CHINA_2026,
    CalendarError,
    WorkCalendar,
    add_working_days,
    deadline,
    is_working_day,
    working_days_between,
    working_days_in,
    working_days_inclusive,
)
from jixiao.engine.calendar.china import split

D = np.datetime64


def china(arrangement) -> WorkCalendar:
    holidays, workdays = split(arrangement)
    return WorkCalendar.build("1111100", holidays, workdays)


CN = WorkCalendar.build(
    "1111100",
    split(CHINA_2025)[0] + split(CHINA_2026)[0],
    split(CHINA_2025)[1] + split(CHINA_2026)[1],
)


# ---------------------------------------------------------------- the reference


class Reference:
    """Day by day, the way a person counts on a wall calendar."""

    def __init__(self, weekmask, holidays, workdays):
        self.weekmask = weekmask
        self.holidays = {dt.date.fromisoformat(str(d)) for d in holidays}
        self.workdays = {dt.date.fromisoformat(str(d)) for d in workdays}

    def works(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return bool(self.weekmask[day.weekday()])

    def between(self, start: dt.date, end: dt.date) -> int:
        sign, lo, hi = (1, start, end) if start <= end else (-1, end, start)
        n, day = 0, lo
        while day < hi:
            n += self.works(day)
            day += dt.timedelta(days=1)
        return sign * n

    def inclusive(self, start: dt.date, end: dt.date) -> int:
        lo, hi = min(start, end), max(start, end)
        n = self.between(lo, hi + dt.timedelta(days=1))
        return n if start <= end else -n

    def step(self, day: dt.date, direction: int) -> dt.date:
        day += dt.timedelta(days=direction)
        while not self.works(day):
            day += dt.timedelta(days=direction)
        return day

    def offset(self, day: dt.date, n: int, roll: str) -> dt.date:
        if not self.works(day):
            day = self.step(day, 1 if roll == "forward" else -1)
        for _ in range(abs(n)):
            day = self.step(day, 1 if n > 0 else -1)
        return day

    def deadline(self, received: dt.date, n: int) -> dt.date:
        if n == 0:
            return received if self.works(received) else self.step(received, 1)
        day = received
        for _ in range(n):
            day = self.step(day, 1)
        return day


def as_date(value) -> dt.date:
    return dt.date.fromisoformat(str(value))


# ---------------------------------------------------------------- golden values


@pytest.mark.parametrize(("arrangement", "year"), [(CHINA_2025, 2025), (CHINA_2026, 2026)])
def test_a_year_has_248_working_days(arrangement, year):
    # 365 days − 104 weekend days − 13 statutory holiday days (since the 2024 revision).
    cal = china(arrangement)
    assert working_days_between(cal, f"{year}-01-01", f"{year + 1}-01-01") == 248
    assert working_days_inclusive(cal, f"{year}-01-01", f"{year}-12-31") == 248


def test_days_off_per_year_match_the_notices():
    # The 2026 notice gives 33 days off in holiday periods, 2025's 28 (1+8+3+5+3+8).
    assert len(split(CHINA_2025)[0]) == 28
    assert len(split(CHINA_2026)[0]) == 33
    assert len(split(CHINA_2025)[1]) == 5
    assert len(split(CHINA_2026)[1]) == 6


def test_every_adjusted_working_day_is_a_weekend_day():
    for arrangement in (CHINA_2025, CHINA_2026):
        for day in split(arrangement)[1]:
            assert dt.date.fromisoformat(day).weekday() >= 5, day


def test_spring_festival_2025():
    # 1月28日（除夕、周二）至2月4日（周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
    days = np.arange(D("2025-01-25"), D("2025-02-10"))
    got = dict(zip((str(d) for d in days), is_working_day(CN, days).tolist(), strict=True))
    assert got["2025-01-25"] is False  # Saturday
    assert got["2025-01-26"] is True  # Sunday, worked
    assert got["2025-01-27"] is True
    assert not any(got[f"2025-01-{d}"] for d in (28, 29, 30, 31))
    assert not any(got[f"2025-02-0{d}"] for d in (1, 2, 3, 4))
    assert got["2025-02-05"] is True
    assert got["2025-02-08"] is True  # Saturday, worked
    assert got["2025-02-09"] is False
    # January: 23 weekdays − 5 holiday weekdays + Sunday 26th = 19.
    assert working_days_between(CN, "2025-01-01", "2025-02-01") == 19
    # February: 20 weekdays − 3rd and 4th + Saturday 8th = 19.
    assert working_days_between(CN, "2025-02-01", "2025-03-01") == 19


def test_national_day_2026():
    # 10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
    assert is_working_day(CN, ["2026-09-20", "2026-10-10"]).all()
    assert not is_working_day(CN, np.arange(D("2026-10-01"), D("2026-10-08"))).any()
    # A document received on Wednesday 30 September with 3 working days to close is due on
    # Friday 9 October (8th, 9th, then Saturday 10th is the third).
    assert deadline(CN, "2026-09-30", 2) == D("2026-10-09")
    assert deadline(CN, "2026-09-30", 3) == D("2026-10-10")


def test_new_year_2026_counts_the_sunday_worked():
    # 1月1日（周四）至3日（周六）放假调休；1月4日（周日）上班.
    assert working_days_inclusive(CN, "2025-12-31", "2026-01-05") == 3  # 31st, 4th, 5th
    assert deadline(CN, "2025-12-31", 1) == D("2026-01-04")


def test_deadline_across_spring_festival_2025():
    # Received Friday 24 January: the first working day after it is Sunday 26th, the second
    # Monday 27th, the third Wednesday 5 February.
    got = deadline(CN, ["2025-01-24"] * 4, [0, 1, 2, 3])
    assert [str(d) for d in got] == ["2025-01-24", "2025-01-26", "2025-01-27", "2025-02-05"]
    # Received on a holiday: day 0 is the next working day.
    assert deadline(CN, "2025-02-01", 0) == D("2025-02-05")


def test_publicity_of_five_working_days_2025_national_day():
    # 公示不少于5个工作日, starting Friday 26 September 2025: 26th, Sunday 28th (worked), 29th,
    # 30th, then the holiday to 8 October: the fifth working day is Thursday 9 October.
    end = add_working_days(CN, "2025-09-26", 4)
    assert end == D("2025-10-09")
    assert working_days_inclusive(CN, "2025-09-26", end) == 5


def test_working_days_in_lists_the_span():
    got = working_days_in(CN, "2026-02-12", "2026-03-02")
    assert [str(d) for d in got] == [
        "2026-02-12",
        "2026-02-13",
        "2026-02-14",
        "2026-02-24",
        "2026-02-25",
        "2026-02-26",
        "2026-02-27",
        "2026-02-28",
    ]
    assert working_days_in(CN, "2026-03-02", "2026-02-12").size == 0


def test_vectorized_over_many_rows():
    starts = np.arange(D("2025-01-01"), D("2026-12-01"))
    ends = starts + np.timedelta64(30, "D")
    got = working_days_between(CN, starts, ends)
    ref = Reference((1, 1, 1, 1, 1, 0, 0), *split(CHINA_2025 + CHINA_2026)[:2])
    expected = [ref.between(as_date(s), as_date(e)) for s, e in zip(starts, ends, strict=True)]
    assert got.tolist() == expected
    offsets = add_working_days(CN, starts, 10)
    # Rolling forward skips only days that do not count, so every span holds exactly 10.
    assert offsets.shape == starts.shape
    assert (working_days_between(CN, starts, offsets) == 10).all()
    assert is_working_day(CN, offsets).all()


def test_broadcasting_scalar_and_array():
    got = working_days_between(CN, "2025-01-01", ["2025-01-08", "2025-02-08"])
    # 1 January is a holiday: 2nd, 3rd, 6th, 7th; then January's 19 and 5–7 February.
    assert got.tolist() == [4, 22]
    assert add_working_days(CN, ["2025-01-27", "2025-01-27"], [1, -1]).tolist() == [
        dt.date(2025, 2, 5),
        dt.date(2025, 1, 26),
    ]


# ---------------------------------------------------------------- refusals


def test_refusals():
    with pytest.raises(CalendarError):
        WorkCalendar.build("1111100", ["2025-01-26"], ["2025-01-26"])
    with pytest.raises(CalendarError):
        WorkCalendar.build("0000000")
    with pytest.raises(CalendarError):
        WorkCalendar.build("11111")
    with pytest.raises(CalendarError):
        WorkCalendar.build([True] * 6)
    with pytest.raises(CalendarError):
        working_days_between(CN, "2025-01-01", np.datetime64("NaT", "D"))
    with pytest.raises(CalendarError):
        working_days_between(CN, "not a date", "2025-01-01")
    with pytest.raises(CalendarError):
        add_working_days(CN, "2025-01-25", 1, roll="raise")
    with pytest.raises(CalendarError):
        add_working_days(CN, "2025-01-25", 1.5)
    with pytest.raises(CalendarError):
        add_working_days(CN, "2025-01-25", 1, roll="sideways")  # type: ignore[arg-type]
    with pytest.raises(CalendarError):
        deadline(CN, "2025-01-25", -1)
    with pytest.raises(CalendarError) as exc:
        deadline(CN, "2025-01-25", 1.0)
    assert exc.value.message_zh


def test_no_effect_days_are_kept_but_do_not_count():
    # A holiday on a Saturday changes nothing; nor does a "working day" on a Monday.
    cal = WorkCalendar.build("1111100", ["2025-01-04"], ["2025-01-06"])
    plain = WorkCalendar.build("1111100")
    assert cal.holidays.tolist() == [dt.date(2025, 1, 4)]
    assert cal.workdays.tolist() == [dt.date(2025, 1, 6)]
    assert working_days_between(cal, "2025-01-01", "2025-02-01") == working_days_between(
        plain, "2025-01-01", "2025-02-01"
    )
    assert cal.weekmask_text == "1111100"


# ---------------------------------------------------------------- properties

BASE = dt.date(2025, 1, 1)
SPAN = 120


@st.composite
def calendars(draw):
    mask = draw(st.lists(st.booleans(), min_size=7, max_size=7).filter(any))
    offsets = st.integers(0, SPAN)
    chosen = draw(st.lists(offsets, max_size=30, unique=True))
    split_at = draw(st.integers(0, len(chosen)))
    holidays = [BASE + dt.timedelta(days=i) for i in chosen[:split_at]]
    workdays = [BASE + dt.timedelta(days=i) for i in chosen[split_at:]]
    return mask, holidays, workdays


def day_in_window():
    # Dates a little outside the adjusted days too, so the edges are exercised.
    return st.integers(-20, SPAN + 20).map(lambda i: BASE + dt.timedelta(days=i))


@settings(max_examples=150, deadline=None)
@given(calendars(), st.lists(st.tuples(day_in_window(), day_in_window()), min_size=1, max_size=8))
def test_counts_match_the_reference(spec, spans):
    mask, holidays, workdays = spec
    cal = WorkCalendar.build(mask, holidays, workdays)
    ref = Reference(mask, holidays, workdays)
    starts = np.array([s for s, _ in spans], dtype="datetime64[D]")
    ends = np.array([e for _, e in spans], dtype="datetime64[D]")
    assert working_days_between(cal, starts, ends).tolist() == [ref.between(s, e) for s, e in spans]
    assert working_days_inclusive(cal, starts, ends).tolist() == [
        ref.inclusive(s, e) for s, e in spans
    ]
    assert is_working_day(cal, starts).tolist() == [ref.works(s) for s, _ in spans]


@settings(max_examples=150, deadline=None)
@given(
    calendars(),
    st.lists(st.tuples(day_in_window(), st.integers(-25, 25)), min_size=1, max_size=8),
    st.sampled_from(["forward", "backward"]),
)
def test_offsets_match_the_reference(spec, moves, roll):
    mask, holidays, workdays = spec
    cal = WorkCalendar.build(mask, holidays, workdays)
    ref = Reference(mask, holidays, workdays)
    days = np.array([d for d, _ in moves], dtype="datetime64[D]")
    steps = np.array([n for _, n in moves])
    got = add_working_days(cal, days, steps, roll=roll)
    assert [as_date(g) for g in got] == [ref.offset(d, n, roll) for d, n in moves]
    assert is_working_day(cal, got).all()


@settings(max_examples=150, deadline=None)
@given(calendars(), st.lists(st.tuples(day_in_window(), st.integers(0, 25)), max_size=8))
def test_deadlines_match_the_reference(spec, moves):
    mask, holidays, workdays = spec
    cal = WorkCalendar.build(mask, holidays, workdays)
    ref = Reference(mask, holidays, workdays)
    days = np.array([d for d, _ in moves], dtype="datetime64[D]")
    steps = np.array([n for _, n in moves], dtype=np.int64)
    got = deadline(cal, days, steps)
    assert [as_date(g) for g in got] == [ref.deadline(d, n) for d, n in moves]
    # The deadline is a working day, and exactly n working days lie in (received, deadline].
    for d, n, g in zip(days, steps, got, strict=True):
        if n:
            assert (
                working_days_between(cal, d + np.timedelta64(1, "D"), g + np.timedelta64(1, "D"))
                == n
            )


@settings(max_examples=100, deadline=None)
@given(calendars(), day_in_window(), st.integers(0, 40))
def test_offset_and_count_are_inverse(spec, start, n):
    mask, holidays, workdays = spec
    cal = WorkCalendar.build(mask, holidays, workdays)
    first = add_working_days(cal, start, 0)
    moved = add_working_days(cal, first, n)
    assert working_days_between(cal, first, moved) == n
    assert add_working_days(cal, moved, -n) == first
    # The count is additive over adjoining spans.
    mid = start + dt.timedelta(days=n)
    end = mid + dt.timedelta(days=n)
    assert working_days_between(cal, start, end) == working_days_between(
        cal, start, mid
    ) + working_days_between(cal, mid, end)
