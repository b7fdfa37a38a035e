"""The goals workbook: goals (目标), their key results (关键结果), work plans (工作计划) and
milestones (里程碑).

One definition feeds the parser, the validator, the template and the export, so that an
exported file can be edited and imported back. Goals and work items are keyed by their codes
(目标编码, 事项编码); a goal or item made on the pages has no code, and the export writes
`#<id>` for it, which the import reads as "the stored goal (or item) with this id".
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jixiao.goals.models import GoalLevel, GoalStatus, WorkItemKind
from jixiao.imports.formats import Column, SheetSpec
from jixiao.imports.indicator_formats import DIRECTION_CHOICES

CODE_LENGTH = 40
ID_PREFIX = "#"

LEVEL_CHOICES = (
    ("单位", GoalLevel.UNIT.value),
    ("部门", GoalLevel.DEPARTMENT.value),
    ("个人", GoalLevel.PERSON.value),
)
YES_NO_CHOICES = (("是", "1"), ("否", "0"))
KIND_CHOICES = (("任务", WorkItemKind.TASK.value), ("项目", WorkItemKind.PROJECT.value))
STATUS_WORDS = {
    GoalStatus.DRAFT.value: "草稿",
    GoalStatus.SUBMITTED.value: "已提交",
    GoalStatus.RETURNED.value: "已退回",
    GoalStatus.APPROVED.value: "已批准",
    GoalStatus.LOCKED.value: "已锁定",
    GoalStatus.CLOSED.value: "已关闭",
}

EXPORT_ONLY = frozenset({"status"})
"""Columns written for readers and ignored on import."""

GOALS = SheetSpec(
    kind="goals",
    sheet="目标",
    key_column="code",
    columns=(
        Column(
            "目标编码",
            "code",
            required=True,
            max_length=CODE_LENGTH,
            example="MB-2026-001",
            help=_(
                "Names the goal; rows are matched by it. #123 (written on export for a goal "
                "without a code) means the stored goal number 123."
            ),
        ),
        Column("层级", "level", required=True, choices=LEVEL_CHOICES, width=8, example="部门"),
        Column(
            "周期",
            "period",
            required=True,
            max_length=10,
            width=10,
            example="2026",
            help=_("2026 (year), 2026-H1 (half), 2026-Q3 (quarter) or 2026-03 (month)."),
        ),
        Column(
            "部门编码",
            "department",
            max_length=32,
            example="D001",
            help=_(
                "For unit and department goals: the owning unit or department. Ignored for "
                "personal goals (the person's department is used)."
            ),
        ),
        Column(
            "工号",
            "person",
            max_length=32,
            example="",
            help=_("For personal goals: the person's 工号."),
        ),
        Column(
            "目标名称",
            "title",
            required=True,
            max_length=200,
            width=30,
            example="提升政务服务事项网上可办率",
        ),
        Column("说明", "description", width=40, example=""),
        Column("权重(%)", "weight", width=10, example="30", help=_("0 to 100; empty means 0.")),
        Column(
            "期限",
            "due_date",
            is_date=True,
            example="2026-12-31",
            help=_("YYYY-MM-DD or an Excel date."),
        ),
        Column(
            "上级目标编码",
            "parent",
            max_length=CODE_LENGTH,
            example="",
            help=_(
                "The goal this goal aligns to: a goal of this file or a stored goal you can see."
            ),
        ),
        Column(
            "长期能力建设",
            "capacity",
            choices=YES_NO_CHOICES,
            width=10,
            example="否",
            help=_("是 for long-term capacity building; empty means 否."),
        ),
        Column(
            "状态",
            "status",
            width=8,
            help=_("Written on export for readers; ignored on import."),
        ),
    ),
)

KEY_RESULTS = SheetSpec(
    kind="key_results",
    sheet="关键结果",
    key_column="goal",
    columns=(
        Column(
            "目标编码",
            "goal",
            required=True,
            max_length=CODE_LENGTH,
            example="MB-2026-001",
            help=_(
                "The key results listed for a goal replace all of its key results, "
                "in the order of 序号."
            ),
        ),
        Column("序号", "position", required=True, is_int=True, width=6, example="1"),
        Column(
            "关键结果",
            "title",
            max_length=200,
            width=30,
            example="网上可办率达到 95%",
            help=_("May be left empty when 指标编码 is given: the indicator's name is used."),
        ),
        Column(
            "指标编码",
            "indicator",
            max_length=32,
            example="",
            help=_("An indicator of the library (its latest version)."),
        ),
        Column("单位", "unit", max_length=32, width=8, example="%"),
        Column(
            "方向",
            "direction",
            choices=DIRECTION_CHOICES,
            example="越高越好",
            help=_("Empty means the indicator's direction, or higher is better."),
        ),
        Column("基线值", "baseline", width=10, example="80"),
        Column("门槛值", "threshold", width=10, example="90"),
        Column("目标值", "target", width=10, example="95"),
        Column("挑战值", "stretch", width=10, example="98"),
        Column("权重(%)", "weight", width=10, example="100", help=_("0 to 100; empty means 100.")),
    ),
)

WORK_ITEMS = SheetSpec(
    kind="work_items",
    sheet="工作计划",
    key_column="code",
    columns=(
        Column(
            "目标编码",
            "goal",
            required=True,
            max_length=CODE_LENGTH,
            example="MB-2026-001",
            help=_("The goal of the item: a goal of this file or a stored goal."),
        ),
        Column(
            "事项编码",
            "code",
            required=True,
            max_length=CODE_LENGTH,
            example="SX-2026-001",
            help=_("Names the task or project; rows are matched by it."),
        ),
        Column(
            "类型",
            "kind",
            choices=KIND_CHOICES,
            width=8,
            example="项目",
            help=_("Empty means 任务."),
        ),
        Column(
            "名称", "title", required=True, max_length=200, width=30, example="上线一网通办平台"
        ),
        Column("负责人工号", "owner", max_length=32, example=""),
        Column("计划开始", "planned_start", required=True, is_date=True, example="2026-03-01"),
        Column("计划结束", "planned_end", required=True, is_date=True, example="2026-09-30"),
        Column("计划工作日", "planned_days", width=10, example="60"),
        Column("预算(元)", "budget", width=12, example="200000"),
        Column("实际开始", "actual_start", is_date=True, example=""),
        Column("实际结束", "actual_end", is_date=True, example=""),
        Column(
            "完成百分比",
            "percent_complete",
            is_int=True,
            width=10,
            example="0",
            help=_("0 to 100; 100 marks the item done."),
        ),
        Column("实际成本(元)", "actual_cost", width=12, example=""),
    ),
)

MILESTONES = SheetSpec(
    kind="milestones",
    sheet="里程碑",
    key_column="item",
    columns=(
        Column(
            "事项编码",
            "item",
            required=True,
            max_length=CODE_LENGTH,
            example="SX-2026-001",
            help=_("The milestones listed for an item replace all of its milestones."),
        ),
        Column("里程碑", "title", required=True, max_length=200, width=30, example="完成需求评审"),
        Column("到期日", "due_date", required=True, is_date=True, example="2026-04-30"),
        Column("占比(%)", "share", width=10, example="20", help=_("0 to 100; empty means 0.")),
        Column("完成日期", "done_on", is_date=True, example=""),
    ),
)

GOAL_SPECS: tuple[SheetSpec, ...] = (GOALS, KEY_RESULTS, WORK_ITEMS, MILESTONES)
GOAL_SPEC_BY_KIND = {s.kind: s for s in GOAL_SPECS}
