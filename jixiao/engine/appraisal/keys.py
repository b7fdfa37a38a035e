"""Grouping flat arrays by an integer key without sorting when the key space is small.

`np.unique(key, return_inverse=True)` sorts: for five million ratings that is a few tenths
of a second each time, and scoring a cycle groups its ratings several times. Keys made of
small indexes (appraisal × group × item, group × rater) span a few million values, so
counting is enough.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Ints = NDArray[np.int64]

DENSE_LIMIT = 1 << 24
"""Largest key space grouped by counting (two arrays of this many integers)."""


def group_keys(key: Ints, space: int) -> tuple[Ints, Ints]:
    """The distinct keys, ascending, and each entry's index among them: what
    `np.unique(key, return_inverse=True)` returns, for keys in 0…space−1."""
    k = np.asarray(key, dtype=np.int64)
    if k.size and 0 < space <= DENSE_LIMIT and int(k.min()) >= 0 and int(k.max()) < space:
        present = np.bincount(k, minlength=space) > 0
        index = np.cumsum(present, dtype=np.int64) - 1
        return np.flatnonzero(present).astype(np.int64), index[k]
    keys, inverse = np.unique(k, return_inverse=True)
    return keys.astype(np.int64), inverse.reshape(-1).astype(np.int64)
