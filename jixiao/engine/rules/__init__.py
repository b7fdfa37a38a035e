"""Scoring rules (DOMAIN.md §3): typed JSON specs, validated when created, scoring numpy columns.

    rule = rule_from_spec({"kind": "ratio", "direction": "higher", "cap": 1.2})
    rule.score({"actual": actual, "target": target})   # float64, NaN where not scorable

The JSON shape of every kind is documented in docs/scoring-rules.md and kept stable.
"""

from jixiao.engine.rules.base import (
    COLUMN,
    Rule,
    RuleInputError,
    RuleSpecError,
    SpecIssue,
)
from jixiao.engine.rules.counts import (
    BinaryRule,
    DeductionRule,
    Item,
    KeyResult,
    Milestone,
    MilestonesRule,
    OkrRule,
)
from jixiao.engine.rules.formula_rule import (
    ALIASES,
    FORMULA_VARIABLES,
    STANDARD_INPUTS,
    FormulaRule,
)
from jixiao.engine.rules.registry import (
    RULE_KIND_NAMES,
    RULE_KINDS,
    ParameterInfo,
    RuleKindInfo,
    rule_from_spec,
)
from jixiao.engine.rules.tables import Band, BandsRule, BarsRule, Level, RankRule
from jixiao.engine.rules.target import PiecewiseRule, RatioRule
from jixiao.engine.rules.weighted import (
    WeightError,
    normalized_weights,
    validate_weights,
    weighted_total,
)

__all__ = [
    "ALIASES",
    "COLUMN",
    "FORMULA_VARIABLES",
    "RULE_KINDS",
    "RULE_KIND_NAMES",
    "STANDARD_INPUTS",
    "Band",
    "BandsRule",
    "BarsRule",
    "BinaryRule",
    "DeductionRule",
    "FormulaRule",
    "Item",
    "KeyResult",
    "Level",
    "Milestone",
    "MilestonesRule",
    "OkrRule",
    "ParameterInfo",
    "PiecewiseRule",
    "RankRule",
    "RatioRule",
    "Rule",
    "RuleInputError",
    "RuleKindInfo",
    "RuleSpecError",
    "SpecIssue",
    "WeightError",
    "normalized_weights",
    "rule_from_spec",
    "validate_weights",
    "weighted_total",
]
