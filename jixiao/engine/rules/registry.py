"""Rule kinds by name: `rule_from_spec` and the metadata forms are built from (`RULE_KINDS`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from jixiao.engine.rules.base import Rule, RuleSpecError, SpecReader, issue
from jixiao.engine.rules.counts import BinaryRule, DeductionRule, MilestonesRule, OkrRule
from jixiao.engine.rules.formula_rule import FormulaRule
from jixiao.engine.rules.tables import BandsRule, BarsRule, RankRule
from jixiao.engine.rules.target import PiecewiseRule, RatioRule

READERS: dict[str, Callable[[SpecReader], Rule]] = {
    "ratio": RatioRule.read,
    "piecewise": PiecewiseRule.read,
    "bands": BandsRule.read,
    "deduction": DeductionRule.read,
    "binary": BinaryRule.read,
    "milestones": MilestonesRule.read,
    "bars": BarsRule.read,
    "okr": OkrRule.read,
    "rank": RankRule.read,
    "formula": FormulaRule.read,
}


def rule_from_spec(spec: Mapping[str, object]) -> Rule:
    """Build a rule from its JSON spec, checking everything; raises RuleSpecError with all issues."""
    if not isinstance(spec, Mapping):
        raise RuleSpecError(
            [issue("", "not_object", "规则必须是对象。", "A rule must be an object.")]
        )
    reader = SpecReader(spec)
    kind = reader.choice("kind", tuple(READERS))
    if reader.issues:
        raise RuleSpecError(reader.issues)
    try:
        rule = READERS[kind](reader)
    except (RuleSpecError, TypeError, ValueError) as error:
        # Semantic checks ran on stand-in values where the reader found type errors: report
        # the reader's (type) issues first and the semantic ones only when the types were right.
        reader.finish()
        if reader.issues:
            raise RuleSpecError(reader.issues) from None
        if isinstance(error, RuleSpecError):
            raise RuleSpecError(error.issues) from None
        raise
    reader.finish()
    if reader.issues:
        raise RuleSpecError(reader.issues)
    return rule


@dataclass(frozen=True)
class ParameterInfo:
    """One parameter of a rule kind, for building forms.

    `type` is one of: number, number_or_column (a number or "column"), integer, boolean,
    choice (see `choices`), text, numbers (a list of numbers), items (a list of objects whose
    fields are `items`).
    """

    name: str
    type: str
    default: object
    label_zh: str
    label_en: str
    choices: tuple[str, ...] = ()
    items: tuple[ParameterInfo, ...] = ()
    nullable: bool = False

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "nullable": self.nullable,
        }
        if self.choices:
            data["choices"] = list(self.choices)
        if self.items:
            data["items"] = [p.as_json() for p in self.items]
        return data


@dataclass(frozen=True)
class RuleKindInfo:
    kind: str
    label_zh: str
    label_en: str
    parameters: tuple[ParameterInfo, ...]
    example: dict[str, object] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "parameters": [p.as_json() for p in self.parameters],
            "example": self.example,
        }


P = ParameterInfo
_DIRECTION = P("direction", "choice", "higher", "方向", "Direction", choices=("higher", "lower"))
_LABEL = P("label", "text", "", "名称", "Label")

RULE_KINDS: list[RuleKindInfo] = [
    RuleKindInfo(
        "ratio",
        "完成比例",
        "Ratio to target",
        (
            _DIRECTION,
            P(
                "lower_formula",
                "choice",
                "inverse",
                "越低越好时的算法",
                "Formula when lower is better",
                choices=("inverse", "linear"),
            ),
            P("target", "number_or_column", "column", "目标值", "Target"),
            P("floor", "number", 0.0, "比例下限", "Ratio floor", nullable=True),
            P("cap", "number", 1.2, "比例上限", "Ratio cap", nullable=True),
            P("points", "number", 100.0, "满分（比例 1 对应的分数）", "Points for a ratio of 1"),
        ),
        {"kind": "ratio", "direction": "higher", "target": "column", "floor": 0, "cap": 1.2},
    ),
    RuleKindInfo(
        "piecewise",
        "门槛/目标/挑战值",
        "Threshold / target / stretch",
        (
            _DIRECTION,
            P("threshold", "number_or_column", "column", "门槛值", "Threshold"),
            P("target", "number_or_column", "column", "目标值", "Target"),
            P("stretch", "number_or_column", None, "挑战值", "Stretch", nullable=True),
            P("below_score", "number", 0.0, "未达门槛得分", "Score below the threshold"),
            P("threshold_score", "number", 60.0, "门槛得分", "Score at the threshold"),
            P("target_score", "number", 100.0, "目标得分", "Score at the target"),
            P("stretch_score", "number", 120.0, "挑战得分", "Score at the stretch"),
        ),
        {"kind": "piecewise", "threshold": 80, "target": 95, "stretch": 100},
    ),
    RuleKindInfo(
        "bands",
        "分档计分",
        "Bands",
        (
            P(
                "bands",
                "items",
                [],
                "分档",
                "Bands",
                items=(
                    P("min", "number", None, "下限", "From", nullable=True),
                    P("max", "number", None, "上限", "To", nullable=True),
                    P("points", "number", 0.0, "得分", "Points"),
                ),
            ),
            P("right_closed", "boolean", False, "含上限、不含下限", "Include the upper bound"),
            P(
                "outside_points",
                "number",
                None,
                "档外得分",
                "Points outside all bands",
                nullable=True,
            ),
        ),
        {
            "kind": "bands",
            "bands": [
                {"min": 95, "max": None, "points": 100},
                {"min": 90, "max": 95, "points": 90},
                {"min": 80, "max": 90, "points": 75},
                {"min": None, "max": 80, "points": 50},
            ],
        },
    ),
    RuleKindInfo(
        "deduction",
        "扣分/加分制",
        "Deductions and bonuses",
        (
            P("base", "number", 100.0, "基础分", "Base"),
            P(
                "deductions",
                "items",
                [],
                "扣分项",
                "Deduction items",
                items=(
                    P("code", "text", "", "代码（数据列名）", "Code (data column)"),
                    _LABEL,
                    P("points", "number", 1.0, "每次扣分", "Points per occurrence"),
                    P("cap", "number", None, "最多扣分", "At most", nullable=True),
                ),
            ),
            P(
                "bonuses",
                "items",
                [],
                "加分项",
                "Bonus items",
                items=(
                    P("code", "text", "", "代码（数据列名）", "Code (data column)"),
                    _LABEL,
                    P("points", "number", 1.0, "每次加分", "Points per occurrence"),
                    P("cap", "number", None, "最多加分", "At most", nullable=True),
                ),
            ),
            P("stop_at_zero", "boolean", True, "扣完为止", "Deductions stop at zero"),
            P("cap", "number", None, "总分上限", "Overall cap", nullable=True),
        ),
        {
            "kind": "deduction",
            "base": 100,
            "deductions": [
                {"code": "overdue", "label": "超期办结", "points": 2, "cap": 20},
                {"code": "redo", "label": "发回重办", "points": 5, "cap": None},
            ],
            "bonuses": [{"code": "praise", "label": "表扬", "points": 1, "cap": 5}],
            "stop_at_zero": True,
            "cap": 105,
        },
    ),
    RuleKindInfo(
        "binary",
        "完成与否",
        "Done or not",
        (
            P("points", "number", 100.0, "完成得分", "Points when done"),
            P("not_done_points", "number", 0.0, "未完成得分", "Points when not done"),
        ),
        {"kind": "binary", "points": 100, "not_done_points": 0},
    ),
    RuleKindInfo(
        "milestones",
        "里程碑",
        "Milestones",
        (
            P(
                "milestones",
                "items",
                [],
                "里程碑",
                "Milestones",
                items=(
                    P("code", "text", "", "代码（数据列名）", "Code (data column)"),
                    _LABEL,
                    P("share", "number", 0.0, "占比", "Share"),
                ),
            ),
            P(
                "by",
                "choice",
                "each",
                "数据形式",
                "Data",
                choices=("each", "count"),
            ),
            P("points", "number", 100.0, "满分", "Full points"),
        ),
        {
            "kind": "milestones",
            "milestones": [
                {"code": "design", "label": "方案设计", "share": 0.2},
                {"code": "build", "label": "施工完成", "share": 0.5},
                {"code": "accept", "label": "竣工验收", "share": 0.3},
            ],
        },
    ),
    RuleKindInfo(
        "bars",
        "行为锚定等级",
        "Behaviourally anchored levels",
        (
            P(
                "levels",
                "items",
                [],
                "等级",
                "Levels",
                items=(
                    P("level", "integer", 1, "等级", "Level"),
                    P("points", "number", 0.0, "得分", "Points"),
                    P("label", "text", "", "行为描述", "Behavioural anchor"),
                ),
            ),
        ),
        {
            "kind": "bars",
            "levels": [
                {"level": 1, "points": 20},
                {"level": 2, "points": 40},
                {"level": 3, "points": 60},
                {"level": 4, "points": 80},
                {"level": 5, "points": 100},
            ],
        },
    ),
    RuleKindInfo(
        "okr",
        "OKR 评分",
        "OKR grading",
        (
            P(
                "key_results",
                "items",
                [],
                "关键结果",
                "Key results",
                items=(
                    P("code", "text", "", "代码（数据列名）", "Code (data column)"),
                    _LABEL,
                    P("weight", "number", 1.0, "权重", "Weight"),
                ),
            ),
            P("points", "number", 100.0, "满分", "Full points"),
        ),
        {"kind": "okr", "points": 100},
    ),
    RuleKindInfo(
        "rank",
        "名次计分",
        "Rank to points",
        (
            P("table", "numbers", [], "各名次得分", "Points by place"),
            P("default_points", "number", 0.0, "其余名次得分", "Points beyond the table"),
        ),
        {"kind": "rank", "table": [100, 95, 90, 85, 80], "default_points": 70},
    ),
    RuleKindInfo(
        "formula",
        "公式",
        "Formula",
        (P("expression", "text", "", "公式", "Formula"),),
        {
            "kind": "formula",
            "expression": "IF([实际值]>=[目标值], 100, MAX(0, 100-([目标值]-[实际值])*5))",
        },
    ),
]

RULE_KIND_NAMES: tuple[str, ...] = tuple(info.kind for info in RULE_KINDS)
