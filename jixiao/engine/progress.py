"""Goal progress: key results against their targets, and roll-up through the alignment tree.

Pure numpy, so that every goal of an organization is recomputed in one pass of arrays.

Progress is a fraction of the target reached, 0 at the baseline and 1 at the target:

- higher is better: (A − B)/(T − B), or A/T when there is no baseline (or B = T);
- lower is better: (B − A)/(B − T), or T/A when there is no baseline (A = 0 counts as fully met);

clamped to [0, PROGRESS_CAP]: doing better than the target shows, without letting one key
result hide the others. A key result with a target but no value yet counts as 0.

A goal's own progress is the weighted mean of its key results (equal weights when all are 0).
Its progress in the tree then follows its mode: its own (AUTO falls back to its aligned goals
when it has no measurable key results), its aligned goals' weighted mean, or half of each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

PROGRESS_CAP = 1.2
MAX_TREE_HEIGHT = 64

MODE_AUTO = 0
MODE_KEY_RESULTS = 1
MODE_ALIGNED = 2
MODE_BOTH = 3

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]


def key_result_progress(
    value: Floats, baseline: Floats, target: Floats, lower_is_better: Bools
) -> Floats:
    """Progress of each key result; NaN where there is no target. Missing values count as 0."""
    value = np.asarray(value, dtype=np.float64)
    baseline = np.asarray(baseline, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    lower = np.asarray(lower_is_better, dtype=bool)
    has_target = np.isfinite(target)
    has_value = np.isfinite(value)
    span = np.where(lower, baseline - target, target - baseline)
    use_baseline = np.isfinite(baseline) & np.isfinite(span) & (span != 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        from_baseline = np.where(lower, baseline - value, value - baseline) / np.where(
            use_baseline, span, 1.0
        )
        higher_ratio = np.where(
            target != 0, value / np.where(target != 0, target, 1.0), (value >= target) * 1.0
        )
        lower_ratio = np.where(value > 0, target / np.where(value > 0, value, 1.0), 1.0)
    ratio = np.where(lower, lower_ratio, higher_ratio)
    progress = np.where(use_baseline, from_baseline, ratio)
    progress = np.clip(np.nan_to_num(progress, nan=0.0, posinf=PROGRESS_CAP), 0.0, PROGRESS_CAP)
    progress = np.where(has_value, progress, 0.0)
    return np.where(has_target, progress, np.nan)


def weighted_group_mean(group: Ints, values: Floats, weights: Floats, groups: int) -> Floats:
    """Per group, the weighted mean of its finite values (the plain mean where the weights of
    those values sum to 0); NaN for a group without any finite value."""
    group = np.asarray(group, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    weights = np.clip(np.asarray(weights, dtype=np.float64), 0.0, None)
    ok = np.isfinite(values) & (group >= 0)
    g = group[ok]
    v = values[ok]
    w = weights[ok]
    sum_w = np.bincount(g, weights=w, minlength=groups)
    sum_wv = np.bincount(g, weights=w * v, minlength=groups)
    count = np.bincount(g, minlength=groups).astype(np.float64)
    sum_v = np.bincount(g, weights=v, minlength=groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(sum_w > 0, sum_wv / sum_w, np.where(count > 0, sum_v / count, np.nan))
    return out


def tree_depth(parent: Ints) -> Ints:
    """Depth of every node (0 for a root) from parent indexes (−1 for none).

    Raises ValueError when the parents form a cycle or the tree is implausibly tall.
    """
    parent = np.asarray(parent, dtype=np.int64)
    n = parent.shape[0]
    depth = np.zeros(n, dtype=np.int64)
    has_parent = parent >= 0
    safe_parent = np.where(has_parent, parent, 0)
    for _ in range(MAX_TREE_HEIGHT + 1):
        new = np.where(has_parent, depth[safe_parent] + 1, 0) if n else depth
        if np.array_equal(new, depth):
            return depth
        depth = new
        if n and depth.max() > MAX_TREE_HEIGHT:
            break
    raise ValueError("goal alignments form a cycle or are more than 64 levels deep")


@dataclass(frozen=True, slots=True)
class RollUp:
    progress: Floats
    aligned: Floats
    depth: Ints


def roll_up(parent: Ints, own: Floats, weight: Floats, mode: Ints) -> RollUp:
    """Progress of every goal from its own progress and its aligned goals, bottom-up.

    parent: index of each goal's parent in these arrays, −1 for none (a parent outside the
    arrays must be given as −1). weight: each goal's weight as a contribution to its parent.
    """
    parent = np.asarray(parent, dtype=np.int64)
    own = np.asarray(own, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    mode = np.asarray(mode, dtype=np.int64)
    n = parent.shape[0]
    depth = tree_depth(parent)
    progress = np.full(n, np.nan)
    aligned = np.full(n, np.nan)
    if n == 0:
        return RollUp(progress, aligned, depth)
    for d in range(int(depth.max()), -1, -1):
        at = np.flatnonzero(depth == d)
        children = np.flatnonzero(depth == d + 1)
        if children.size:
            means = weighted_group_mean(parent[children], progress[children], weight[children], n)
            aligned[at] = means[at]
        progress[at] = combine_progress(mode[at], own[at], aligned[at])
    return RollUp(progress, aligned, depth)


def combine_progress(mode: Ints, own: Floats, aligned: Floats) -> Floats:
    """A goal's progress from its own and its aligned goals' progress, by mode."""
    m = np.asarray(mode, dtype=np.int64)
    o = np.asarray(own, dtype=np.float64)
    a = np.asarray(aligned, dtype=np.float64)
    either = np.where(np.isfinite(o), o, a)
    both = np.where(np.isfinite(o) & np.isfinite(a), (o + a) / 2, either)
    return np.select(
        [m == MODE_KEY_RESULTS, m == MODE_ALIGNED, m == MODE_BOTH], [o, a, both], default=either
    )
