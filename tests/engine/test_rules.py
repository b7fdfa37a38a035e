"""Every rule kind at its edges: equal to target, zero target, zero actual, blanks, negatives,
caps and floors, both directions (docs/scoring-rules.md documents each outcome)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from jixiao.engine.rules import RuleInputError, rule_from_spec

NAN = math.nan


def score(spec: dict[str, Any], **columns: Any) -> list[float]:
    rule = rule_from_spec(spec)
    arrays = {k: np.asarray(v, dtype=float) for k, v in columns.items()}
    return [round(float(x), 9) if not math.isnan(x) else NAN for x in rule.score(arrays)]


def same(got: list[float], expected: list[float]) -> bool:
    return all(
        (math.isnan(g) and math.isnan(e)) or abs(g - e) < 1e-9
        for g, e in zip(got, expected, strict=True)
    )


# -- ratio -----------------------------------------------------------------------------------


def test_ratio_higher_is_better_edges():
    got = score(
        {"kind": "ratio"},
        actual=[100, 50, 0, 150, NAN, 100, -10, 0, 5, 3],
        target=[100, 100, 100, 100, 100, NAN, 100, 0, 0, -5],
    )
    # equal → 100; half → 50; zero actual → 0; capped at 120%; blanks → NaN;
    # negative actual → floor 0; 0 of 0 → met; above a zero target → cap; negative target → NaN.
    assert same(got, [100, 50, 0, 120, NAN, NAN, 0, 100, 120, NAN])


def test_ratio_lower_is_better_inverse_and_linear():
    actual = [100, 50, 200, 0, 0, 5, -1, NAN]
    target = [100, 100, 100, 100, 0, 0, 100, 100]
    inverse = score({"kind": "ratio", "direction": "lower"}, actual=actual, target=target)
    # T/A: equal 100, half the cost 200 → cap 120, double → 50, zero actual beats → cap,
    # 0 of 0 → met, above a zero target → floor 0, negative actual beats → cap.
    assert same(inverse, [100, 120, 50, 120, 100, 0, 120, NAN])
    linear = score(
        {
            "kind": "ratio",
            "direction": "lower",
            "lower_formula": "linear",
            "cap": None,
            "floor": None,
        },
        actual=actual,
        target=target,
    )
    # 1 + (T−A)/T: 1, 1.5, 0, 2, met, −∞ without a floor → NaN, 2.01.
    assert same(linear, [100, 150, 0, 200, 100, NAN, 201, NAN])


def test_ratio_floor_cap_points_and_fixed_target():
    rule = rule_from_spec({"kind": "ratio", "target": 80, "floor": 0.6, "cap": 1.0, "points": 50})
    assert rule.inputs == ("actual",)
    got = rule.score({"actual": np.array([0.0, 40, 64, 80, 120])})
    assert got.tolist() == [30.0, 30.0, 40.0, 50.0, 50.0]


def test_ratio_without_cap_scores_above_target_but_not_infinite():
    got = score({"kind": "ratio", "cap": None}, actual=[300, 5], target=[100, 0])
    assert same(got, [300, NAN])


# -- piecewise -------------------------------------------------------------------------------


def test_piecewise_higher_fixed_points():
    spec = {"kind": "piecewise", "threshold": 80, "target": 90, "stretch": 100}
    got = score(spec, actual=[70, 80, 85, 90, 95, 100, 130, NAN, -5, 0])
    assert same(got, [0, 60, 80, 100, 110, 120, 120, NAN, 0, 0])


def test_piecewise_without_stretch_stops_at_target_score():
    spec = {"kind": "piecewise", "threshold": 0, "target": 10, "below_score": 20}
    got = score(spec, actual=[-1, 0, 5, 10, 50])
    assert same(got, [20, 60, 80, 100, 100])


def test_piecewise_lower_is_better_mirrors():
    spec = {
        "kind": "piecewise",
        "direction": "lower",
        "threshold": 10,
        "target": 5,
        "stretch": 0,
    }
    got = score(spec, actual=[12, 10, 7.5, 5, 2.5, 0, -3])
    assert same(got, [0, 60, 80, 100, 110, 120, 120])


def test_piecewise_columns_and_rows_out_of_order():
    spec = {"kind": "piecewise", "stretch": "column"}
    rule = rule_from_spec(spec)
    assert rule.inputs == ("actual", "threshold", "target", "stretch")
    got = score(
        spec,
        actual=[90, 90, 0, 5],
        threshold=[80, 95, 0, 0],
        target=[100, 90, 0, 0],  # second row: threshold above target → not scorable
        stretch=[110, 100, 0, 0],
    )
    # zero target equal to threshold and stretch: reaching it reaches the stretch.
    assert same(got, [80, NAN, 120, 120])


def test_piecewise_threshold_equal_to_target_jumps():
    got = score({"kind": "piecewise", "threshold": 5, "target": 5}, actual=[4.99, 5, 6])
    assert same(got, [0, 100, 100])


# -- bands -----------------------------------------------------------------------------------

BANDS = {
    "kind": "bands",
    "bands": [
        {"min": 95, "max": None, "points": 100},
        {"min": 90, "max": 95, "points": 90},
        {"min": 0, "max": 90, "points": 60},
    ],
}


def test_bands_left_closed_by_default():
    got = score(BANDS, actual=[100, 95, 94.99, 90, 0, -1, NAN, 1e9])
    assert same(got, [100, 100, 90, 90, 60, NAN, NAN, 100])


def test_bands_right_closed_and_outside_points():
    spec = {**BANDS, "right_closed": True, "outside_points": 0}
    got = score(spec, actual=[95, 95.01, 90, 0, 0.01, -5, NAN])
    assert same(got, [90, 100, 60, 0, 60, 0, NAN])


def test_bands_open_below():
    spec = {
        "kind": "bands",
        "bands": [{"min": None, "max": 0, "points": -10}, {"min": 0, "max": 10, "points": 5}],
    }
    assert same(score(spec, actual=[-1e6, 0, 10]), [-10, 5, NAN])


# -- deduction -------------------------------------------------------------------------------

DEDUCTION = {
    "kind": "deduction",
    "base": 100,
    "deductions": [
        {"code": "late", "points": 10, "cap": 30},
        {"code": "redo", "points": 40},
    ],
    "bonuses": [{"code": "praise", "points": 2, "cap": 6}],
    "stop_at_zero": True,
    "cap": 105,
}


def test_deduction_caps_bonus_and_stop_at_zero():
    got = score(
        DEDUCTION,
        late=[0, 1, 5, 0, 0, NAN, -1, 0.5],
        redo=[0, 0, 0, 3, 3, NAN, 0, 0],
        praise=[0, 1, 0, 0, 10, NAN, 0, 0],
    )
    # clean; one late + one praise; late capped at 30; deductions stop at zero (120 → 100);
    # stop at zero, then bonuses capped at 6; all blank = no occurrences; negative → NaN;
    # fractional counts are allowed.
    assert same(got, [100, 92, 70, 0, 6, 100, NAN, 95])


def test_deduction_overall_cap_and_negative_scores_without_stop():
    spec = {**DEDUCTION, "stop_at_zero": False, "cap": 101}
    got = score(spec, late=[0, 0], redo=[0, 3], praise=[3, 0])
    assert same(got, [101, -20])


def test_deduction_needs_its_columns():
    rule = rule_from_spec(DEDUCTION)
    assert rule.inputs == ("late", "redo", "praise")
    with pytest.raises(RuleInputError, match="praise"):
        rule.score({"late": np.zeros(2), "redo": np.zeros(2)})


# -- binary and milestones ---------------------------------------------------------------------


def test_binary():
    got = score({"kind": "binary", "points": 10, "not_done_points": 2}, done=[1, 0, NAN, -1, 3])
    assert same(got, [10, 2, NAN, NAN, 10])


MILESTONES = {
    "kind": "milestones",
    "milestones": [
        {"code": "a", "share": 0.2},
        {"code": "b", "share": 0.5},
        {"code": "c", "share": 0.3},
    ],
}


def test_milestones_each():
    got = score(
        MILESTONES,
        a=[1, 1, 0, NAN, 1, -1],
        b=[1, 0, 1, NAN, NAN, 0],
        c=[1, 1, 0, NAN, NAN, 0],
    )
    # all, a + c, b only, nothing reported → NaN, blanks count as not yet, negative → NaN.
    assert same(got, [100, 50, 50, NAN, 20, NAN])


def test_milestones_count():
    spec = {**MILESTONES, "by": "count", "points": 10}
    assert rule_from_spec(spec).inputs == ("done",)
    got = score(spec, done=[0, 1, 2, 3, 4, 1.5, -1, NAN])
    assert same(got, [0, 2, 7, 10, NAN, NAN, NAN, NAN])


# -- bars, okr, rank ---------------------------------------------------------------------------


def test_bars_levels():
    spec = {
        "kind": "bars",
        "levels": [{"level": n, "points": p} for n, p in ((1, 20), (2, 45), (3, 60), (5, 100))],
    }
    got = score(spec, level=[1, 2, 3, 4, 5, 6, 0, 2.5, NAN, -1])
    assert same(got, [20, 45, 60, NAN, 100, NAN, NAN, NAN, NAN, NAN])


def test_okr_grade_and_key_results():
    got = score({"kind": "okr"}, grade=[0, 0.65, 1, 1.2, -0.1, NAN])
    assert same(got, [0, 65, 100, NAN, NAN, NAN])
    spec = {
        "kind": "okr",
        "points": 10,
        "key_results": [{"code": "kr1", "weight": 3}, {"code": "kr2", "weight": 1}],
    }
    got = score(spec, kr1=[1, 0.5, NAN, 0.4], kr2=[0, 0.5, 1, 2])
    assert same(got, [7.5, 5, NAN, NAN])


def test_rank_table_and_default():
    spec = {"kind": "rank", "table": [100, 90, 90, 80], "default_points": 60}
    got = score(spec, rank=[1, 2, 3, 4, 5, 100, 0, -1, 1.5, NAN])
    assert same(got, [100, 90, 90, 80, 60, 60, NAN, NAN, NAN, NAN])


# -- inputs ------------------------------------------------------------------------------------


def test_score_accepts_lists_with_none_as_blank():
    rule = rule_from_spec({"kind": "ratio", "target": 100})
    got = rule.score({"actual": [50, None, 100]})
    assert got[0] == 50 and math.isnan(got[1]) and got[2] == 100


def test_score_rejects_text_and_ragged_columns():
    rule = rule_from_spec({"kind": "ratio"})
    with pytest.raises(RuleInputError):
        rule.score({"actual": np.array(["a", "b"]), "target": np.ones(2)})
    with pytest.raises(RuleInputError, match="length"):
        rule.score({"actual": np.ones(2), "target": np.ones(3)})
    with pytest.raises(RuleInputError, match="target"):
        rule.score({"actual": np.ones(2)})


def test_large_arrays_are_vectorized():
    rule = rule_from_spec(BANDS)
    actual = np.linspace(0, 120, 200_001)
    result = rule.score({"actual": actual})
    assert result.shape == actual.shape
    assert result.dtype == np.float64
