"""Ranks within groups (a department, the unit): 1 for the best, ties share the better rank
("1, 2, 2, 4"), people without a score unranked (0)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


def rank_within(score: Floats, group: Ints, *, decimals: int = 6) -> Ints:
    """Competition rank of each score within its group, higher first; 0 where NaN."""
    s = np.round(np.asarray(score, dtype=np.float64), decimals)
    g = np.asarray(group, dtype=np.int64)
    n = s.size
    ranks = np.zeros(n, dtype=np.int64)
    ok = np.isfinite(s)
    if not ok.any():
        return ranks
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((-s[idx], g[idx]))]
    gs = g[order]
    ss = s[order]
    at = np.arange(order.size)
    start_of_group = np.r_[True, gs[1:] != gs[:-1]]
    group_start = np.maximum.accumulate(np.where(start_of_group, at, 0))
    new_value = start_of_group | np.r_[True, ss[1:] != ss[:-1]]
    run_start = np.maximum.accumulate(np.where(new_value, at, 0))
    ranks[order] = run_start - group_start + 1
    return ranks
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((-s[idx], g[idx]))]
    gs = g[order]
    ss = s[order]
    start_of_group = np.r_[True, gs[1:] != gs[:-1]]
    position = np.arange(order.size) - np.maximum.accumulate(
        np.where(start_of_group, np.arange(order.size), 0)
    )
    new_value = start_of_group | np.r_[True, ss[1:] != ss[:-1]]
    first_position = np.maximum.accumulate(np.where(new_value, position, -1))
    ranks[order] = first_position + 1
    return ranks
