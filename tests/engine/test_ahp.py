"""AHP: Saaty's published examples, consistent matrices, n ≤ 2, validation, the comparison to revise."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.engine.weights import (
    EXTENDED_RI,
    SAATY_RI,
    AHPError,
    RITable,
    ahp,
    consistent_matrix,
    global_weights,
    parse_judgement,
    parse_ri_values,
    ri_table_issues,
    scale_text,
    validate_matrix,
)


def matrix(rows: list[str]) -> np.ndarray:
    return np.array([[float(Fraction(x)) for x in row.split()] for row in rows])


# Saaty, "Decision making with the analytic hierarchy process", Int. J. Services Sciences 1(1),
# 2008 (first in Saaty, The Analytic Hierarchy Process, 1980): a family choosing a house weighs
# eight criteria. Published priorities .173 .054 .188 .018 .031 .036 .167 .333,
# λmax = 9.669, C.I. = 0.238, C.R. = 0.169.
HOUSE = matrix(
    [
        "1 5 3 7 6 6 1/3 1/4",
        "1/5 1 1/3 5 3 3 1/5 1/7",
        "1/3 3 1 6 3 4 6 1/5",
        "1/7 1/5 1/6 1 1/3 1/4 1/7 1/8",
        "1/6 1/3 1/3 3 1 1/2 1/5 1/6",
        "1/6 1/3 1/4 4 2 1 1/5 1/6",
        "3 5 1/6 7 5 5 1 1/2",
        "4 7 5 8 6 6 2 1",
    ]
)
HOUSE_WEIGHTS = [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]

# Same paper: "Which drink is consumed more in the U.S.?" (coffee, wine, tea, beer, sodas,
# milk, water). Published derived priorities .177 .019 .042 .116 .190 .129 .327.
DRINKS = matrix(
    [
        "1 9 5 2 1 1 1/2",
        "1/9 1 1/3 1/9 1/9 1/9 1/9",
        "1/5 3 1 1/3 1/4 1/3 1/9",
        "1/2 9 3 1 1/2 1 1/3",
        "1 9 4 2 1 2 1/2",
        "1 9 3 1 1/2 1 1/3",
        "2 9 9 3 2 3 1",
    ]
)
DRINK_WEIGHTS = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]


def test_saaty_house_example():
    result = ahp(HOUSE)
    assert np.allclose(result.weights, HOUSE_WEIGHTS, atol=6e-4)
    assert result.lambda_max == pytest.approx(9.669, abs=5e-4)
    assert result.ci == pytest.approx(0.238, abs=5e-4)
    assert result.cr == pytest.approx(0.169, abs=5e-4)
    assert result.ri == 1.41 and result.ri_table == "saaty"
    assert not result.consistent
    # The most inconsistent judgement is row 3 (c) over row 7 (g) = 6, whose implied value
    # from the weights is about 1.13: that is the one to revise.
    assert result.revise is not None
    assert (result.revise.row, result.revise.column) == (2, 6)
    assert result.revise.value == 6
    assert result.revise.suggested == pytest.approx(0.188 / 0.167, abs=0.01)
    assert result.revise.suggested_scale == "1"


def test_saaty_drinks_example():
    result = ahp(DRINKS)
    assert np.allclose(result.weights, DRINK_WEIGHTS, atol=6e-4)
    assert result.consistent
    assert result.cr < 0.1


def test_geometric_mean_is_close_to_the_eigenvector():
    eigen = ahp(DRINKS)
    geometric = ahp(DRINKS, method="geometric")
    assert geometric.method == "geometric"
    assert np.allclose(eigen.weights, geometric.weights, atol=0.01)
    assert geometric.lambda_max == pytest.approx(eigen.lambda_max, abs=0.05)
    # On an inconsistent matrix the approximation drifts further but keeps the verdict.
    assert not ahp(HOUSE, method="geometric").consistent


def test_perfectly_consistent_matrix_gives_exact_weights_and_zero_cr():
    weights = np.array([0.4, 0.3, 0.2, 0.1])
    for method in ("eigenvector", "geometric"):
        result = ahp(consistent_matrix(weights), method=method)
        assert np.allclose(result.weights, weights, atol=1e-12)
        assert result.lambda_max == pytest.approx(4.0, abs=1e-9)
        assert result.cr == pytest.approx(0.0, abs=1e-12)
        assert result.consistent
        assert result.revise is None


@pytest.mark.parametrize("a", [1.0, 3.0, 1 / 7, 9.0])
def test_two_criteria_are_always_consistent(a):
    result = ahp([[1, a], [1 / a, 1]], ["x", "y"])
    assert result.cr == 0 and result.ci == 0 and result.consistent
    assert result.weights[0] == pytest.approx(a / (1 + a))
    one = ahp([[1]])
    assert one.weights == (1.0,) and one.cr == 0


def test_ri_tables_are_configurable_and_recorded():
    assert SAATY_RI.values[:5] == (0.0, 0.0, 0.58, 0.90, 1.12)
    result = ahp(DRINKS, ri_table="extended_15")
    assert result.ri_table == "extended_15" and result.ri == EXTENDED_RI.values[6]
    custom = RITable("mine", (0, 0, 0.5))
    three = ahp(consistent_matrix([1, 2, 3]) * 1.0, ri_table=custom)
    assert three.ri_table == "mine" and three.ri == 0.5
    with pytest.raises(AHPError) as caught:
        ahp(consistent_matrix(np.arange(1, 13)))
    assert caught.value.issues[0].code == "no_random_index"
    assert ahp(consistent_matrix(np.arange(1, 13)), ri_table=EXTENDED_RI).consistent


def test_ri_tables_are_checked_when_made():
    table = RITable("省厅表", (0, 0, 0.52, 0.89))
    assert table.values == (0.0, 0.0, 0.52, 0.89)
    assert all(isinstance(v, float) for v in table.values)
    result = ahp(consistent_matrix([4, 3, 2, 1]), ri_table=table)
    assert result.ri == 0.89 and result.ri_table == "省厅表"
    assert result.ri_values == table.values

    def codes(name, values):
        with pytest.raises(AHPError) as caught:
            RITable(name, values)
        return [(i.path, i.code) for i in caught.value.issues]

    assert codes("x", (0, 0)) == [("ri_table.values", "too_short")]
    assert codes("x", (0, 0, 0)) == [("ri_table.values[2]", "not_positive")]
    assert codes("x", (0, -1, 0.5, "1")) == [
        ("ri_table.values[1]", "negative"),
        ("ri_table.values[3]", "not_number"),
    ]
    assert codes("x", (0, 0, math.inf)) == [("ri_table.values[2]", "negative")]
    assert codes("", (0, 0, 1)) == [("ri_table.name", "blank")]
    assert codes("n" * 33, (0, 0, 1)) == [("ri_table.name", "bad_name")]
    assert codes("x", "0,0,1") == [("ri_table.values", "not_list")]
    assert ri_table_issues("ok", [0, 0, 0.58]) == []


def test_ri_values_as_typed():
    assert parse_ri_values("0,0,0.58,0.90") == (0.0, 0.0, 0.58, 0.9)
    assert parse_ri_values(" 0， 0  0.58 ") == (0.0, 0.0, 0.58)
    with pytest.raises(AHPError) as caught:
        parse_ri_values("0,0,abc")
    (problem,) = caught.value.issues
    assert problem.path == "ri_table.values[2]" and "abc" in problem.message_zh


def test_validation_names_the_cell():
    problems = validate_matrix([[1.0, 3.0], [0.5, 1.0]], ["质量", "效率"])
    assert len(problems) == 1
    p = problems[0]
    assert (p.row, p.column, p.code) == (1, 0, "not_reciprocal")
    assert "质量" in p.message_zh and "1/3" in p.message_zh
    assert "row 2, column 1" in p.message_en

    shape = validate_matrix([[1.0, 2.0, 3.0], [0.5, 1.0, 2.0]])
    assert shape[0].code == "not_square"
    negative = validate_matrix([[1.0, -2.0], [0.5, 1.0]])
    assert (negative[0].row, negative[0].column, negative[0].code) == (0, 1, "not_positive")
    diagonal = validate_matrix([[2, 1], [1, 1]])
    assert diagonal[0].code == "diagonal_not_one"
    # 0.33 for 1/3 is accepted (within 2%).
    assert validate_matrix([[1.0, 3.0], [0.33, 1.0]]) == []
    with pytest.raises(AHPError):
        ahp([[1, 3], [3, 1]])


def test_parse_judgement_and_scale_text():
    assert parse_judgement("1/3") == pytest.approx(1 / 3)
    assert parse_judgement(" 5 ") == 5
    assert parse_judgement("1／4") == 0.25
    for bad in ("abc", "1/0", "", "nan"):
        with pytest.raises(ValueError):
            parse_judgement(bad)
    assert scale_text(2.6) == "3"
    assert scale_text(0.3) == "1/3"
    assert scale_text(40) == "9"
    assert scale_text(0.01) == "1/9"
    assert scale_text(0.89) == "1"


def test_json_shape():
    data = ahp(HOUSE, list("abcdefgh")).as_json()
    assert set(data) == {
        "method",
        "criteria",
        "lambda_max",
        "ci",
        "ri",
        "cr",
        "ri_table",
        "ri_values",
        "threshold",
        "consistent",
        "revise",
    }
    assert data["ri_values"] == list(SAATY_RI.values)
    assert data["criteria"][0]["name"] == "a"
    assert data["revise"]["row"] == "c" and data["revise"]["column"] == "g"


def test_hierarchical_global_weights():
    tree: dict[str, dict[str, float]] = {
        "": {"德": 0.2, "能": 0.3, "绩": 0.5},
        "绩": {"数量": 0.6, "质量": 0.4},
        "能": {"业务": 50, "协调": 50},  # percentages are fine
    }
    result = global_weights(tree)
    assert result["数量"] == pytest.approx(0.3)
    assert result["质量"] == pytest.approx(0.2)
    assert result["业务"] == pytest.approx(0.15)
    leaves = ["德", "业务", "协调", "数量", "质量"]
    assert sum(result[name] for name in leaves) == pytest.approx(1.0)


def test_hierarchy_problems_are_reported():
    from jixiao.engine.weights import WeightError

    with pytest.raises(WeightError) as caught:
        global_weights({"": {"a": 0.5, "b": 0.4}})
    assert caught.value.issues[0].code == "sum_not_one"
    with pytest.raises(WeightError):
        global_weights({"": {"a": 1.0}, "a": {"b": 1.0}, "b": {"a": 1.0}})


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(min_value=0.01, max_value=100), min_size=1, max_size=11),
    st.sampled_from(["eigenvector", "geometric"]),
)
def test_consistent_matrices_recover_their_weights(raw, method):
    weights = np.array(raw) / np.sum(raw)
    result = ahp(consistent_matrix(weights), method=method)
    assert sum(result.weights) == pytest.approx(1.0)
    assert np.allclose(result.weights, weights, rtol=1e-6, atol=1e-9)
    assert result.cr == pytest.approx(0.0, abs=1e-6)
    assert result.consistent


saaty_scale = st.sampled_from([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9, 2, 1 / 2])


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=3, max_value=9).flatmap(
        lambda n: st.lists(saaty_scale, min_size=n * (n - 1) // 2, max_size=n * (n - 1) // 2).map(
            lambda upper: (n, upper)
        )
    )
)
def test_random_reciprocal_matrices(case):
    n, upper = case
    a = np.ones((n, n))
    iu = np.triu_indices(n, 1)
    a[iu] = upper
    a[(iu[1], iu[0])] = 1 / np.array(upper)
    result = ahp(a)
    assert sum(result.weights) == pytest.approx(1.0)
    assert all(w > 0 for w in result.weights)
    assert result.lambda_max >= n - 1e-9  # λmax ≥ n for positive reciprocal matrices
    assert result.cr >= 0
    if result.revise is not None:
        assert result.revise.value >= 1
