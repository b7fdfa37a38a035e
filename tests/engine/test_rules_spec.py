"""Rule specs: validated when created (with paths to each problem), JSON round trips, metadata."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.engine.rules import (
    RULE_KIND_NAMES,
    RULE_KINDS,
    RatioRule,
    RuleSpecError,
    rule_from_spec,
)

NON_FORMULA = [info for info in RULE_KINDS if info.kind != "formula"]


def issues(spec: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(RuleSpecError) as caught:
        rule_from_spec(spec)
    return {i.path: i.code for i in caught.value.issues}


def test_every_kind_is_described_for_forms():
    assert set(RULE_KIND_NAMES) == {
        "ratio",
        "piecewise",
        "bands",
        "deduction",
        "binary",
        "milestones",
        "bars",
        "okr",
        "rank",
        "formula",
    }
    for info in RULE_KINDS:
        assert info.label_zh and info.label_en
        assert info.example["kind"] == info.kind
        names = [p.name for p in info.parameters]
        assert len(names) == len(set(names))
        json.dumps(info.as_json(), ensure_ascii=False)


@pytest.mark.parametrize("info", NON_FORMULA, ids=lambda i: i.kind)
def test_examples_round_trip_through_json(info):
    rule = rule_from_spec(info.example)
    spec = rule.to_spec()
    again = rule_from_spec(json.loads(json.dumps(spec)))
    assert again == rule
    assert again.to_spec() == spec
    # Every parameter the form knows about appears in the spec, and nothing else.
    assert set(spec) == {"kind"} | {p.name for p in info.parameters}
    assert rule.describe("zh") and rule.describe("en")
    assert rule.describe("zh") != rule.describe("en")


def test_kind_is_required_and_checked():
    assert issues({}) == {"kind": "required"}
    assert issues({"kind": "magic"}) == {"kind": "not_in_choices"}
    with pytest.raises(RuleSpecError):
        rule_from_spec([1, 2])  # type: ignore[arg-type]


def test_type_errors_are_collected_with_paths():
    found = issues({"kind": "ratio", "cap": "lots", "points": True, "direction": "up", "capp": 1})
    assert found == {
        "cap": "not_number",
        "points": "not_number",
        "direction": "not_in_choices",
        "capp": "unknown_field",
    }


def test_non_finite_numbers_are_refused():
    assert issues({"kind": "ratio", "cap": math.inf}) == {"cap": "not_finite"}


def test_ratio_semantic_checks():
    assert issues({"kind": "ratio", "floor": 1.5, "cap": 1.2}) == {"cap": "cap_below_floor"}
    assert issues({"kind": "ratio", "target": -5}) == {"target": "negative_target"}
    assert issues({"kind": "ratio", "points": 0}) == {"points": "not_positive"}
    assert issues({"kind": "ratio", "target": "col"}) == {"target": "not_number_or_column"}
    assert rule_from_spec({"kind": "ratio", "target": 0}).inputs == ("actual",)


def test_piecewise_order_checks():
    found = issues({"kind": "piecewise", "threshold": 90, "target": 80})
    assert found == {"threshold": "points_out_of_order"}
    found = issues({"kind": "piecewise", "direction": "lower", "threshold": 5, "target": 10})
    assert found == {"threshold": "points_out_of_order"}
    found = issues({"kind": "piecewise", "threshold_score": 110})
    assert found == {"target_score": "scores_decreasing"}


def test_bands_gaps_overlaps_and_bounds():
    found = issues(
        {
            "kind": "bands",
            "bands": [
                {"min": 0, "max": 10, "points": 1},
                {"min": 12, "max": 20, "points": 2},
                {"min": 15, "max": 30, "points": 3},
            ],
        }
    )
    assert found == {"bands[1].min": "gap", "bands[2].min": "overlap"}
    assert issues({"kind": "bands", "bands": []}) == {"bands": "empty"}
    found = issues({"kind": "bands", "bands": [{"min": 5, "max": 5, "points": 1}]})
    assert found == {"bands[0].max": "empty_band"}
    found = issues(
        {
            "kind": "bands",
            "bands": [{"min": 0, "max": None, "points": 1}, {"min": 10, "max": 20, "points": 2}],
        }
    )
    assert found == {"bands[0].max": "open_band_not_last"}
    found = issues({"kind": "bands", "bands": [{"min": 0, "max": 1, "points": "x"}, 3]})
    assert found == {"bands[0].points": "not_number", "bands[1]": "not_object"}
    found = issues({"kind": "bands", "bands": [{"min": 0, "max": 1, "points": 1, "pts": 2}]})
    assert found == {"bands[0].pts": "unknown_field"}


def test_deduction_checks():
    found = issues(
        {
            "kind": "deduction",
            "deductions": [{"code": "a", "points": 1}, {"code": "a", "points": -2}],
            "bonuses": [{"code": " ", "points": 1, "cap": -1}],
        }
    )
    assert found == {
        "deductions[1].points": "not_positive",
        "bonuses[0].code": "blank",
        "bonuses[0].cap": "too_small",
    }
    found = issues({"kind": "deduction", "deductions": [{"code": "a", "points": 1}] * 2})
    assert found == {"deductions[1].code": "duplicate"}
    assert issues({"kind": "deduction"}) == {"deductions": "empty"}
    found = issues({"kind": "deduction", "deductions": [{"code": "a", "points": 1}], "cap": 90})
    assert found == {"cap": "cap_below_base"}


def test_milestone_shares_must_sum_to_one():
    found = issues(
        {
            "kind": "milestones",
            "milestones": [{"code": "a", "share": 0.5}, {"code": "b", "share": 0.4}],
        }
    )
    assert found == {"milestones": "shares_not_one"}


def test_bars_rank_binary_checks():
    found = issues(
        {"kind": "bars", "levels": [{"level": 1, "points": 1}, {"level": 1, "points": 2}]}
    )
    assert found == {"levels[1].level": "duplicate"}
    found = issues({"kind": "bars", "levels": [{"level": 1.5, "points": 1}]})
    assert found == {"levels[0].level": "not_integer"}
    found = issues({"kind": "bars", "levels": [{"level": 10**9, "points": 1}]})
    assert found == {"levels[0].level": "out_of_range"}
    assert issues({"kind": "rank", "table": [90, 100]}) == {"table[1]": "not_decreasing"}
    assert issues({"kind": "rank", "table": [100], "default_points": 101}) == {
        "default_points": "not_decreasing"
    }
    assert issues({"kind": "rank"}) == {"table": "required"}
    assert issues({"kind": "binary", "not_done_points": 200}) == {
        "not_done_points": "scores_decreasing"
    }


def test_messages_are_bilingual():
    with pytest.raises(RuleSpecError) as caught:
        rule_from_spec({"kind": "ratio", "floor": 2, "cap": 1})
    problem = caught.value.issues[0]
    assert "上限" in problem.message_zh
    assert "cap" in problem.message_en
    assert problem.as_json()["path"] == "cap"
    assert "cap" in str(caught.value)


def test_direct_construction_validates_too():
    with pytest.raises(RuleSpecError):
        RatioRule(floor=2.0, cap=1.0)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    direction=st.sampled_from(["higher", "lower"]),
    formula=st.sampled_from(["inverse", "linear"]),
    floor=st.floats(min_value=0, max_value=1),
    extra=st.floats(min_value=0, max_value=1),
    points=st.floats(min_value=1, max_value=200),
    actual=st.lists(finite, min_size=1, max_size=20),
    target=st.floats(min_value=0, max_value=1e6),
)
def test_ratio_scores_stay_within_floor_and_cap(
    direction, formula, floor, extra, points, actual, target
):
    spec = {
        "kind": "ratio",
        "direction": direction,
        "lower_formula": formula,
        "floor": floor,
        "cap": floor + extra,
        "points": points,
    }
    rule = rule_from_spec(spec)
    assert rule_from_spec(json.loads(json.dumps(rule.to_spec()))) == rule
    scores = rule.score({"actual": np.array(actual), "target": np.full(len(actual), target)})
    assert not np.isnan(scores).any()
    assert (scores >= floor * points - 1e-9).all()
    assert (scores <= (floor + extra) * points + 1e-9).all()


@settings(max_examples=200, deadline=None)
@given(
    edges=st.lists(st.integers(-1000, 1000), min_size=2, max_size=8, unique=True),
    values=st.lists(st.floats(-2000, 2000, allow_nan=False), min_size=1, max_size=30),
)
def test_contiguous_bands_agree_with_a_scalar_lookup(edges, values):
    edges = sorted(edges)
    bands = [
        {"min": float(lo), "max": float(hi), "points": float(k)}
        for k, (lo, hi) in enumerate(itertools.pairwise(edges))
    ]
    rule = rule_from_spec({"kind": "bands", "bands": bands[::-1]})
    got = rule.score({"actual": np.array(values)})
    for value, result in zip(values, got, strict=True):
        expected = next((b["points"] for b in bands if b["min"] <= value < b["max"]), math.nan)
        assert (math.isnan(expected) and math.isnan(result)) or result == expected


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 200)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["column", "higher", "lower", "each", "count", "a", "b", "", "1/3"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["min", "max", "points", "code", "cap", "share", "level", "weight", "x"]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from([k for k in RULE_KIND_NAMES if k != "formula"]),
    params=st.dictionaries(
        st.sampled_from(
            sorted({p.name for info in RULE_KINDS for p in info.parameters} | {"extra"})
        ),
        json_values,
        max_size=6,
    ),
)
def test_arbitrary_specs_give_a_rule_or_spec_issues_never_a_crash(kind, params):
    try:
        rule = rule_from_spec({"kind": kind, **params})
    except RuleSpecError as error:
        assert error.issues
        assert all(i.path and i.code and i.message_zh and i.message_en for i in error.issues)
        return
    # A spec that passed must round-trip and score a column of anything without raising.
    assert rule_from_spec(json.loads(json.dumps(rule.to_spec()))) == rule
    values = np.array([0.0, 1.0, -1.0, math.nan, 1e9, 0.5])
    rule.score({name: values for name in rule.inputs})
