"""The formula rule, on top of jixiao.engine.formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jixiao.engine.rules import RuleSpecError, rule_from_spec

DOMAIN_EXAMPLE = "IF([实际值]>=[目标值], 100, MAX(0, 100-([目标值]-[实际值])*5))"


def test_domain_example_with_chinese_aliases():
    rule = rule_from_spec({"kind": "formula", "expression": DOMAIN_EXAMPLE})
    assert rule.inputs == ("actual", "target")
    got = rule.score(
        {"actual": np.array([100.0, 110, 96, 0, np.nan]), "target": np.array([100.0] * 5)}
    )
    assert got[:4].tolist() == [100.0, 100.0, 80.0, 0.0]
    # A blank actual counts as 0 in Excel arithmetic: 100 - 100*5 → MAX(0, …) = 0.
    assert got[4] == 0.0


def test_columns_named_like_the_variables_win_over_aliases():
    rule = rule_from_spec({"kind": "formula", "expression": "[实际值]*2"})
    got = rule.score({"实际值": np.array([1.0]), "actual": np.array([5.0])})
    assert got.tolist() == [2.0]


def test_error_rows_are_not_scorable():
    rule = rule_from_spec({"kind": "formula", "expression": "[actual]/[target]*100"})
    got = rule.score({"actual": np.array([50.0, 5.0]), "target": np.array([100.0, 0.0])})
    assert got[0] == 50.0 and math.isnan(got[1])


def test_bad_expressions_are_spec_issues():
    with pytest.raises(RuleSpecError) as caught:
        rule_from_spec({"kind": "formula", "expression": "IF([actual]>1, 100"})
    problem = caught.value.issues[0]
    assert problem.path == "expression"
    assert problem.code.startswith("formula_")
    assert problem.message_zh and problem.message_en
    with pytest.raises(RuleSpecError):
        rule_from_spec({"kind": "formula", "expression": "   "})


def test_round_trip_and_describe():
    rule = rule_from_spec({"kind": "formula", "expression": DOMAIN_EXAMPLE})
    again = rule_from_spec(rule.to_spec())
    assert again == rule
    assert DOMAIN_EXAMPLE in rule.describe("zh")
    assert DOMAIN_EXAMPLE in rule.describe("en")


def test_constant_formula_takes_its_length_from_any_column():
    rule = rule_from_spec({"kind": "formula", "expression": "100"})
    assert rule.inputs == ()
    assert rule.score({"anything": np.zeros(3)}).tolist() == [100.0, 100.0, 100.0]


def _issue(expression: str):
    with pytest.raises(RuleSpecError) as caught:
        rule_from_spec({"kind": "formula", "expression": expression})
    (problem,) = caught.value.issues
    return problem


def test_every_rule_input_name_is_accepted():
    from jixiao.engine.rules import FORMULA_VARIABLES, STANDARD_INPUTS

    assert set(STANDARD_INPUTS) == {"actual", "target", "threshold", "stretch"}
    assert {"实际值", "实际", "目标值", "目标", "门槛值", "挑战值"} <= set(FORMULA_VARIABLES)
    expression = "+".join(f"[{name}]" for name in FORMULA_VARIABLES)
    rule = rule_from_spec({"kind": "formula", "expression": expression})
    assert rule.inputs == ("actual", "stretch", "target", "threshold")
    columns = {name: np.array([1.0, 2.0]) for name in STANDARD_INPUTS}
    # 实际值 and 实际 read actual, 目标值 and 目标 read target: 4 + 6 aliases = 10 per unit.
    assert rule.score(columns).tolist() == [10.0, 20.0]


def test_a_misspelt_variable_is_unknown_with_the_closest_name():
    problem = _issue("[实际值]/[targt]*100")
    assert (problem.path, problem.code) == ("expression", "formula_unknown_variable")
    assert "[targt]" in problem.message_zh and "您是否想写 [target]" in problem.message_zh
    assert "did you mean [target]?" in problem.message_en
    assert problem.message_en.startswith("Column 7:")  # where [targt] starts


def test_a_misspelt_chinese_name_is_not_taken_as_a_new_input():
    problem = _issue("IF([实标值]>=[目标值], 100, 0)")
    assert problem.code == "formula_unknown_variable"
    assert "未知变量 [实标值]" in problem.message_zh
    suggestion_zh = problem.message_zh.split("您是否想写 ")[1]
    suggestion_en = problem.message_en.split("did you mean ")[1]
    assert suggestion_zh.rstrip("？") == suggestion_en.rstrip("?")
    assert suggestion_en.rstrip("?") in ("[实际值]", "[目标值]")
    assert _issue("[Actual]*2").message_en.endswith("did you mean [actual]?")


def test_a_name_far_from_every_input_lists_the_inputs():
    problem = _issue("[bonus]+[actual]")
    assert problem.code == "formula_unknown_variable"
    assert "[actual]" in problem.message_en and "[实际值]" in problem.message_zh
    assert "known variables" in problem.message_en and "可用的变量" in problem.message_zh
