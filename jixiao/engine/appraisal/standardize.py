"""Per-rater standardization with shrinkage (DOMAIN.md §5, leniency and severity).

Within each stratum (a rater group, or the whole cycle), every rater's scores are moved to the
stratum's mean and spread: s = μ + σ·(x − mᵣ)/sᵣ. A rater who rated few people says little
about their own leniency, so the standardized score is blended with the raw one by the
rater's weight w = n/(n + k): x′ = w·s + (1 − w)·x. A rater who gave everyone the same score
(sᵣ = 0) discriminates nobody; their standardized score is μ. Results are clipped to the
scale's bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jixiao.engine.appraisal.keys import group_keys

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]

DEFAULT_SHRINKAGE = 3.0


@dataclass(frozen=True, slots=True)
class Standardized:
    values: Floats
    """The corrected score of every rating (raw where correction is off)."""
    rater_mean: Floats
    rater_sd: Floats
    rater_count: Ints
    rater_weight: Floats
    """Per rating: the rater's statistics in its stratum, for the explanation."""


def _group_stats(key: Ints, x: Floats, size: int) -> tuple[Ints, Floats, Floats]:
    n = np.bincount(key, minlength=size)
    s = np.bincount(key, weights=x, minlength=size)
    ss = np.bincount(key, weights=x * x, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, s / np.maximum(n, 1), np.nan)
        var = np.where(n > 0, ss / np.maximum(n, 1) - mean * mean, np.nan)
    return n.astype(np.int64), mean, np.sqrt(np.clip(var, 0.0, None))


def standardize_by_rater(
    values: Floats,
    rater: Ints,
    stratum: Ints,
    *,
    enabled: Bools,
    shrinkage: float = DEFAULT_SHRINKAGE,
    bounds: tuple[float, float] = (0.0, 100.0),
) -> Standardized:
    """Correct each rating for its rater's leniency or severity within its stratum.

    values, rater, stratum: one entry per rating (rater and stratum as small integers);
    enabled: per rating, whether its stratum is standardized (e.g. peers yes, superiors no).
    """
    x = np.asarray(values, dtype=np.float64)
    r = np.asarray(rater, dtype=np.int64)
    g = np.asarray(stratum, dtype=np.int64)
    on = np.asarray(enabled, dtype=bool)
    if x.size == 0:
        empty = np.zeros(0)
        return Standardized(empty, empty, empty, np.zeros(0, dtype=np.int64), empty)
    strata = int(g.max()) + 1
    _n_g, mu, sigma = _group_stats(g, x, strata)
    r_n = int(r.max()) + 1
    pair_keys, pair = group_keys(g * r_n + r, strata * r_n)
    n_p, m_p, s_p = _group_stats(pair, x, pair_keys.size)
    m = m_p[pair]
    s = s_p[pair]
    n = n_p[pair]
    w = n / (n + max(float(shrinkage), 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(s > 0, (x - m) / np.where(s > 0, s, 1.0), 0.0)
    standardized = mu[g] + sigma[g] * z
    corrected = w * standardized + (1.0 - w) * x
    corrected = np.clip(corrected, bounds[0], bounds[1])
    return Standardized(
        values=np.where(on, corrected, x),
        rater_mean=m,
        rater_sd=s,
        rater_count=n.astype(np.int64),
        rater_weight=np.where(on, w, 0.0),
    )
