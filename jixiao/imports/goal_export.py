"""Export of goals with their key results, work items and milestones, in the import format, so
that the file can be edited and imported back.

Only the goals the user may see are exported (goals_visible_to); user None means every goal,
for the command line. A period narrows the export to the goals whose period lies within it
("2026" gives the year's goals, its halves, quarters and months). The workbook is written in
xlsxwriter's constant_memory mode, and the goals are read in chunks: five queries per 2,000
goals, whatever their number of key results and work items.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from django.db.models import Prefetch, QuerySet

from jixiao.goals.models import Goal, Horizon, KeyResult, Milestone, WorkItem
from jixiao.goals.periods import parse_period
from jixiao.goals.selectors import goals_visible_to
from jixiao.imports.goal_formats import (
    GOAL_SPECS,
    GOALS,
    ID_PREFIX,
    KEY_RESULTS,
    MILESTONES,
    STATUS_WORDS,
    WORK_ITEMS,
)

Progress = Callable[[int, int], None]
CHUNK = 2000


def goals_for_export(user: Any | None, period: str = "") -> QuerySet[Goal]:
    """The goals an export holds: those the user sees, within `period` when given."""
    qs = Goal.objects.all() if user is None else goals_visible_to(user)
    qs = qs.select_related("department", "person", "parent")
    if period:
        p = parse_period(period)
        if p is None:
            raise ValueError(f"not a period: {period!r}")
        qs = qs.filter(period_start__gte=p.start, period_end__lte=p.end)
    return qs.order_by("period_start", "department__path", "level", "person__employee_no", "id")


def _ref(code: str, pk: int) -> str:
    return code or f"{ID_PREFIX}{pk}"


def _number(value: Decimal | int | None) -> float | int | str | None:
    """A number Excel shows as a number when that loses nothing, else its exact text."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    text = format(value.normalize(), "f")
    as_float = float(value)
    if Decimal(repr(as_float)) == value:
        return int(as_float) if as_float.is_integer() and abs(as_float) < 2**53 else as_float
    return text


def _goal_row(goal: Goal) -> list[Any]:
    level = GOALS.column("level")
    return [
        _ref(goal.code, goal.pk),
        level.label_for(goal.level),
        goal.period,
        goal.department.code,
        goal.person.employee_no if goal.person is not None else "",
        goal.title,
        goal.description,
        _number(goal.weight),
        goal.due_date,
        _ref(goal.parent.code, goal.parent.pk) if goal.parent is not None else "",
        "是" if goal.horizon == Horizon.CAPACITY else "否",
        STATUS_WORDS.get(goal.status, goal.status),
    ]


def _kr_row(goal: Goal, position: int, kr: KeyResult) -> list[Any]:
    direction = KEY_RESULTS.column("direction")
    return [
        _ref(goal.code, goal.pk),
        position,
        kr.title,
        kr.indicator.code if kr.indicator is not None else "",
        kr.unit,
        direction.label_for(kr.direction),
        _number(kr.baseline),
        _number(kr.threshold),
        _number(kr.target),
        _number(kr.stretch),
        _number(kr.weight),
    ]


def _item_row(goal: Goal, item: WorkItem) -> list[Any]:
    kind = WORK_ITEMS.column("kind")
    return [
        _ref(goal.code, goal.pk),
        _ref(item.code, item.pk),
        kind.label_for(item.kind),
        item.title,
        item.owner.employee_no if item.owner is not None else "",
        item.planned_start,
        item.planned_end,
        _number(item.planned_days),
        _number(item.budget),
        item.actual_start,
        item.actual_end,
        item.percent_complete,
        _number(item.actual_cost),
    ]


def _milestone_row(item: WorkItem, m: Milestone) -> list[Any]:
    return [_ref(item.code, item.pk), m.title, m.due_date, _number(m.share), m.done_on]


def _chunks(goals: QuerySet[Goal]) -> Iterator[list[Goal]]:
    chunk: list[Goal] = []
    for goal in goals.iterator(chunk_size=CHUNK):
        chunk.append(goal)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _sheet_rows(goals: list[Goal]) -> dict[str, list[list[Any]]]:
    """The rows of every sheet for a chunk of goals, in goal order."""
    ids = [g.pk for g in goals]
    krs: dict[int, list[KeyResult]] = defaultdict(list)
    for kr in (
        KeyResult.objects.filter(goal_id__in=ids)
        .select_related("indicator")
        .order_by("goal_id", "position", "id")
    ):
        krs[kr.goal_id].append(kr)
    items: dict[int, list[WorkItem]] = defaultdict(list)
    for item in (
        WorkItem.objects.filter(goal_id__in=ids)
        .select_related("owner")
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_date", "id"))
        )
        .order_by("goal_id", "planned_start", "position", "id")
    ):
        items[item.goal_id].append(item)
    out: dict[str, list[list[Any]]] = {spec.kind: [] for spec in GOAL_SPECS}
    for goal in goals:
        out[GOALS.kind].append(_goal_row(goal))
        for position, kr in enumerate(krs.get(goal.pk, []), start=1):
            out[KEY_RESULTS.kind].append(_kr_row(goal, position, kr))
        for item in items.get(goal.pk, []):
            out[WORK_ITEMS.kind].append(_item_row(goal, item))
            for m in item.milestones.all():
                out[MILESTONES.kind].append(_milestone_row(item, m))
    return out


def export_goal_workbook(
    path: Path, *, user: Any | None, period: str = "", progress: Progress | None = None
) -> int:
    """Write the workbook (sheets 目标, 关键结果, 工作计划, 里程碑); returns the number of goals."""
    goals = goals_for_export(user, period)
    total = goals.count()
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    done = 0
    try:
        header = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        sheets = {}
        next_row = {}
        for spec in GOAL_SPECS:
            ws = wb.add_worksheet(spec.sheet)
            for i, column in enumerate(spec.columns):
                ws.set_column(i, i, max(column.width, len(column.header) * 2 + 4))
            ws.write_row(0, 0, spec.headers, header)
            ws.freeze_panes(1, 0)
            sheets[spec.kind] = ws
            next_row[spec.kind] = 1
        for chunk in _chunks(goals):
            for kind, rows in _sheet_rows(chunk).items():
                ws = sheets[kind]
                for values in rows:
                    r = next_row[kind]
                    for c, value in enumerate(values):
                        if isinstance(value, datetime.date):
                            ws.write_datetime(
                                r, c, datetime.datetime.combine(value, datetime.time()), date
                            )
                        elif isinstance(value, str):
                            if value:
                                ws.write_string(r, c, value)
                        elif value is not None:
                            ws.write_number(r, c, value)
                    next_row[kind] = r + 1
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        if progress is not None:
            progress(total, total)
    finally:
        wb.close()
    return total
