"""The indicator library workbook: sheets, columns and the words used for enumerations.

One definition feeds the parser, the validator, the template and the exports, so that what
we write can always be read back. The rule travels as JSON text (the same shape as the API);
规则说明 is written on export for readers and ignored on import.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jixiao.imports.formats import ACTIVE_CHOICES, Column, SheetSpec
from jixiao.indicators.models import Category, Direction, Period, SourceKind

CATEGORY_CHOICES = (
    ("效率", Category.EFFICIENCY.value),
    ("服务质量", Category.SERVICE_QUALITY.value),
    ("目标达成", Category.GOAL_ACHIEVEMENT.value),
    ("德能勤绩廉", Category.CONDUCT.value),
    ("热线与窗口", Category.HOTLINE_WINDOW.value),
    ("其他", Category.OTHER.value),
)
DIRECTION_CHOICES = (("越高越好", Direction.HIGHER.value), ("越低越好", Direction.LOWER.value))
SOURCE_CHOICES = (
    ("手工填报", SourceKind.MANUAL.value),
    ("业务记录", SourceKind.RECORDS.value),
    ("满意度调查", SourceKind.SURVEY.value),
    ("目标进度", SourceKind.GOAL_PROGRESS.value),
    ("指标公式", SourceKind.FORMULA.value),
)
PERIOD_CHOICES = (
    ("月度", Period.MONTHLY.value),
    ("季度", Period.QUARTERLY.value),
    ("半年", Period.HALF_YEAR.value),
    ("年度", Period.ANNUAL.value),
    ("专项", Period.SPECIAL.value),
    ("聘期", Period.TERM.value),
)

EXPORT_ONLY = frozenset({"rule_text"})
"""Columns written for readers and ignored on import."""

INDICATORS = SheetSpec(
    kind="indicators",
    sheet="指标",
    key_column="code",
    columns=(
        Column(
            "编码",
            "code",
            required=True,
            max_length=32,
            example="XL-09",
            help=_("Names the indicator across its versions; rows are matched by it."),
        ),
        Column(
            "名称", "name", required=True, max_length=100, width=28, example="会议通知按时发出率"
        ),
        Column("类别", "category", required=True, choices=CATEGORY_CHOICES, example="效率"),
        Column("定义", "definition", width=40, example="会议通知在会前规定时间发出的比例。"),
        Column("考评标准", "standard", width=40, example="达到 98% 得 100 分，90% 得 60 分。"),
        Column("单位", "unit", max_length=32, width=8, example="%"),
        Column("方向", "direction", required=True, choices=DIRECTION_CHOICES, example="越高越好"),
        Column(
            "数据来源", "source_kind", required=True, choices=SOURCE_CHOICES, example="业务记录"
        ),
        Column("来源说明", "source_detail", width=30, example="会议管理台账"),
        Column(
            "计分规则",
            "rule",
            required=True,
            width=50,
            example='{"kind": "piecewise", "direction": "higher", "threshold": 90, "target": 98}',
            help=_("The scoring rule as JSON, as in docs/scoring-rules.md."),
        ),
        Column(
            "规则说明",
            "rule_text",
            width=40,
            help=_("Written on export for readers; ignored on import."),
        ),
        Column("默认权重(%)", "default_weight", width=10, example="10", help=_("0 to 100.")),
        Column("考核周期", "period", required=True, choices=PERIOD_CHOICES, example="季度"),
        Column("责任主体", "responsible", max_length=100, width=20, example="办公室"),
        Column(
            "状态",
            "is_active",
            choices=ACTIVE_CHOICES,
            width=8,
            example="启用",
            help=_("Empty means active."),
        ),
    ),
)

LEVELS = SheetSpec(
    kind="levels",
    sheet="行为锚定等级",
    key_column="indicator",
    columns=(
        Column(
            "指标编码",
            "indicator",
            required=True,
            max_length=32,
            example="DN-03",
            help=_("The levels listed for an indicator replace all of its levels."),
        ),
        Column("等级", "level", required=True, is_int=True, width=8, example="5"),
        Column("等级名称", "title", required=True, max_length=50, width=20, example="第五级"),
        Column(
            "行为描述",
            "description",
            required=True,
            width=60,
            example="连续三个月公文办理均在时限内完成，主动承担节假日值班。",
        ),
        Column("分值", "points", required=True, width=8, example="100"),
    ),
)

INDICATOR_SPECS: tuple[SheetSpec, ...] = (INDICATORS, LEVELS)
INDICATOR_SPEC_BY_KIND = {s.kind: s for s in INDICATOR_SPECS}
