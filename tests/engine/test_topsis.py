"""TOPSIS: the Hwang & Yoon textbook example, ties, cost columns, bounds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from jixiao.engine.weights import TopsisError, WeightError, competition_rank, topsis

# Hwang, C.-L. & Yoon, K. (1981). Multiple Attribute Decision Making: Methods and Applications,
# p. 133: buying a fighter aircraft. Criteria: maximum speed, ferry range, maximum payload,
# purchasing cost (cost), reliability, maneuverability. Published S* 0.0545, 0.1197, 0.0580,
# 0.1009; S− 0.0983, 0.0439, 0.0920, 0.0458; C* 0.643, 0.268, 0.613, 0.312 (A1 > A3 > A4 > A2).
AIRCRAFT = [
    [2.0, 1500, 20000, 5.5, 5, 9],
    [2.5, 2700, 18000, 6.5, 3, 5],
    [1.8, 2000, 21000, 4.5, 7, 7],
    [2.2, 1800, 20000, 5.0, 5, 5],
]
WEIGHTS = [0.2, 0.1, 0.1, 0.1, 0.2, 0.3]


def test_hwang_yoon_aircraft_example():
    result = topsis(AIRCRAFT, WEIGHTS, cost=[False, False, False, True, False, False])
    assert np.allclose(result.s_plus, [0.0545, 0.1197, 0.0580, 0.1009], atol=2e-4)
    assert np.allclose(result.s_minus, [0.0983, 0.0439, 0.0920, 0.0458], atol=2e-4)
    # The book rounds its intermediate figures (A3: 0.0920/(0.0580+0.0920) = 0.613; unrounded
    # 0.6135), so compare to within that rounding.
    assert np.allclose(result.closeness, [0.643, 0.268, 0.613, 0.312], atol=6e-4)
    assert result.rank.tolist() == [1, 4, 2, 3]


def test_named_cost_columns_and_percent_weights():
    names = ["speed", "range", "payload", "cost", "reliability", "agility"]
    result = topsis(AIRCRAFT, [20, 10, 10, 10, 20, 30], names, cost=["cost"])
    assert result.rank.tolist() == [1, 4, 2, 3]
    data = result.as_json(["A1", "A2", "A3", "A4"])
    assert data["rows"][0]["id"] == "A1" and data["rows"][0]["rank"] == 1
    assert data["criteria"][3] == {
        "name": "cost",
        "weight": pytest.approx(0.1),
        "direction": "cost",
        "ideal": pytest.approx(result.ideal[3]),
        "anti_ideal": pytest.approx(result.anti_ideal[3]),
    }


def test_ties_share_a_rank():
    result = topsis([[1, 1], [3, 3], [3, 3], [2, 2]], [0.5, 0.5])
    assert result.rank.tolist() == [4, 1, 1, 3]
    assert competition_rank([0.5, 0.9, 0.5, 0.1]).tolist() == [2, 1, 2, 4]
    assert competition_rank([0.3, 0.1 + 0.2]).tolist() == [1, 1]  # float noise is a tie


def test_all_rows_alike():
    result = topsis([[1, 2], [1, 2]], [0.5, 0.5])
    assert result.closeness.tolist() == [0.5, 0.5]
    assert result.rank.tolist() == [1, 1]


def test_bad_input():
    with pytest.raises(TopsisError):
        topsis([[1, 2]], [1.0])
    with pytest.raises(TopsisError):
        topsis([[1, np.nan]], [0.5, 0.5])
    with pytest.raises(WeightError):
        topsis([[1, 2]], [0.5, 0.6])
    with pytest.raises(TopsisError):
        topsis([[1, 2]], [0.5, 0.5], ["a", "b"], cost=["z"])


@settings(max_examples=150, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 10), st.integers(1, 5)),
        elements=st.floats(0, 1e4, allow_nan=False),
    ),
    st.data(),
)
def test_closeness_in_unit_interval_and_ranks_consistent(data, draw):
    k = data.shape[1]
    raw = draw.draw(st.lists(st.floats(0.01, 1), min_size=k, max_size=k))
    weights = np.array(raw) / sum(raw)
    flags = draw.draw(st.lists(st.booleans(), min_size=k, max_size=k))
    result = topsis(data, weights, cost=flags)
    assert ((result.closeness >= 0) & (result.closeness <= 1)).all()
    order = np.argsort(-result.closeness, kind="stable")
    assert result.rank[order[0]] == 1
    assert (np.diff(result.rank[order]) >= 0).all()
