"""Calibrating a spreadsheet of ratings: the method of the appraisal engine for analysts.

Input: one row per rating (ratee, rater, item, score, optional group). Output per ratee: the
raw mean, the mean after per-rater standardization with shrinkage (within each group), and
the rank by the corrected score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jixiao.engine.appraisal.ranking import rank_within
from jixiao.engine.appraisal.standardize import DEFAULT_SHRINKAGE, standardize_by_rater


@dataclass(frozen=True, slots=True)
class Calibration:
    ratees: list[str]
    ratings: NDArray[np.int64]
    raters: NDArray[np.int64]
    raw_mean: NDArray[np.float64]
    corrected: NDArray[np.float64]
    rank: NDArray[np.int64]
    raw_rank: NDArray[np.int64]

    def as_json(self) -> list[dict[str, object]]:
        return [
            {
                "ratee": name,
                "ratings": int(self.ratings[i]),
                "raters": int(self.raters[i]),
                "raw_mean": round(float(self.raw_mean[i]), 6),
                "corrected": round(float(self.corrected[i]), 6),
                "rank": int(self.rank[i]),
                "raw_rank": int(self.raw_rank[i]),
            }
            for i, name in enumerate(self.ratees)
        ]


def calibrate(
    ratee: Sequence[str],
    rater: Sequence[str],
    score: Sequence[float],
    group: Sequence[str] | None = None,
    *,
    shrinkage: float = DEFAULT_SHRINKAGE,
    bounds: tuple[float, float] | None = None,
) -> Calibration:
    """Per ratee (in order of first appearance): raw mean, corrected mean and ranks."""
    names, ratee_idx = np.unique(np.asarray(ratee, dtype=str), return_inverse=True)
    first = {name: i for i, name in reversed(list(enumerate(ratee)))}
    order = np.argsort([first[n] for n in names], kind="stable")
    position = np.empty_like(order)
    position[order] = np.arange(order.size)
    e = position[ratee_idx].astype(np.int64)
    _, r = np.unique(np.asarray(rater, dtype=str), return_inverse=True)
    g = (
        np.unique(np.asarray(group, dtype=str), return_inverse=True)[1]
        if group is not None
        else np.zeros(len(ratee), dtype=np.int64)
    )
    x = np.asarray(score, dtype=np.float64)
    lo, hi = bounds if bounds is not None else (float(x.min()), float(x.max()))
    corrected = standardize_by_rater(
        x,
        r.astype(np.int64),
        g.astype(np.int64),
        enabled=np.ones(x.size, dtype=bool),
        shrinkage=shrinkage,
        bounds=(lo, hi),
    ).values
    n_ratees = order.size
    count = np.bincount(e, minlength=n_ratees)
    raw = np.bincount(e, weights=x, minlength=n_ratees) / count
    fixed = np.bincount(e, weights=corrected, minlength=n_ratees) / count
    pairs = np.unique(e * (int(r.max()) + 1) + r)
    raters = np.bincount(pairs // (int(r.max()) + 1), minlength=n_ratees)
    zeros = np.zeros(n_ratees, dtype=np.int64)
    return Calibration(
        ratees=[str(n) for n in names[order]],
        ratings=count.astype(np.int64),
        raters=raters.astype(np.int64),
        raw_mean=raw,
        corrected=fixed,
        rank=rank_within(fixed, zeros),
        raw_rank=rank_within(raw, zeros),
    )
