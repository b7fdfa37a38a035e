"""Earned value: textbook examples with their published figures, and properties."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jixiao.engine.earned_value import (
    Milestones,
    WorkItems,
    day_numbers,
    earned_value,
    linear_fraction,
    planned_fraction,
    roll_up,
)

D = dt.date


def ordinal(d: dt.date) -> float:
    return float(d.toordinal())


def items(**kw) -> WorkItems:
    n = len(kw["planned_start"])
    kw.setdefault("budget", [np.nan] * n)
    kw.setdefault("percent", [0] * n)
    kw.setdefault("actual_cost", [np.nan] * n)
    return WorkItems.of(**kw)


# ---------------------------------------------------------------- worked examples


def test_textbook_single_project():
    """The classic status report: BAC 10,000 over 10 days, day 5 of 10, 40% done, 4,500 spent.
    PV 5,000, EV 4,000, AC 4,500: SV −1,000, CV −500, SPI 0.80, CPI 0.889, EAC 11,250."""
    w = items(
        planned_start=day_numbers([D(2026, 3, 1)]),
        planned_end=day_numbers([D(2026, 3, 10)]),
        budget=[10_000],
        percent=[40],
        actual_cost=[4_500],
    )
    ev = earned_value(w, ordinal(D(2026, 3, 5)))
    assert ev.planned[0] == pytest.approx(0.5)
    assert ev.pv[0] == pytest.approx(5_000)
    assert ev.ev[0] == pytest.approx(4_000)
    assert ev.ac[0] == pytest.approx(4_500)
    assert ev.sv[0] == pytest.approx(-1_000)
    assert ev.cv[0] == pytest.approx(-500)
    assert ev.spi[0] == pytest.approx(0.8)
    assert ev.cpi[0] == pytest.approx(0.8889, abs=1e-4)
    assert ev.eac[0] == pytest.approx(11_250)
    assert not ev.overdue[0]
    assert ev.over_budget[0]  # CPI < 1 once started, though 4,500 < the budget


def test_textbook_programme_roll_up():
    """Three activities of a renovation project on 2026-06-30 (a PMBOK-style table):

    | activity | BAC    | planned | done | AC     | PV     | EV     |
    | design   | 20,000 | 100%    | 100% | 22,000 | 20,000 | 20,000 |
    | works    | 60,000 | 50%     | 40%  | 20,000 | 30,000 | 24,000 |
    | fit-out  | 20,000 | 0%      | 0%   | —      | 0      | 0      |

    Totals PV 50,000, EV 44,000, AC 42,000: SPI 0.88, CPI 44,000/42,000 = 1.0476.
    """
    w = items(
        planned_start=day_numbers([D(2026, 1, 1), D(2026, 4, 1), D(2026, 10, 1)]),
        planned_end=day_numbers([D(2026, 3, 31), D(2026, 8, 29), D(2026, 12, 31)]),
        budget=[20_000, 60_000, 20_000],
        percent=[100, 40, 0],
        actual_cost=[22_000, 20_000, np.nan],
        done=[True, False, False],
    )
    # works: 2026-04-01 .. 2026-08-29 is 151 days; by 06-30 91 days have passed → 60.3%;
    # pin the middle activity to exactly 50% with a milestone plan instead.
    ms = Milestones.of([1, 1], day_numbers([D(2026, 6, 30), D(2026, 8, 29)]), [50, 50])
    ev = earned_value(w, ordinal(D(2026, 6, 30)), ms)
    np.testing.assert_allclose(ev.planned, [1.0, 0.5, 0.0])
    np.testing.assert_allclose(ev.pv, [20_000, 30_000, 0])
    np.testing.assert_allclose(ev.ev, [20_000, 24_000, 0])
    assert ev.spi[0] == pytest.approx(1.0) and ev.spi[1] == pytest.approx(0.8)
    assert np.isnan(ev.spi[2])  # PV = 0
    assert ev.cpi[0] == pytest.approx(20_000 / 22_000) and ev.cpi[1] == pytest.approx(1.2)
    assert np.isnan(ev.cpi[2])  # no actual cost
    assert list(ev.over_budget) == [True, False, False]  # design cost more than its budget
    r = roll_up(ev, w, [0, 0, 0], 1)
    assert r.pv[0] == pytest.approx(50_000) and r.ev[0] == pytest.approx(44_000)
    assert r.ac[0] == pytest.approx(42_000) and r.budget[0] == pytest.approx(100_000)
    assert r.spi[0] == pytest.approx(0.88)
    assert r.cpi[0] == pytest.approx(44_000 / 42_000)
    assert r.planned[0] == pytest.approx(0.5) and r.actual[0] == pytest.approx(0.44)
    assert r.over_budget[0] == 1 and r.overdue[0] == 0 and r.items[0] == 3


# ---------------------------------------------------------------- planned fraction


def test_linear_counts_both_ends():
    s, e = ordinal(D(2026, 1, 1)), ordinal(D(2026, 1, 10))
    assert linear_fraction(s - 1, s, e) == 0.0
    assert linear_fraction(s, s, e) == pytest.approx(0.1)  # the first day done by its end
    assert linear_fraction(e - 1, s, e) == pytest.approx(0.9)
    assert linear_fraction(e, s, e) == 1.0
    assert linear_fraction(s, s, s) == 1.0  # a one-day task


def test_milestones_replace_the_linear_plan_and_leave_the_rest_for_the_end():
    s, e = ordinal(D(2026, 1, 1)), ordinal(D(2026, 12, 31))
    ms = Milestones.of([0, 0], [ordinal(D(2026, 3, 31)), ordinal(D(2026, 6, 30))], [30, 30])
    at = [ordinal(D(2026, 3, 30)), ordinal(D(2026, 3, 31)), ordinal(D(2026, 7, 1))]
    got = [planned_fraction(a, [s], [e], ms)[0] for a in at]
    assert got == pytest.approx([0.0, 0.3, 0.6])
    assert planned_fraction(e, [s], [e], ms)[0] == pytest.approx(1.0)  # 40% left for the end
    # Milestones without shares are only markers: the plan stays linear.
    markers = Milestones.of([0], [ordinal(D(2026, 3, 31))], [0])
    assert planned_fraction(at[1], [s], [e], markers)[0] == pytest.approx(
        linear_fraction(at[1], s, e)
    )


def test_undefined_ratios_are_nan_and_flags():
    today = ordinal(D(2026, 7, 1))
    w = items(
        planned_start=[today - 100] * 5,
        planned_end=[today - 10, today + 10, today + 10, today - 10, today - 10],
        budget=[np.nan, 0, 1_000, 1_000, 1_000],
        percent=[50, 10, 0, 100, 30],
        actual_cost=[np.nan, 100, 0, 1_200, np.nan],
        done=[False, False, False, True, False],
        cancelled=[False, False, False, False, True],
    )
    ev = earned_value(w, today)
    assert np.isnan(ev.pv[0]) and np.isnan(ev.spi[0]) and np.isnan(ev.cpi[0])  # no budget
    assert np.isnan(ev.spi[1]) and ev.cpi[1] == 0.0  # PV = 0; EV 0 for AC 100
    assert np.isnan(ev.cpi[2])  # AC = 0
    assert list(ev.overdue) == [True, False, False, False, False]  # done and cancelled: no
    # item 1 spent 100 of a 0 budget; item 3 spent 1,200 of 1,000; cancelled raises nothing.
    assert list(ev.over_budget) == [False, True, False, True, False]


def test_roll_up_leaves_out_cancelled_items_and_uncosted_ev():
    today = ordinal(D(2026, 7, 1))
    w = items(
        planned_start=[today - 9] * 4,
        planned_end=[today] * 4,
        budget=[1_000, 1_000, 1_000, 5_000],
        percent=[50, 50, 100, 10],
        actual_cost=[500, np.nan, 1_000, 9_999],
        cancelled=[False, False, False, True],
    )
    ev = earned_value(w, today)
    r = roll_up(ev, w, [0, 0, 1, 0], 2)
    assert list(r.items) == [2, 1]
    assert r.ev[0] == pytest.approx(1_000) and r.ev_costed[0] == pytest.approx(500)
    assert r.cpi[0] == pytest.approx(1.0)  # 500 earned for 500 spent; the uncosted item is out
    assert r.spi[0] == pytest.approx(0.5) and r.spi[1] == pytest.approx(1.0)
    empty = roll_up(ev, w, [-1, -1, -1, -1], 1)
    assert empty.items[0] == 0 and np.isnan(empty.spi[0]) and np.isnan(empty.ac[0])


def test_empty_input():
    w = items(planned_start=[], planned_end=[])
    ev = earned_value(w, 0.0, Milestones.none())
    assert ev.pv.shape == (0,)
    assert roll_up(ev, w, [], 3).items.tolist() == [0, 0, 0]


# ---------------------------------------------------------------- properties


spans = st.tuples(st.integers(730_000, 740_000), st.integers(0, 2_000))


@settings(max_examples=200, deadline=None)
@given(span=spans, a=st.integers(-100, 2_200), b=st.integers(-100, 2_200))
def test_linear_fraction_is_monotone_and_bounded(span, a, b):
    start, length = span
    end = start + length
    fa = float(linear_fraction(start + min(a, b), start, end))
    fb = float(linear_fraction(start + max(a, b), start, end))
    assert 0.0 <= fa <= fb <= 1.0
    assert float(linear_fraction(end, start, end)) == 1.0
    assert float(linear_fraction(start - 1, start, end)) == 0.0


@settings(max_examples=200, deadline=None)
@given(
    span=spans,
    shares=st.lists(st.integers(0, 40), min_size=1, max_size=5),
    offsets=st.lists(st.integers(0, 2_000), min_size=5, max_size=5),
    days=st.lists(st.integers(-50, 2_100), min_size=2, max_size=2),
)
def test_milestone_plan_is_monotone_and_completes_at_the_end(span, shares, offsets, days):
    start, length = span
    end = start + length
    shares = [s for s in shares][: len(offsets)]
    if sum(shares) > 100:
        shares = [0] * len(shares)
    due = [start + min(o, length) for o in offsets[: len(shares)]]
    ms = Milestones.of([0] * len(shares), due, shares)
    a, b = sorted(days)
    pa = planned_fraction(start + a, [start], [end], ms)[0]
    pb = planned_fraction(start + b, [start], [end], ms)[0]
    assert 0.0 <= pa <= pb <= 1.0
    assert planned_fraction(end, [start], [end], ms)[0] == pytest.approx(1.0)


money = st.floats(0, 1e9, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 30),
    data=st.data(),
    scale=st.floats(0.01, 1e4, allow_nan=False),
)
def test_indices_are_scale_free_and_roll_ups_are_sums(n, data, scale):
    start = data.draw(hnp.arrays(np.float64, n, elements=st.integers(738_000, 739_000)))
    length = data.draw(hnp.arrays(np.float64, n, elements=st.integers(0, 400)))
    budget = data.draw(hnp.arrays(np.float64, n, elements=st.floats(1, 1e7)))
    percent = data.draw(hnp.arrays(np.float64, n, elements=st.integers(0, 100)))
    cost = data.draw(hnp.arrays(np.float64, n, elements=st.floats(0, 1e7)))
    at = data.draw(st.integers(737_900, 739_500))
    group = data.draw(hnp.arrays(np.int64, n, elements=st.integers(-1, 3)))
    w = WorkItems.of(
        planned_start=start,
        planned_end=start + length,
        budget=budget,
        percent=percent,
        actual_cost=cost,
    )
    ev = earned_value(w, float(at))
    # SPI = EV/PV is the ratio of actual to planned fractions wherever PV > 0.
    has_pv = ev.pv > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = ev.actual / ev.planned
    np.testing.assert_allclose(ev.spi[has_pv], ratio[has_pv], rtol=1e-9)
    assert np.all(np.isnan(ev.spi[~has_pv]))
    # Money in another currency unit changes no index and no flag.
    w2 = WorkItems.of(
        planned_start=start,
        planned_end=start + length,
        budget=budget * scale,
        percent=percent,
        actual_cost=cost * scale,
    )
    ev2 = earned_value(w2, float(at))
    np.testing.assert_allclose(ev2.spi, ev.spi, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(ev2.cpi, ev.cpi, rtol=1e-9, equal_nan=True)
    # Roll-ups are the sums of their members, whatever the order of the items.
    r = roll_up(ev, w, group, 4)
    for g in range(4):
        member = group == g
        assert r.items[g] == member.sum()
        assert r.pv[g] == pytest.approx(ev.pv[member].sum(), rel=1e-9, abs=1e-6)
        assert r.ev[g] == pytest.approx(ev.ev[member].sum(), rel=1e-9, abs=1e-6)
        assert r.overdue[g] == ev.overdue[member].sum()
    order = np.random.default_rng(0).permutation(n)
    w3 = WorkItems.of(
        planned_start=start[order],
        planned_end=(start + length)[order],
        budget=budget[order],
        percent=percent[order],
        actual_cost=cost[order],
    )
    r3 = roll_up(earned_value(w3, float(at)), w3, group[order], 4)
    np.testing.assert_allclose(r3.spi, r.spi, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(r3.cpi, r.cpi, rtol=1e-9, equal_nan=True)


@settings(max_examples=100, deadline=None)
@given(
    length=st.integers(0, 365),
    percent=st.integers(0, 100),
    late=st.integers(-30, 30),
    done=st.booleans(),
)
def test_overdue_means_the_end_passed_unfinished(length, percent, late, done):
    start = 738_000.0
    end = start + length
    w = WorkItems.of(
        planned_start=[start],
        planned_end=[end],
        budget=[100.0],
        percent=[percent],
        actual_cost=[np.nan],
        done=[done],
    )
    ev = earned_value(w, end + late)
    assert bool(ev.overdue[0]) == (late > 0 and not done and percent < 100)
