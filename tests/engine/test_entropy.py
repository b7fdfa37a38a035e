"""Entropy weights: published examples, the min–max path by hand, constant columns, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from jixiao.engine.weights import EntropyError, combine_weights, entropy_weights


def test_xu_2004_published_weights():
    # Xu, X. (2004). A note on the subjective and objective integrated approach to determine
    # attribute weights. European Journal of Operational Research 156(2), 530–532: Shannon
    # entropy on the raw proportions gives 0.4630, 0.3992, 0.1378, 0.0000.
    data = np.array([[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]])
    result = entropy_weights(data, normalization="proportion")
    assert np.round(result.weights, 4).tolist() == [0.4630, 0.3992, 0.1378, 0.0]


def test_zavadskas_podvezko_2016_published_weights():
    # Zavadskas, E. K. & Podvezko, V. (2016). Integrated determination of objective criteria
    # weights in MCDM. IJITDM 15(2), 267–283: 0.1146, 0.1981, 0.4185, 0.2689.
    data = np.array([[3.0, 100, 10, 7], [2.5, 80, 8, 5], [1.8, 50, 20, 11], [2.2, 70, 12, 9]])
    result = entropy_weights(data, normalization="proportion")
    assert np.round(result.weights, 4).tolist() == [0.1146, 0.1981, 0.4185, 0.2689]


def test_minmax_path_worked_by_hand():
    # Column 1 normalizes to 0, 0.5, 1 → p = 0, 1/3, 2/3; column 2 is a cost column that
    # reverses to the same values; column 3 normalizes to 0, 0, 1 → p = 0, 0, 1 → e = 0.
    data = [[10, 30, 5], [20, 20, 5], [30, 10, 9]]
    result = entropy_weights(data, ["a", "b", "c"], cost=["b"])
    e1 = -(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)) / math.log(3)
    assert result.entropy[0] == pytest.approx(e1)
    assert result.entropy[1] == pytest.approx(e1)
    assert result.entropy[2] == pytest.approx(0.0)
    d = [1 - e1, 1 - e1, 1.0]
    assert result.weights == pytest.approx([x / sum(d) for x in d])
    assert result.cost == (False, True, False)


def test_direction_matters_after_minmax():
    data = np.array([[1, 1], [2, 1.5], [10, 9]])
    benefit = entropy_weights(data)
    cost = entropy_weights(data, cost=[True, False])
    assert benefit.weights != cost.weights


def test_constant_column_gets_zero_weight_with_a_note():
    result = entropy_weights([[1, 5], [2, 5], [4, 5]], ["x", "y"])
    assert result.weights == (1.0, 0.0)
    assert "y" in result.notes and "x" not in result.notes
    assert result.as_json()["indicators"][1]["note"]


def test_bad_data():
    with pytest.raises(EntropyError):
        entropy_weights([[1, 2]])
    with pytest.raises(EntropyError) as caught:
        entropy_weights([[1.0, 2.0], [np.nan, 3.0]], ["a", "b"])
    assert "a" in caught.value.message_en and "第 2 行" in caught.value.message_zh
    with pytest.raises(EntropyError):
        entropy_weights([[1, 1], [1, 1]])
    with pytest.raises(EntropyError):
        entropy_weights([[1, 2], [3, 4]], ["a", "b"], cost=["c"])
    with pytest.raises(EntropyError):
        entropy_weights([[-1, 2], [3, 4]], normalization="proportion")
    with pytest.raises(EntropyError):
        entropy_weights([[1, 2], [3, 4]], cost=[True, False], normalization="proportion")


def test_json_shape():
    data = entropy_weights([[1, 2], [3, 5], [4, 4]], ["a", "b"], cost=["b"]).as_json()
    assert set(data) == {"rows", "normalization", "indicators"}
    assert set(data["indicators"][0]) == {
        "name",
        "direction",
        "entropy",
        "divergence",
        "weight",
        "note",
    }
    assert data["indicators"][1]["direction"] == "cost"


def test_combination_with_ahp():
    w = combine_weights([0.5, 0.3, 0.2], [0.2, 0.2, 0.6], alpha=0.5)
    assert w.tolist() == pytest.approx([0.35, 0.25, 0.4])
    assert combine_weights([50, 30, 20], [0.2, 0.2, 0.6], alpha=1).tolist() == pytest.approx(
        [0.5, 0.3, 0.2]
    )
    with pytest.raises(ValueError):
        combine_weights([1.0], [1.0], alpha=1.5)
    with pytest.raises(ValueError):
        combine_weights([0.5, 0.5], [1.0])


@settings(max_examples=150, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 12), st.integers(1, 6)),
        elements=st.floats(-1e4, 1e4, allow_nan=False),
    ),
    st.data(),
)
def test_weights_are_a_distribution(data, draw):
    if np.all(np.ptp(data, axis=0) == 0):
        with pytest.raises(EntropyError):
            entropy_weights(data)
        return
    flags = draw.draw(st.lists(st.booleans(), min_size=data.shape[1], max_size=data.shape[1]))
    result = entropy_weights(data, cost=flags)
    w = np.array(result.weights)
    assert (w >= 0).all()
    assert w.sum() == pytest.approx(1.0)
    assert all(0 <= e <= 1 for e in result.entropy)
