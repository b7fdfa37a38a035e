"""Goal progress arithmetic: key results against targets, and roll-up through the tree."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.engine import progress as p

NAN = float("nan")


def kr(value, baseline, target, lower=False):
    return float(
        p.key_result_progress(
            np.array([value]), np.array([baseline]), np.array([target]), np.array([lower])
        )[0]
    )


def test_from_baseline_to_target():
    assert kr(90, 80, 100) == pytest.approx(0.5)
    assert kr(80, 80, 100) == 0.0
    assert kr(100, 80, 100) == 1.0
    assert kr(70, 80, 100) == 0.0  # below the baseline
    assert kr(200, 80, 100) == p.PROGRESS_CAP


def test_lower_is_better_from_baseline():
    # complaints from 20 down to 10: 15 is half way
    assert kr(15, 20, 10, lower=True) == pytest.approx(0.5)
    assert kr(10, 20, 10, lower=True) == 1.0
    assert kr(25, 20, 10, lower=True) == 0.0


def test_without_baseline_ratio_to_target():
    assert kr(45, NAN, 90) == pytest.approx(0.5)
    assert kr(5, NAN, 10, lower=True) == p.PROGRESS_CAP  # twice as good, capped
    assert kr(20, NAN, 10, lower=True) == pytest.approx(0.5)
    assert kr(0, NAN, 10, lower=True) == 1.0
    assert kr(0, NAN, 0) == 1.0
    assert kr(-1, NAN, 0) == 0.0


def test_baseline_equal_to_target_falls_back_to_the_ratio():
    assert kr(50, 100, 100) == pytest.approx(0.5)


def test_no_target_is_nan_and_no_value_is_zero():
    assert math.isnan(kr(50, 0, NAN))
    assert kr(NAN, 0, 100) == 0.0


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-1e6, 1e6), st.floats(-1e6, 1e6) | st.just(NAN), st.floats(-1e6, 1e6), st.booleans()
)
def test_progress_stays_within_bounds(value, baseline, target, lower):
    got = kr(value, baseline, target, lower)
    assert 0.0 <= got <= p.PROGRESS_CAP


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1e4), st.floats(0, 1e4), st.floats(1, 1e4), st.floats(1, 1e4))
def test_more_is_never_worse_when_higher_is_better(a, b, baseline, span):
    target = baseline + span
    low, high = sorted((a, b))
    assert kr(low, baseline, target) <= kr(high, baseline, target)


def test_weighted_group_mean_skips_missing_and_handles_zero_weights():
    group = np.array([0, 0, 1, 1, 2])
    values = np.array([1.0, 0.0, 0.5, NAN, NAN])
    weights = np.array([3.0, 1.0, 0.0, 1.0, 1.0])
    out = p.weighted_group_mean(group, values, weights, 4)
    assert out[0] == pytest.approx(0.75)
    assert out[1] == pytest.approx(0.5)  # its only finite value has weight 0: plain mean
    assert math.isnan(out[2]) and math.isnan(out[3])


def test_tree_depth_and_cycles():
    assert p.tree_depth(np.array([-1, 0, 1, 1, -1])).tolist() == [0, 1, 2, 2, 0]
    with pytest.raises(ValueError):
        p.tree_depth(np.array([1, 0]))


def test_roll_up_by_weight_and_mode():
    # 0 unit goal ← 1 (weight 60, own 1.0), 2 (weight 40, own 0.5)
    # 2 ← 3 (weight 100, own 0.0): goal 2 in BOTH mode takes half of own and half of aligned.
    parent = np.array([-1, 0, 0, 2])
    own = np.array([NAN, 1.0, 0.5, 0.0])
    weight = np.array([100.0, 60.0, 40.0, 100.0])
    mode = np.array([p.MODE_AUTO, p.MODE_AUTO, p.MODE_BOTH, p.MODE_AUTO])
    r = p.roll_up(parent, own, weight, mode)
    assert r.progress[3] == 0.0
    assert r.progress[2] == pytest.approx(0.25)
    assert r.progress[1] == 1.0
    assert r.progress[0] == pytest.approx(0.6 * 1.0 + 0.4 * 0.25)
    # the same goal 2 counting only its key results, or only its aligned goals
    r = p.roll_up(parent, own, weight, np.array([0, 0, p.MODE_KEY_RESULTS, 0]))
    assert r.progress[2] == 0.5
    r = p.roll_up(parent, own, weight, np.array([0, 0, p.MODE_ALIGNED, 0]))
    assert r.progress[2] == 0.0


def test_auto_mode_uses_own_progress_when_there_is_some():
    r = p.roll_up(np.array([-1, 0]), np.array([0.3, 1.0]), np.array([1.0, 1.0]), np.array([0, 0]))
    assert r.progress[0] == pytest.approx(0.3)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.floats(0, 1.2), st.floats(0, 100)), min_size=1, max_size=40
    )
)
def test_roll_up_matches_a_recursive_reference(rows):
    n = len(rows)
    parent = np.array([-1 if i == 0 else rows[i][0] % i for i in range(n)])
    own = np.array([r[1] for r in rows])
    weight = np.array([r[2] for r in rows])
    mode = np.full(n, p.MODE_BOTH)
    got = p.roll_up(parent, own, weight, mode).progress

    def reference(i: int) -> Any:
        kids = [j for j in range(n) if parent[j] == i]
        if not kids:
            return own[i]
        values = [reference(j) for j in kids]
        ws = [weight[j] for j in kids]
        agg = (
            sum(w * v for w, v in zip(ws, values, strict=True)) / sum(ws)
            if sum(ws) > 0
            else sum(values) / len(values)
        )
        return (own[i] + agg) / 2

    for i in range(n):
        assert got[i] == pytest.approx(reference(i), abs=1e-9)
