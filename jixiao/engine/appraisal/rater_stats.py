"""Rater statistics for the performance office (DOMAIN.md §5, subjective factors).

Per rater within a stratum (a rater group): how many people they rated, their mean and spread,
the halo index (the mean correlation between items across the people they rated: near 1 means
one impression coloured every item), and the share of top scores. Flags compare a rater with
the other raters of the stratum:

- lenient / severe: their mean is more than `z_limit` standard deviations of the raters'
  means above / below the raters' average;
- central: their spread is below a third of the stratum's typical (median) spread;
- halo: the halo index is at least `halo_limit` (with three or more people and two or more
  items rated);
- top_heavy: at least `top_share_limit` of their scores are top scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jixiao.engine.appraisal.keys import group_keys

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class RaterStats:
    stratum: Ints
    rater: Ints
    ratings: Ints
    ratees: Ints
    mean: Floats
    sd: Floats
    halo: Floats
    top_share: Floats
    lenient: Bools
    severe: Bools
    central: Bools
    halo_flag: Bools
    top_heavy: Bools


def _pair_correlations(pair: Ints, x: Floats, y: Floats, size: int) -> tuple[Floats, Ints]:
    ok = np.isfinite(x) & np.isfinite(y)
    k, a, b = pair[ok], x[ok], y[ok]
    n = np.bincount(k, minlength=size).astype(np.float64)
    sa = np.bincount(k, weights=a, minlength=size)
    sb = np.bincount(k, weights=b, minlength=size)
    saa = np.bincount(k, weights=a * a, minlength=size)
    sbb = np.bincount(k, weights=b * b, minlength=size)
    sab = np.bincount(k, weights=a * b, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sab - sa * sb / n
        va = saa - sa * sa / n
        vb = sbb - sb * sb / n
        r = np.where((va > 1e-12) & (vb > 1e-12), cov / np.sqrt(va * vb), np.nan)
    return r, n.astype(np.int64)


def rater_statistics(
    values: Floats,
    rater: Ints,
    ratee: Ints,
    item: Ints,
    stratum: Ints,
    *,
    top_score: float,
    z_limit: float = 2.0,
    halo_limit: float = 0.9,
    top_share_limit: float = 0.5,
) -> RaterStats:
    """Statistics of every (stratum, rater) pair, from one entry per rating."""
    x = np.asarray(values, dtype=np.float64)
    r = np.asarray(rater, dtype=np.int64)
    e = np.asarray(ratee, dtype=np.int64)
    it = np.asarray(item, dtype=np.int64)
    g = np.asarray(stratum, dtype=np.int64)
    if x.size == 0:
        z = np.zeros(0, dtype=np.int64)
        f = np.zeros(0)
        b = np.zeros(0, dtype=bool)
        return RaterStats(z, z, z, z, f, f, f, f, b, b, b, b, b)
    r_n = int(r.max()) + 1
    keys, pair = group_keys(g * r_n + r, (int(g.max()) + 1) * r_n)
    p_n = keys.size
    n = np.bincount(pair, minlength=p_n)
    s = np.bincount(pair, weights=x, minlength=p_n)
    ss = np.bincount(pair, weights=x * x, minlength=p_n)
    mean = s / n
    sd = np.sqrt(np.clip(ss / n - mean * mean, 0.0, None))
    top = np.bincount(pair, weights=(x >= top_score - 1e-9).astype(np.float64), minlength=p_n) / n
    rows, row = np.unique(pair * (int(e.max()) + 1) + e, return_inverse=True)
    row = row.reshape(-1)
    ratees = np.bincount(rows // (int(e.max()) + 1), minlength=p_n)

    # Halo: one row per (rater pair, ratee), one column per item, then the mean correlation
    # over item pairs, each computed across the ratees in one vectorized pass.
    items = np.unique(it)
    grid = np.full((rows.size, items.size), np.nan)
    grid[row, np.searchsorted(items, it)] = x
    row_pair = rows // (int(e.max()) + 1)
    corr_sum = np.zeros(p_n)
    corr_n = np.zeros(p_n)
    for a in range(items.size):
        for b_ in range(a + 1, items.size):
            c, cnt = _pair_correlations(row_pair, grid[:, a], grid[:, b_], p_n)
            usable = np.isfinite(c) & (cnt >= 3)
            corr_sum += np.where(usable, c, 0.0)
            corr_n += usable
    with np.errstate(invalid="ignore", divide="ignore"):
        halo = np.where(corr_n > 0, corr_sum / corr_n, np.nan)

    p_stratum = keys // r_n
    p_rater = keys % r_n
    g_n = int(p_stratum.max()) + 1
    cnt_g = np.bincount(p_stratum, minlength=g_n).astype(np.float64)
    m_g = np.bincount(p_stratum, weights=mean, minlength=g_n) / np.maximum(cnt_g, 1)
    v_g = np.bincount(p_stratum, weights=mean * mean, minlength=g_n) / np.maximum(cnt_g, 1) - m_g**2
    s_g = np.sqrt(np.clip(v_g, 0.0, None))
    median_sd = np.array(
        [np.median(sd[p_stratum == k]) if (p_stratum == k).any() else np.nan for k in range(g_n)]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(s_g[p_stratum] > 0, (mean - m_g[p_stratum]) / s_g[p_stratum], 0.0)
    enough = cnt_g[p_stratum] >= 3
    return RaterStats(
        stratum=p_stratum.astype(np.int64),
        rater=p_rater.astype(np.int64),
        ratings=n.astype(np.int64),
        ratees=ratees.astype(np.int64),
        mean=mean,
        sd=sd,
        halo=halo,
        top_share=top,
        lenient=enough & (z > z_limit),
        severe=enough & (z < -z_limit),
        central=(ratees >= 3) & (sd < median_sd[p_stratum] / 3),
        halo_flag=np.isfinite(halo) & (halo >= halo_limit),
        top_heavy=(ratees >= 3) & (top >= top_share_limit),
    )
