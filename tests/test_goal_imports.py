"""Goals and work plans import and export as Excel with the all-or-nothing rules of the
foundation: every row checked first with the same validation as the pages, every bad row
reported with line, column and reason and nothing written; a good file written in one go;
the same file again changes nothing; an export imports back unchanged."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from jixiao import cli
from jixiao.core.actor import Actor
from jixiao.core.models import AuditRecord
from jixiao.goals.models import Goal, GoalStatus, Horizon, KeyResult, Milestone, WorkItem
from jixiao.imports.formats import SheetSpec
from jixiao.imports.goal_export import export_goal_workbook
from jixiao.imports.goal_formats import GOAL_SPECS, GOALS, KEY_RESULTS, MILESTONES, WORK_ITEMS
from jixiao.imports.goal_import import GoalImportOutcome, import_goal_file
from jixiao.imports.models import ExportJob, ImportJob, ImportKind, ImportStatus
from jixiao.indicators.models import Direction, Indicator
from tests import factories as f
from tests.goals.factories import add_kr, make_goal

pytestmark = pytest.mark.django_db

Rows = dict[str, list[dict[str, Any]]]


@pytest.fixture(autouse=True)
def _upload_dir(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"


def good_rows() -> Rows:
    """A unit goal, two department goals of 办公室 aligned to it, a personal goal of 李文
    aligned to one of them; key results; a project with two milestones and a task."""
    return {
        GOALS.sheet: [
            {
                "目标编码": "MB-U1",
                "层级": "单位",
                "周期": "2026",
                "部门编码": "U001",
                "目标名称": "提升政务服务满意度",
                "权重(%)": 100,
                "期限": datetime.date(2026, 12, 31),
                "长期能力建设": "否",
            },
            {
                "目标编码": "MB-D1",
                "层级": "部门",
                "周期": "2026",
                "部门编码": "D001",
                "目标名称": "办公室运转保障有力",
                "说明": "会议、公文、后勤保障",
                "权重(%)": 60,
                "期限": datetime.date(2026, 12, 31),
                "上级目标编码": "MB-U1",
            },
            {
                "目标编码": "MB-D2",
                "层级": "部门",
                "周期": "2026",
                "部门编码": "D001",
                "目标名称": "办公数字化能力建设",
                "权重(%)": 40,
                "期限": "2026-11-30",
                "上级目标编码": "MB-U1",
                "长期能力建设": "是",
            },
            {
                "目标编码": "MB-P1",
                "层级": "个人",
                "周期": "2026-Q3",
                "工号": "A0002",
                "目标名称": "公文按时办结",
                "权重(%)": 100,
                "期限": datetime.date(2026, 9, 30),
                "上级目标编码": "MB-D1",
            },
        ],
        KEY_RESULTS.sheet: [
            {
                "目标编码": "MB-U1",
                "序号": 1,
                "关键结果": "群众满意度",
                "单位": "%",
                "方向": "越高越好",
                "基线值": 85,
                "门槛值": 90,
                "目标值": 95,
                "挑战值": 98,
                "权重(%)": 100,
            },
            {
                "目标编码": "MB-D1",
                "序号": 1,
                "关键结果": "会议通知按时发出率",
                "单位": "%",
                "基线值": 90,
                "目标值": 98,
                "权重(%)": 50,
            },
            {
                "目标编码": "MB-D1",
                "序号": 2,
                "指标编码": "XL-01",
                "门槛值": 8,
                "目标值": 5,
                "挑战值": 3,
                "权重(%)": 50,
            },
            {"目标编码": "MB-P1", "序号": 1, "关键结果": "按时办结率", "目标值": 100},
        ],
        WORK_ITEMS.sheet: [
            {
                "目标编码": "MB-D2",
                "事项编码": "SX-1",
                "类型": "项目",
                "名称": "上线一网通办平台",
                "负责人工号": "A0001",
                "计划开始": datetime.date(2026, 3, 1),
                "计划结束": datetime.date(2026, 9, 30),
                "计划工作日": 60,
                "预算(元)": 200000,
                "完成百分比": 0,
            },
            {
                "目标编码": "MB-P1",
                "事项编码": "SX-2",
                "类型": "任务",
                "名称": "整理公文模板",
                "负责人工号": "A0002",
                "计划开始": datetime.date(2026, 7, 1),
                "计划结束": datetime.date(2026, 7, 31),
                "计划工作日": 5.5,
            },
        ],
        MILESTONES.sheet: [
            {
                "事项编码": "SX-1",
                "里程碑": "需求评审",
                "到期日": datetime.date(2026, 4, 30),
                "占比(%)": 20,
            },
            {"事项编码": "SX-1", "里程碑": "平台上线", "到期日": "2026-09-30", "占比(%)": 80},
        ],
    }


def write_workbook(path: Path, rows: Rows) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    specs: dict[str, SheetSpec] = {s.sheet: s for s in GOAL_SPECS}
    for sheet, items in rows.items():
        ws = wb.create_sheet(sheet)
        headers = [h for h in specs[sheet].headers if any(h in r for r in items)]
        for required in specs[sheet].required_headers:
            if required not in headers:
                headers.append(required)
        ws.append(headers)
        for item in items:
            ws.append([item.get(h) for h in headers])
    wb.save(path)
    return path


def run(
    tmp_path: Path, rows: Rows, user: Any | None, *, dry_run: bool = False, name: str = "g.xlsx"
) -> GoalImportOutcome:
    path = write_workbook(tmp_path / name, rows)
    actor = (
        Actor.for_user(user, source="import")
        if user is not None
        else Actor.system("cli:test", source="import")
    )
    return import_goal_file(path, actor=actor, user=user, dry_run=dry_run)


def where(outcome: GoalImportOutcome) -> set[tuple[str, int, str, str]]:
    return {(e.sheet, e.line, e.column, e.code) for e in outcome.errors}


def nothing_written() -> bool:
    return not (
        Goal.objects.exists()
        or KeyResult.objects.exists()
        or WorkItem.objects.exists()
        or Milestone.objects.exists()
        or AuditRecord.objects.filter(action__startswith="goals.").exists()
    )


def goal(code: str) -> Goal:
    return Goal.objects.get(code=code)


# ---------------------------------------------------------------- good files


def test_good_file_creates_goals_key_results_and_work_plans(org, tmp_path):
    outcome = run(tmp_path, good_rows(), org.users["perfadmin"])
    assert outcome.ok, outcome.errors
    assert outcome.created == {"goals": 4, "key_results": 4, "work_items": 2, "milestones": 2}
    assert outcome.updated == outcome.unchanged == dict.fromkeys(outcome.created, 0)

    unit, d1, d2, p1 = goal("MB-U1"), goal("MB-D1"), goal("MB-D2"), goal("MB-P1")
    assert unit.level == "unit" and unit.department == org.unit and unit.parent is None
    assert d1.parent == unit and d2.parent == unit and p1.parent == d1
    assert d1.department == org.office and d1.description == "会议、公文、后勤保障"
    assert d1.weight == Decimal("60") and d2.horizon == Horizon.CAPACITY
    assert d2.due_date == datetime.date(2026, 11, 30)
    assert p1.level == "person" and p1.person == org.employee
    assert p1.department == org.secretariat and p1.period == "2026-Q3"
    assert p1.period_start == datetime.date(2026, 7, 1)
    assert {g.status for g in (unit, d1, d2, p1)} == {GoalStatus.DRAFT}

    krs = list(d1.key_results.order_by("position"))
    assert [kr.title for kr in krs] == ["会议通知按时发出率", "公文办理平均时长（收文至归档）"]
    xl = Indicator.objects.get(code="XL-01", is_latest=True)
    assert krs[1].indicator == xl and krs[1].direction == Direction.LOWER
    assert krs[1].unit == xl.unit and krs[1].target == Decimal(5)
    assert krs[0].direction == Direction.HIGHER and krs[0].weight == Decimal(50)
    assert p1.key_results.get().weight == Decimal(100)  # empty means 100

    project = WorkItem.objects.get(code="SX-1")
    assert project.goal == d2 and project.kind == "project" and project.owner == org.head
    assert project.budget == Decimal(200000) and project.planned_days == Decimal(60)
    assert [(m.title, m.share) for m in project.milestones.order_by("due_date")] == [
        ("需求评审", Decimal(20)),
        ("平台上线", Decimal(80)),
    ]
    assert WorkItem.objects.get(code="SX-2").planned_days == Decimal("5.5")

    actions = list(AuditRecord.objects.values_list("action", flat=True))
    assert sorted(actions) == sorted(["goals.goal.create"] * 4 + ["goals.work_item.create"] * 2)
    record = AuditRecord.objects.get(action="goals.goal.create", object_id=str(d1.pk))
    assert record.changes["code"] == [None, "MB-D1"]
    assert record.changes["parent"] == [None, unit.pk]
    assert record.source == "import" and record.actor_id == org.users["perfadmin"].pk
    assert record.scope_path == org.office.path


def test_importing_the_same_file_again_changes_nothing(org, tmp_path):
    user = org.users["perfadmin"]
    assert run(tmp_path, good_rows(), user).ok
    versions = dict(Goal.objects.values_list("code", "version"))
    kr_ids = set(KeyResult.objects.values_list("id", flat=True))
    milestones = set(Milestone.objects.values_list("id", flat=True))
    records = AuditRecord.objects.count()

    again = run(tmp_path, good_rows(), user, name="again.xlsx")
    assert again.ok, again.errors
    assert again.created == again.updated == dict.fromkeys(again.created, 0)
    assert again.unchanged == {"goals": 4, "key_results": 4, "work_items": 2, "milestones": 2}
    assert Goal.objects.count() == 4 and WorkItem.objects.count() == 2
    assert dict(Goal.objects.values_list("code", "version")) == versions
    assert set(KeyResult.objects.values_list("id", flat=True)) == kr_ids
    assert set(Milestone.objects.values_list("id", flat=True)) == milestones
    assert AuditRecord.objects.count() == records


def test_an_edited_copy_updates_in_place(org, tmp_path):
    user = org.users["perfadmin"]
    assert run(tmp_path, good_rows(), user).ok
    d1 = goal("MB-D1")
    kr_ids = list(d1.key_results.order_by("position").values_list("id", flat=True))

    rows = good_rows()
    rows[GOALS.sheet][1]["目标名称"] = "办公室运转高效"
    rows[GOALS.sheet][3]["上级目标编码"] = "MB-D2"  # re-align the personal goal
    rows[KEY_RESULTS.sheet][1]["目标值"] = 99
    rows[KEY_RESULTS.sheet].append(
        {"目标编码": "MB-D2", "序号": 1, "关键结果": "线上办理率", "目标值": 90}
    )
    rows[WORK_ITEMS.sheet][0]["完成百分比"] = 30
    rows[MILESTONES.sheet].pop()  # the project keeps one milestone
    rows[MILESTONES.sheet][0]["占比(%)"] = 100
    outcome = run(tmp_path, rows, user, name="edited.xlsx")
    assert outcome.ok, outcome.errors
    assert outcome.created == {"goals": 0, "key_results": 1, "work_items": 0, "milestones": 0}
    assert outcome.updated == {"goals": 3, "key_results": 1, "work_items": 1, "milestones": 1}
    assert outcome.removed["milestones"] == 1

    d1.refresh_from_db()
    assert d1.title == "办公室运转高效" and d1.version == 2 and Goal.objects.count() == 4
    assert list(d1.key_results.order_by("position").values_list("id", flat=True)) == kr_ids
    assert d1.key_results.get(position=0).target == Decimal(99)
    assert goal("MB-P1").parent == goal("MB-D2")
    assert goal("MB-D2").key_results.get().title == "线上办理率"
    project = WorkItem.objects.get(code="SX-1")
    assert project.percent_complete == 30 and project.status == "in_progress"
    assert project.version == 2
    assert list(project.milestones.values_list("title", "share")) == [("需求评审", Decimal(100))]

    update = AuditRecord.objects.get(action="goals.goal.update", object_id=str(d1.pk))
    assert update.changes["title"] == ["办公室运转保障有力", "办公室运转高效"]
    item_update = AuditRecord.objects.get(action="goals.work_item.update")
    assert item_update.changes["percent_complete"] == [0, 30]
    assert len(item_update.changes["milestones"][1]) == 1


def test_progress_rolls_up_after_the_import(org, tmp_path):
    user = org.users["perfadmin"]
    assert run(tmp_path, good_rows(), user).ok
    KeyResult.objects.filter(goal__code="MB-P1").update(current=Decimal(50))
    rows = good_rows()
    rows[GOALS.sheet][3]["上级目标编码"] = "MB-D2"  # MB-D2 has no key results of its own
    assert run(tmp_path, rows, user, name="moved.xlsx").ok
    p1, d2 = goal("MB-P1"), goal("MB-D2")
    assert p1.progress is not None and p1.progress > 0
    assert d2.progress == pytest.approx(p1.progress)


def test_dry_run_checks_and_writes_nothing(org, tmp_path):
    outcome = run(tmp_path, good_rows(), org.users["perfadmin"], dry_run=True)
    assert outcome.ok and outcome.dry_run and outcome.created["goals"] == 4
    assert nothing_written()


def test_columns_left_out_keep_what_is_stored(org, tmp_path):
    user = org.users["perfadmin"]
    assert run(tmp_path, good_rows(), user).ok
    rows: Rows = {
        GOALS.sheet: [
            {
                "目标编码": "MB-D1",
                "层级": "部门",
                "周期": "2026",
                "部门编码": "D001",
                "目标名称": "办公室运转保障有力（修订）",
            }
        ]
    }
    outcome = run(tmp_path, rows, user, name="narrow.xlsx")
    assert outcome.ok, outcome.errors
    d1 = goal("MB-D1")
    assert d1.title.endswith("（修订）")
    assert d1.weight == Decimal(60) and d1.parent == goal("MB-U1")
    assert d1.key_results.count() == 2  # no 关键结果 sheet: key results stay


def test_csv_file_of_one_sheet(org, tmp_path):
    path = tmp_path / "goals.csv"
    path.write_text(
        "目标编码,层级,周期,部门编码,目标名称,权重(%)\nMB-C1,部门,2026-H1,D002,窗口服务提速,100\n",
        encoding="utf-8-sig",
    )
    outcome = import_goal_file(
        path, actor=Actor.for_user(org.users["perfadmin"], source="import"), user=None
    )
    assert outcome.ok, outcome.errors
    assert goal("MB-C1").department == org.service and goal("MB-C1").period == "2026-H1"


# ---------------------------------------------------------------- bad files


def _edit(change: Any) -> Rows:
    rows = good_rows()
    change(rows)
    return rows


def _set(sheet: str, index: int, **values: Any) -> Any:
    def change(rows: Rows) -> None:
        rows[sheet][index].update(values)

    return change


BAD_CASES = [
    (
        "unknown department",
        _set(GOALS.sheet, 1, 部门编码="D999"),
        {("目标", 3, "部门编码", "unknown_department")},
    ),
    ("unknown 工号", _set(GOALS.sheet, 3, 工号="Z9999"), {("目标", 5, "工号", "unknown_person")}),
    ("bad period", _set(GOALS.sheet, 1, 周期="2026-Q5"), {("目标", 3, "周期", "invalid_period")}),
    (
        "weight out of range",
        _set(GOALS.sheet, 1, **{"权重(%)": 120}),
        {("目标", 3, "权重(%)", "out_of_range")},
    ),
    (
        "unknown parent code",
        _set(GOALS.sheet, 2, 上级目标编码="MB-NONE"),
        {("目标", 4, "上级目标编码", "unknown_goal")},
    ),
    (
        "alignment loop in the file",
        lambda rows: (
            rows[GOALS.sheet][1].update(上级目标编码="MB-D2"),
            rows[GOALS.sheet][2].update(上级目标编码="MB-D1"),
        ),
        {
            ("目标", 3, "上级目标编码", "alignment_loop"),
            ("目标", 4, "上级目标编码", "alignment_loop"),
        },
    ),
    (
        "threshold above target when higher is better",
        _set(KEY_RESULTS.sheet, 0, 门槛值=99),
        {("关键结果", 2, "目标值", "targets_out_of_order")},
    ),
    (
        "personal goal aligned to a goal of another department",
        lambda rows: rows[GOALS.sheet].append(
            {
                "目标编码": "MB-P9",
                "层级": "个人",
                "周期": "2026",
                "工号": "A0004",
                "目标名称": "窗口受理零差错",
                "上级目标编码": "MB-D1",
            }
        ),
        {("目标", 6, "上级目标编码", "parent_outside")},
    ),
    (
        "a code twice",
        _set(GOALS.sheet, 2, 目标编码="MB-D1", 上级目标编码="MB-U1"),
        {
            ("目标", 3, "目标编码", "duplicate_in_file"),
            ("目标", 4, "目标编码", "duplicate_in_file"),
            ("工作计划", 2, "目标编码", "unknown_goal"),  # MB-D2 is gone
        },
    ),
    (
        "a code with a space",
        lambda rows: rows[GOALS.sheet].append(
            {**rows[GOALS.sheet][1], "目标编码": "MB D9", "上级目标编码": ""}
        ),
        {("目标", 6, "目标编码", "invalid_code")},
    ),
    (
        "unknown indicator",
        _set(KEY_RESULTS.sheet, 2, 指标编码="NOPE-1"),
        {("关键结果", 4, "指标编码", "unknown_indicator")},
    ),
    (
        "a 工号 on a department goal",
        _set(GOALS.sheet, 1, 工号="A0002"),
        {("目标", 3, "工号", "person_not_allowed")},
    ),
    (
        "work item owner outside the goal's department",
        _set(WORK_ITEMS.sheet, 0, 负责人工号="A0004"),
        {("工作计划", 2, "负责人工号", "owner_outside")},
    ),
    (
        "planned end before start",
        _set(WORK_ITEMS.sheet, 1, 计划结束=datetime.date(2026, 6, 1)),
        {("工作计划", 3, "计划结束", "before_start")},
    ),
    (
        "milestone outside its item's plan",
        _set(MILESTONES.sheet, 0, 到期日=datetime.date(2026, 1, 15)),
        {("里程碑", 2, "到期日", "outside_plan")},
    ),
    (
        "milestone shares over 100%",
        _set(MILESTONES.sheet, 1, **{"占比(%)": 90}),
        {("里程碑", 3, "占比(%)", "shares_over_100")},
    ),
    (
        "work item of an unknown goal",
        _set(WORK_ITEMS.sheet, 1, 目标编码="MB-NONE"),
        {("工作计划", 3, "目标编码", "unknown_goal")},
    ),
    (
        "key results of an unknown goal",
        _set(KEY_RESULTS.sheet, 3, 目标编码="MB-NONE"),
        {("关键结果", 5, "目标编码", "unknown_goal")},
    ),
    (
        "malformed date and number",
        lambda rows: (
            rows[GOALS.sheet][0].update(期限="2026-13-40"),
            rows[WORK_ITEMS.sheet][0].update(**{"预算(元)": "很多"}),
        ),
        {("目标", 2, "期限", "invalid_date"), ("工作计划", 2, "预算(元)", "invalid_number")},
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES]
)
def test_each_bad_row_is_reported_and_nothing_is_written(org, tmp_path, change, expected):
    outcome = run(tmp_path, _edit(change), org.users["perfadmin"])
    assert not outcome.ok
    assert where(outcome) == expected, outcome.errors
    assert all(e.message for e in outcome.errors)
    assert nothing_written()


def test_every_bad_row_of_a_file_is_listed(org, tmp_path):
    def change(rows: Rows) -> None:
        rows[GOALS.sheet][1]["部门编码"] = "D999"
        rows[GOALS.sheet][3]["工号"] = "Z9999"
        rows[KEY_RESULTS.sheet][0]["门槛值"] = 99

    outcome = run(tmp_path, _edit(change), org.users["perfadmin"])
    assert where(outcome) == {
        ("目标", 3, "部门编码", "unknown_department"),
        ("目标", 5, "工号", "unknown_person"),
        ("关键结果", 2, "目标值", "targets_out_of_order"),
    }
    assert nothing_written()


def test_an_alignment_loop_through_stored_goals(org, tmp_path):
    user = org.users["perfadmin"]
    rows = good_rows()
    rows[GOALS.sheet][2]["上级目标编码"] = "MB-D1"  # stored: MB-D2 → MB-D1 → MB-U1
    assert run(tmp_path, rows, user).ok
    d1_row = {**good_rows()[GOALS.sheet][1], "上级目标编码": "MB-D2"}
    outcome = run(tmp_path, {GOALS.sheet: [d1_row]}, user, name="loop.xlsx")
    assert where(outcome) == {("目标", 2, "上级目标编码", "alignment_loop")}
    assert "MB-D1 → MB-D2 → MB-D1" in outcome.errors[0].message
    assert goal("MB-D1").parent == goal("MB-U1")


def test_locked_goal_changes_through_a_change_request(org, tmp_path):
    user = org.users["perfadmin"]
    assert run(tmp_path, good_rows(), user).ok
    Goal.objects.filter(code="MB-D1").update(status=GoalStatus.LOCKED)
    records = AuditRecord.objects.count()

    unchanged = run(tmp_path, good_rows(), user, name="same.xlsx")
    assert unchanged.ok and unchanged.unchanged["goals"] == 4

    rows = good_rows()
    rows[GOALS.sheet][1]["目标名称"] = "办公室运转高效"
    rows[GOALS.sheet][2]["目标名称"] = "数字化（新）"  # an editable draft: alone it would pass
    outcome = run(tmp_path, rows, user, name="locked.xlsx")
    assert where(outcome) == {("目标", 3, "目标名称", "goal_locked")}
    assert "调整申请" in outcome.errors[0].message
    assert goal("MB-D1").title == "办公室运转保障有力"
    assert goal("MB-D2").title == "办公数字化能力建设"
    assert AuditRecord.objects.count() == records

    # key results of a locked goal do not change either
    rows = good_rows()
    rows[KEY_RESULTS.sheet][1]["目标值"] = 99
    assert where(run(tmp_path, rows, user, name="kr.xlsx")) == {
        ("目标", 3, "目标编码", "goal_locked")
    }


def test_work_plans_of_a_locked_goal_still_change_until_it_is_closed(org, tmp_path):
    user = org.users["perfadmin"]
    assert run(tmp_path, good_rows(), user).ok
    Goal.objects.filter(code="MB-D2").update(status=GoalStatus.LOCKED)
    rows = good_rows()
    rows[WORK_ITEMS.sheet][0]["完成百分比"] = 40
    assert run(tmp_path, rows, user, name="locked.xlsx").ok
    assert WorkItem.objects.get(code="SX-1").percent_complete == 40

    Goal.objects.filter(code="MB-D2").update(status=GoalStatus.CLOSED, outcome="achieved")
    rows[WORK_ITEMS.sheet][0]["完成百分比"] = 60
    outcome = run(tmp_path, rows, user, name="closed.xlsx")
    assert where(outcome) == {("工作计划", 2, "目标编码", "goal_closed")}


# ---------------------------------------------------------------- permissions


def test_a_person_outside_the_importers_scope_is_an_error(org, tmp_path):
    rows: Rows = {
        GOALS.sheet: [
            {
                "目标编码": "MB-H1",
                "层级": "个人",
                "周期": "2026",
                "工号": "A0002",
                "目标名称": "本部门人员目标",
            },
            {
                "目标编码": "MB-H2",
                "层级": "个人",
                "周期": "2026",
                "工号": "A0004",
                "目标名称": "其他部门人员目标",
            },
            {
                "目标编码": "MB-H3",
                "层级": "部门",
                "周期": "2026",
                "部门编码": "D002",
                "目标名称": "其他部门目标",
            },
        ]
    }
    outcome = run(tmp_path, rows, org.users["head"])
    assert where(outcome) == {
        ("目标", 3, "工号", "forbidden_owner"),
        ("目标", 4, "部门编码", "forbidden_owner"),
    }
    assert "陈晨" in outcome.errors[0].message
    assert nothing_written()
    rows[GOALS.sheet] = rows[GOALS.sheet][:1]
    assert run(tmp_path, rows, org.users["head"], name="own.xlsx").ok


def test_an_employee_imports_only_their_own_goals(org, tmp_path):
    own: dict[str, Any] = {
        "目标编码": "MB-E1",
        "层级": "个人",
        "周期": "2026",
        "工号": "A0002",
        "目标名称": "提升公文写作水平",
        "权重(%)": 100,
    }
    peer = {**own, "目标编码": "MB-E2", "工号": "A0003"}
    outcome = run(tmp_path, {GOALS.sheet: [own, peer]}, org.users["employee"])
    assert where(outcome) == {("目标", 3, "工号", "forbidden_owner")}
    assert nothing_written()
    outcome = run(tmp_path, {GOALS.sheet: [own]}, org.users["employee"], name="own.xlsx")
    assert outcome.ok and goal("MB-E1").person == org.employee


def test_identical_rows_need_no_rights_but_changes_do(org, tmp_path):
    """The unit goal is visible to the employee (it is above her); she may import it back
    unchanged, not change it."""
    assert run(tmp_path, good_rows(), org.users["perfadmin"]).ok
    rows = {GOALS.sheet: good_rows()[GOALS.sheet][:1]}
    assert run(tmp_path, rows, org.users["employee"], name="same.xlsx").ok
    rows[GOALS.sheet][0]["目标名称"] = "改掉单位目标"
    outcome = run(tmp_path, rows, org.users["employee"], name="change.xlsx")
    assert where(outcome) == {("目标", 2, "部门编码", "forbidden_owner")}


def test_a_goal_the_importer_cannot_see_is_not_revealed(org, tmp_path):
    assert run(tmp_path, good_rows(), org.users["perfadmin"]).ok
    hidden = goal("MB-P1")
    rows: Rows = {
        KEY_RESULTS.sheet: [
            {"目标编码": f"#{hidden.pk}", "序号": 1, "关键结果": "改", "目标值": 1},
        ]
    }
    outcome = run(tmp_path, rows, org.users["outsider"])
    assert where(outcome) == {("关键结果", 2, "目标编码", "unknown_goal")}


def test_the_owner_of_an_item_reports_progress_but_does_not_replan(org, tmp_path):
    rows = good_rows()
    rows[WORK_ITEMS.sheet][0]["负责人工号"] = "A0002"  # 李文 owns the project of 办公室
    assert run(tmp_path, rows, org.users["perfadmin"]).ok
    item_row = {**rows[WORK_ITEMS.sheet][0], "完成百分比": 50}
    outcome = run(tmp_path, {WORK_ITEMS.sheet: [item_row]}, org.users["employee"], name="p.xlsx")
    assert outcome.ok, outcome.errors
    assert WorkItem.objects.get(code="SX-1").percent_complete == 50
    item_row["计划结束"] = datetime.date(2026, 10, 31)
    outcome = run(tmp_path, {WORK_ITEMS.sheet: [item_row]}, org.users["employee"], name="r.xlsx")
    assert where(outcome) == {("工作计划", 2, "目标编码", "forbidden")}
    assert WorkItem.objects.get(code="SX-1").planned_end == datetime.date(2026, 9, 30)


# ---------------------------------------------------------------- export


def read_workbook(path_or_bytes: Path | bytes) -> dict[str, list[tuple[Any, ...]]]:
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    wb = openpyxl.load_workbook(source, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def test_export_then_import_is_unchanged(org, tmp_path):
    user = org.users["perfadmin"]
    assert run(tmp_path, good_rows(), user).ok
    # a goal made on the pages has no code: the export names it #id
    page_goal = make_goal("窗口服务提速", department=org.service, period="2026-H1")
    add_kr(page_goal, "平均等候时长", target=Decimal("12.5"), direction=Direction.LOWER)
    path = tmp_path / "export.xlsx"
    assert export_goal_workbook(path, user=user, period="2026") == 5
    sheets = read_workbook(path)
    assert [s.sheet for s in GOAL_SPECS] == list(sheets)
    assert sheets[GOALS.sheet][0] == tuple(GOALS.headers)
    codes = [row[0] for row in sheets[GOALS.sheet][1:]]
    assert set(codes) == {"MB-U1", "MB-D1", "MB-D2", "MB-P1", f"#{page_goal.pk}"}
    status_column = GOALS.headers.index("状态")
    assert {row[status_column] for row in sheets[GOALS.sheet][1:]} == {"草稿"}

    outcome = import_goal_file(path, actor=Actor.for_user(user, source="import"), user=user)
    assert outcome.ok, outcome.errors
    assert outcome.unchanged == {"goals": 5, "key_results": 5, "work_items": 2, "milestones": 2}
    assert sum(outcome.created.values()) == sum(outcome.updated.values()) == 0

    # edit the exported #id row: it updates that goal, no duplicate
    wb = openpyxl.load_workbook(path)
    ws = wb[GOALS.sheet]
    title_column = GOALS.headers.index("目标名称") + 1
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, 1).value == f"#{page_goal.pk}":
            ws.cell(r, title_column).value = "窗口服务再提速"
    wb.save(path)
    outcome = import_goal_file(path, actor=Actor.for_user(user, source="import"), user=user)
    assert outcome.ok and outcome.updated["goals"] == 1
    page_goal.refresh_from_db()
    assert page_goal.title == "窗口服务再提速" and page_goal.code == ""
    assert Goal.objects.count() == 5


def test_export_holds_only_what_the_user_sees_within_the_period(org, tmp_path):
    assert run(tmp_path, good_rows(), org.users["perfadmin"]).ok
    make_goal("明年的目标", department=org.office, period="2027", code="MB-2027")
    path = tmp_path / "outsider.xlsx"
    export_goal_workbook(path, user=org.users["outsider"])
    codes = {row[0] for row in read_workbook(path)[GOALS.sheet][1:]}
    assert codes == {"MB-U1"}  # the unit goal above them; not 办公室's goals
    everything = tmp_path / "all.xlsx"
    assert export_goal_workbook(everything, user=None) == 5
    year = tmp_path / "2026.xlsx"
    assert export_goal_workbook(year, user=None, period="2026") == 4
    quarter = tmp_path / "q3.xlsx"
    assert export_goal_workbook(quarter, user=None, period="2026-Q3") == 1


def test_export_query_count_does_not_grow_with_goals(org, tmp_path, django_assert_max_num_queries):
    user = org.users["perfadmin"]

    def add(n: int) -> None:
        for i in range(n):
            g = make_goal(f"目标{i}", department=org.office, code=f"Q-{Goal.objects.count()}")
            add_kr(g)
            WorkItem.objects.create(
                goal=g,
                title="事项",
                planned_start=datetime.date(2026, 1, 1),
                planned_end=datetime.date(2026, 2, 1),
            )

    add(3)
    with django_assert_max_num_queries(12) as small:
        export_goal_workbook(tmp_path / "a.xlsx", user=user)
    add(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        export_goal_workbook(tmp_path / "b.xlsx", user=user)


def test_import_query_count_does_not_grow_with_rows(org, tmp_path, django_assert_max_num_queries):
    user = org.users["perfadmin"]

    def rows(n: int) -> Rows:
        return {
            GOALS.sheet: [
                {
                    "目标编码": f"N-{n}-{i}",
                    "层级": "个人",
                    "周期": "2026",
                    "工号": "A0002" if i % 2 else "A0003",
                    "目标名称": f"目标{i}",
                    "上级目标编码": "MB-D1",
                }
                for i in range(n)
            ]
            + good_rows()[GOALS.sheet][:2],
            KEY_RESULTS.sheet: [
                {"目标编码": f"N-{n}-{i}", "序号": 1, "关键结果": "结果", "指标编码": "XL-01"}
                for i in range(n)
            ],
            WORK_ITEMS.sheet: [
                {
                    "目标编码": f"N-{n}-{i}",
                    "事项编码": f"W-{n}-{i}",
                    "名称": "事项",
                    "负责人工号": "A0002" if i % 2 else "A0003",
                    "计划开始": datetime.date(2026, 1, 1),
                    "计划结束": datetime.date(2026, 3, 1),
                }
                for i in range(n)
            ],
        }

    path = write_workbook(tmp_path / "small.xlsx", rows(3))
    actor = Actor.for_user(user, source="import")
    with django_assert_max_num_queries(80) as small:
        assert import_goal_file(path, actor=actor, user=user).ok
    path = write_workbook(tmp_path / "large.xlsx", rows(40))
    with django_assert_max_num_queries(len(small.captured_queries) + 4):
        assert import_goal_file(path, actor=actor, user=user).ok
    assert Goal.objects.count() == 3 + 40 + 2


# ---------------------------------------------------------------- pages and jobs


def test_import_through_the_page(org, tmp_path, client_for, django_capture_on_commit_callbacks):
    client = client_for("head")
    page = client.get(reverse("imports:goals"))
    assert page.status_code == 200 and b'id="import-form"' in page.content
    rows = good_rows()
    rows = {
        GOALS.sheet: rows[GOALS.sheet][1:3] + rows[GOALS.sheet][3:],
        KEY_RESULTS.sheet: rows[KEY_RESULTS.sheet][1:],
    }
    for r in rows[GOALS.sheet]:
        if r.get("上级目标编码") == "MB-U1":
            r.pop("上级目标编码")
    path = write_workbook(tmp_path / "目标.xlsx", rows)
    with open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:goals"), {"file": fh})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "imports:job", args=[job.pk]
    )
    job.refresh_from_db()
    assert job.kind == ImportKind.GOALS and job.status == ImportStatus.SUCCEEDED, job.errors
    assert job.summary["created"]["goals"] == 3
    html = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'id="import-summary"' in html and "关键结果" in html and "工作计划" in html
    assert reverse("imports:goals") in html
    assert client.get(reverse("imports:job_progress", args=[job.pk])).status_code == 200
    assert Goal.objects.count() == 3

    # somebody else's job: 404
    assert client_for("outsider").get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert client_for("perfadmin").get(reverse("imports:job", args=[job.pk])).status_code == 404


def test_bad_file_through_the_page_lists_every_row(
    org, tmp_path, client_for, django_capture_on_commit_callbacks
):
    client = client_for("perfadmin")
    rows = good_rows()
    rows[GOALS.sheet][1]["部门编码"] = "D999"
    rows[KEY_RESULTS.sheet][0]["门槛值"] = 99
    path = write_workbook(tmp_path / "bad.xlsx", rows)
    with open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:goals"), {"file": fh})
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED
    html = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'id="import-errors"' in html and "D999" in html and "目标值" in html
    assert nothing_written()


def test_export_through_the_page(org, tmp_path, client_for, django_capture_on_commit_callbacks):
    assert run(tmp_path, good_rows(), org.users["perfadmin"]).ok
    client = client_for("head")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:goals_export"), {"period": "2026"})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.kind == ImportKind.GOALS and job.period == "2026"
    assert job.status == ImportStatus.SUCCEEDED and job.file_name.startswith("goals-2026-")
    page = client.get(reverse("imports:export_job", args=[job.pk])).content.decode()
    assert 'id="export-download"' in page and reverse("imports:goals") in page
    download = client.get(reverse("imports:export_download", args=[job.pk]))
    assert download.status_code == 200
    sheets = read_workbook(b"".join(download.streaming_content))
    assert {row[0] for row in sheets[GOALS.sheet][1:]} == {"MB-U1", "MB-D1", "MB-D2", "MB-P1"}
    assert (
        client_for("employee").get(reverse("imports:export_download", args=[job.pk])).status_code
        == 404
    )
    assert client.post(reverse("imports:goals_export"), {"period": "2026-Q9"}).status_code == 400


def test_template_download_matches_the_format(org, client_for, tmp_path):
    response = client_for("employee").get(reverse("imports:goals_template"))
    assert response.status_code == 200
    sheets = read_workbook(response.content)
    assert list(sheets) == ["说明", "目标", "关键结果", "工作计划", "里程碑", "示例"]
    for spec in GOAL_SPECS:
        assert sheets[spec.sheet][0] == tuple(spec.headers)
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    outcome = import_goal_file(path, actor=Actor.system(), user=None)
    assert [e.code for e in outcome.errors] == ["empty_file"]


def test_who_may_use_the_page(org, client_for):
    nobody = f.make_user("nobody")
    client = Client()
    client.force_login(nobody)
    assert client.get(reverse("imports:goals")).status_code == 403
    assert client.get(reverse("imports:goals_template")).status_code == 403
    auditor = client_for("auditor")
    page = auditor.get(reverse("imports:goals"))
    assert page.status_code == 200 and b'id="import-not-allowed"' in page.content
    assert auditor.post(reverse("imports:goals"), {}).status_code == 403
    assert client_for("outsider").get(reverse("imports:goals")).status_code == 200
    assert Client().get(reverse("imports:goals")).status_code == 302


# ---------------------------------------------------------------- command line


def test_command_line_import_and_export(org, tmp_path, capsys):
    path = write_workbook(tmp_path / "goals.xlsx", good_rows())
    call_command("import_goals", str(path), "--dry-run")
    assert "dry run" in capsys.readouterr().out and not Goal.objects.exists()
    call_command("import_goals", str(path))
    out = capsys.readouterr().out
    assert "goals: created 4, updated 0, unchanged 0" in out
    labels = set(
        AuditRecord.objects.filter(action="goals.goal.create").values_list("actor_label", flat=True)
    )
    assert len(labels) == 1 and labels.pop().startswith("cli:")
    exported = tmp_path / "out.xlsx"
    call_command("export_goals", str(exported), "--period", "2026-Q3")
    assert "1 goals" in capsys.readouterr().out
    assert [row[0] for row in read_workbook(exported)[GOALS.sheet][1:]] == ["MB-P1"]
    with pytest.raises(CommandError):
        call_command("export_goals", str(exported), "--period", "2026-Q9")

    rows = good_rows()
    rows[GOALS.sheet][1]["部门编码"] = "D999"
    bad = write_workbook(tmp_path / "bad.xlsx", rows)
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_goals", str(bad))
    assert "目标:3:部门编码: [unknown_department]" in capsys.readouterr().err


def test_cli_maps_goals_commands():
    assert cli.plan(["import", "goals", "g.xlsx", "--dry-run"]).manage == [
        "import_goals",
        "g.xlsx",
        "--dry-run",
    ]
    assert cli.plan(["export", "goals", "g.xlsx", "--period", "2026"]).manage == [
        "export_goals",
        "g.xlsx",
        "--period",
        "2026",
    ]
    assert cli.plan(["export", "goals", "g.xlsx"]).manage == ["export_goals", "g.xlsx"]
    with pytest.raises(SystemExit):
        cli.plan(["export", "goals", "g.xlsx", "--kind", "people"])
    with pytest.raises(SystemExit):
        cli.plan(["export", "org", "o.xlsx", "--period", "2026"])
