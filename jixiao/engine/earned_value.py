"""Earned value of work items (tasks and projects): schedule and cost performance.

Pure numpy, so that every item of a department or a unit is evaluated in one pass of arrays.
For an item with budget B (BAC), at a status date:

- planned fraction p: how much of the work the plan says is done by the end of that day,
  linear over the calendar days from planned start to planned end (both counted), or, when
  the item has milestones with shares, the shares of the milestones due by that day (the
  share the milestones leave over falls due on the planned end);
- actual fraction a: percent complete / 100 (1 once the item is done);
- PV = B·p, EV = B·a, AC = actual cost; SV = EV − PV, CV = EV − AC;
- SPI = EV/PV, CPI = EV/AC, NaN when undefined (no budget, PV = 0, AC missing or 0);
- EAC = B/CPI, the cost at completion if the cost performance so far continues;
- overdue: the planned end has passed and the item is not done;
- over budget: the actual cost exceeds the budget, or CPI < 1 once work has started.

Dates are day numbers (any consistent epoch; `day_numbers` uses date.toordinal), float64
with NaN for a missing date. Money is float64 with NaN for "not given".

Roll-ups (per project, goal or department) sum PV, EV and AC, then take ratios: SPI = ΣEV/ΣPV,
CPI = ΣEV'/ΣAC where EV' counts only the items whose actual cost is known, so that an item
that reports progress but no cost does not make the group look cheaper than it is.
Cancelled items keep their figures but raise no flags and stay out of roll-ups.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]

# Ratios within this distance of 1 count as on plan (EV = B·0.4 may differ from 0.4·B in
# the last bit).
TOLERANCE = 1e-9


def day_numbers(dates: Sequence[datetime.date | None]) -> Floats:
    """Day numbers of dates (date.toordinal), NaN for None."""
    return np.array(
        [np.nan if d is None else float(d.toordinal()) for d in dates], dtype=np.float64
    )


def _floats(values: ArrayLike) -> Floats:
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Milestones:
    """Milestones as flat arrays: the index of each one's item, its due day and share (%)."""

    item: Ints
    due: Floats
    share: Floats

    @classmethod
    def of(cls, item: ArrayLike, due: ArrayLike, share: ArrayLike) -> Milestones:
        return cls(
            np.asarray(item, dtype=np.int64).reshape(-1),
            _floats(due).reshape(-1),
            _floats(share).reshape(-1),
        )

    @classmethod
    def none(cls) -> Milestones:
        return cls.of([], [], [])


def linear_fraction(at: ArrayLike, start: ArrayLike, end: ArrayLike) -> Floats:
    """The share of the calendar days from start to end (both counted) that have passed by
    the end of day `at`: 0 before the start, 1 from the end on."""
    at_ = _floats(at)
    s = _floats(start)
    e = _floats(end)
    days = np.maximum(e - s + 1.0, 1.0)
    with np.errstate(invalid="ignore"):
        inside = (at_ - s + 1.0) / days
    return np.where(at_ < s, 0.0, np.where(at_ >= e, 1.0, np.clip(inside, 0.0, 1.0)))


def planned_fraction(
    at: ArrayLike,
    start: ArrayLike,
    end: ArrayLike,
    milestones: Milestones | None = None,
) -> Floats:
    """The planned fraction of each item at day `at` (a scalar or one day per item).

    Items whose milestones carry shares (summing to more than 0) follow them; the others
    are linear between their planned start and end.
    """
    s = _floats(start).reshape(-1)
    e = _floats(end).reshape(-1)
    n = s.shape[0]
    at_ = np.broadcast_to(_floats(at), (n,)).astype(np.float64)
    linear = linear_fraction(at_, s, e)
    if milestones is None or milestones.item.size == 0 or n == 0:
        return linear
    ms = milestones
    valid = (ms.item >= 0) & (ms.item < n) & np.isfinite(ms.share) & (ms.share > 0)
    idx = ms.item[valid]
    share = np.clip(ms.share[valid], 0.0, 100.0)
    due = ms.due[valid]
    total = np.bincount(idx, weights=share, minlength=n)
    reached = np.bincount(idx, weights=share * (due <= at_[idx]), minlength=n)
    left_over = np.clip(100.0 - total, 0.0, 100.0) * (at_ >= e)
    by_milestones = np.clip((reached + left_over) / 100.0, 0.0, 1.0)
    return np.where(total > 0, by_milestones, linear)


@dataclass(frozen=True, slots=True)
class WorkItems:
    """The inputs of earned value, one entry per item."""

    planned_start: Floats
    planned_end: Floats
    budget: Floats  # NaN: no budget
    percent: Floats  # 0..100
    actual_cost: Floats  # NaN: not reported
    done: Bools
    cancelled: Bools
    actual_start: Floats  # NaN: not started (as far as anyone said)

    @classmethod
    def of(
        cls,
        *,
        planned_start: ArrayLike,
        planned_end: ArrayLike,
        budget: ArrayLike,
        percent: ArrayLike,
        actual_cost: ArrayLike,
        done: ArrayLike | None = None,
        cancelled: ArrayLike | None = None,
        actual_start: ArrayLike | None = None,
    ) -> WorkItems:
        s = _floats(planned_start).reshape(-1)
        n = s.shape[0]

        def flags(values: ArrayLike | None) -> Bools:
            if values is None:
                return np.zeros(n, dtype=bool)
            return np.asarray(values, dtype=bool).reshape(-1)

        return cls(
            planned_start=s,
            planned_end=_floats(planned_end).reshape(-1),
            budget=_floats(budget).reshape(-1),
            percent=_floats(percent).reshape(-1),
            actual_cost=_floats(actual_cost).reshape(-1),
            done=flags(done),
            cancelled=flags(cancelled),
            actual_start=(
                np.full(n, np.nan) if actual_start is None else _floats(actual_start).reshape(-1)
            ),
        )

    def __len__(self) -> int:
        return int(self.planned_start.shape[0])


@dataclass(frozen=True, slots=True)
class EarnedValue:
    planned: Floats  # planned fraction 0..1
    actual: Floats  # actual fraction 0..1
    pv: Floats
    ev: Floats
    ac: Floats
    sv: Floats
    cv: Floats
    spi: Floats
    cpi: Floats
    eac: Floats
    started: Bools
    finished: Bools
    overdue: Bools
    over_budget: Bools


def _ratio(num: Floats, den: Floats) -> Floats:
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.where(ok, num / np.where(ok, den, 1.0), np.nan)
    return np.where(np.isfinite(out), out, np.nan)


def earned_value(
    items: WorkItems, at: ArrayLike, milestones: Milestones | None = None
) -> EarnedValue:
    """Earned value of every item at day `at` (a scalar or one day per item)."""
    n = len(items)
    at_ = np.broadcast_to(_floats(at), (n,)).astype(np.float64)
    planned = planned_fraction(at_, items.planned_start, items.planned_end, milestones)
    actual = np.clip(np.nan_to_num(items.percent, nan=0.0) / 100.0, 0.0, 1.0)
    actual = np.where(items.done, 1.0, actual)
    budget = np.where(np.isfinite(items.budget), items.budget, np.nan)
    pv = budget * planned
    ev = budget * actual
    ac = np.where(np.isfinite(items.actual_cost), items.actual_cost, np.nan)
    spi = _ratio(ev, pv)
    cpi = _ratio(ev, ac)
    eac = _ratio(budget, cpi)
    finished = items.done | (actual >= 1.0)
    started = (actual > 0) | np.isfinite(items.actual_start) | finished
    live = ~items.cancelled
    overdue = live & ~finished & (at_ > items.planned_end)
    with np.errstate(invalid="ignore"):
        cost_over = np.isfinite(budget) & np.isfinite(ac) & (ac > budget)
        cpi_low = started & np.isfinite(cpi) & (cpi < 1.0 - TOLERANCE)
    return EarnedValue(
        planned=planned,
        actual=actual,
        pv=pv,
        ev=ev,
        ac=ac,
        sv=ev - pv,
        cv=ev - ac,
        spi=spi,
        cpi=cpi,
        eac=eac,
        started=started,
        finished=finished,
        overdue=overdue,
        over_budget=live & (cost_over | cpi_low),
    )


@dataclass(frozen=True, slots=True)
class RollUp:
    """Per group: sums, ratios and flag counts of the items in it (cancelled ones left out)."""

    items: Ints
    budget: Floats
    pv: Floats
    ev: Floats
    ac: Floats
    ev_costed: Floats
    spi: Floats
    cpi: Floats
    planned: Floats  # ΣPV/Σbudget
    actual: Floats  # ΣEV/Σbudget
    overdue: Ints
    over_budget: Ints


def roll_up(values: EarnedValue, items: WorkItems, group: ArrayLike, groups: int) -> RollUp:
    """Sums of PV, EV and AC per group (−1: in no group), then SPI and CPI from the sums."""
    g = np.asarray(group, dtype=np.int64).reshape(-1)
    keep = (g >= 0) & (g < groups) & ~items.cancelled
    gi = g[keep]

    def total(x: Floats) -> Floats:
        x = x[keep]
        return np.bincount(gi, weights=np.where(np.isfinite(x), x, 0.0), minlength=groups)

    def count(x: Bools) -> Ints:
        return np.bincount(gi, weights=x[keep].astype(np.float64), minlength=groups).astype(
            np.int64
        )

    budget = total(items.budget)
    pv = total(values.pv)
    ev = total(values.ev)
    ac = total(values.ac)
    ev_costed = total(np.where(np.isfinite(values.ac), values.ev, np.nan))
    has_ac = count(np.isfinite(values.ac))
    ac_known = np.where(has_ac > 0, ac, np.nan)
    return RollUp(
        items=count(np.ones(len(items), dtype=bool)),
        budget=budget,
        pv=pv,
        ev=ev,
        ac=ac_known,
        ev_costed=ev_costed,
        spi=_ratio(ev, pv),
        cpi=_ratio(ev_costed, ac_known),
        planned=_ratio(pv, budget),
        actual=_ratio(ev, budget),
        overdue=count(values.overdue),
        over_budget=count(values.over_budget),
    )
