"""Direct weights and weighted totals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.engine.rules import WeightError, validate_weights, weighted_total
from jixiao.engine.weights import direct_weights


def test_validate_weights():
    assert validate_weights([0.5, 0.3, 0.2]) == []
    assert validate_weights([50, 30, 20]) == []
    assert [i.code for i in validate_weights([0.5, 0.4])] == ["sum_not_one"]
    assert [(i.path, i.code) for i in validate_weights([0.5, -0.1, 0.6])] == [
        ("weights[1]", "negative")
    ]
    assert [i.code for i in validate_weights([])] == ["empty"]
    assert [i.code for i in validate_weights([math.nan, 1])] == ["not_finite"]
    assert [i.code for i in validate_weights(["a"])] == ["not_number"]
    assert validate_weights([0.5, 0.5 + 1e-9]) == []
    assert "1（或 100%）" in validate_weights([0.2])[0].message_zh


def test_direct_weights_normalize_percentages():
    assert direct_weights([60, 40]).tolist() == [0.6, 0.4]
    with pytest.raises(WeightError):
        direct_weights([60, 30])


def test_weighted_total_renormalizes_missing_scores():
    scores = np.array([[80, 90, 100], [80, np.nan, 100], [np.nan, np.nan, np.nan]])
    totals = weighted_total(scores, [0.5, 0.3, 0.2])
    assert totals[0] == pytest.approx(40 + 27 + 20)
    assert totals[1] == pytest.approx((40 + 20) / 0.7)
    assert math.isnan(totals[2])
    strict = weighted_total(scores, [0.5, 0.3, 0.2], renormalize_missing=False)
    assert strict[0] == pytest.approx(87) and math.isnan(strict[1])


def test_weighted_total_zero_weight_and_shapes():
    totals = weighted_total([[np.nan, 70]], [1, 0])
    assert math.isnan(totals[0])  # only a zero-weight indicator was scored
    assert weighted_total([10.0, 20.0], [1.0]).tolist() == [10.0, 20.0]
    with pytest.raises(ValueError):
        weighted_total([[1, 2]], [1.0])
    with pytest.raises(WeightError):
        weighted_total([[1, 2]], [0.7, 0.7])


def test_sections_are_weighted_again():
    section_a = weighted_total([[80, 100]], [0.5, 0.5])
    section_b = weighted_total([[60]], [1])
    total = weighted_total(np.column_stack([section_a, section_b]), [0.7, 0.3])
    assert total[0] == pytest.approx(0.7 * 90 + 0.3 * 60)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 8).flatmap(
        lambda k: st.tuples(
            st.lists(st.floats(0.01, 1), min_size=k, max_size=k),
            st.lists(
                st.lists(st.one_of(st.floats(0, 100), st.just(math.nan)), min_size=k, max_size=k),
                min_size=1,
                max_size=20,
            ),
        )
    )
)
def test_totals_lie_between_the_row_extremes(case):
    raw, rows = case
    weights = np.array(raw) / sum(raw)
    scores = np.array(rows, dtype=float)
    totals = weighted_total(scores, weights)
    for row, total in zip(scores, totals, strict=True):
        present = row[~np.isnan(row)]
        if present.size == 0:
            assert math.isnan(total)
        else:
            assert present.min() - 1e-9 <= total <= present.max() + 1e-9
