"""Import of goals, key results, work plans and milestones (sheets 目标, 关键结果, 工作计划,
里程碑) from .xlsx or .csv.

The all-or-nothing rules of the organization import: the whole file is read and every row
checked first, with the validation the pages use (jixiao.goals.services.validate_goal and
owner_for, jixiao.goals.work_plans.validate_work_item and validate_milestone) plus the checks
only a file needs (unknown codes, duplicates, alignment loops inside the file); if any row is
wrong nothing is written and every wrong row is listed with its line, column and reason. A
good file is written in one transaction with bulk writes and one audit record per goal or work
item, then the progress of the touched goals and the chains above them is recomputed.

Rows are keyed by code (目标编码, 事项编码): a new code creates, a stored one updates, an
identical row is left alone, so importing the same file twice changes nothing. The import
creates and edits draft and returned goals only; a submitted, approved, locked or closed goal
that the file would change is an error (locked goals change through a change request). Work
plans follow the pages: they change in any status of their goal but closed.

`user` None is the trusted command line: every goal is visible and every owner may be planned.
Otherwise rows that create or change something need the user's planning rights over the
owner (jixiao.goals.permissions); identical rows need none, so an export imports back.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import Max, Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.bulk import bulk_update_rows
from jixiao.core.errors import DomainError, FieldError
from jixiao.goals import progress as goal_progress
from jixiao.goals.models import (
    EDITABLE_STATUSES,
    Goal,
    GoalLevel,
    GoalStatus,
    GoalSupport,
    Horizon,
    KeyResult,
    KeyResultSource,
    Milestone,
    WorkItem,
    WorkItemKind,
)
from jixiao.goals.periods import Period, parse_period
from jixiao.goals.permissions import (
    PlanningScope,
    can_create_goal_for,
    may_plan_for,
    planning_scope_for,
)
from jixiao.goals.selectors import goals_visible_to
from jixiao.goals.services import (
    GoalData,
    KeyResultData,
    Owner,
    alignment_errors,
    owner_for,
    validate_goal,
)
from jixiao.goals.work_plans import (
    MilestoneData,
    WorkItemData,
    validate_milestone,
    validate_work_item,
)
from jixiao.imports.formats import SheetSpec
from jixiao.imports.goal_formats import (
    EXPORT_ONLY,
    GOAL_SPECS,
    GOALS,
    ID_PREFIX,
    KEY_RESULTS,
    MILESTONES,
    WORK_ITEMS,
)
from jixiao.imports.indicator_import import _clean_rows, _decimal, _duplicates, _Row
from jixiao.imports.org_import import _find_loops
from jixiao.imports.parsing import RowError, read_table_file
from jixiao.indicators.models import Indicator
from jixiao.org.models import Department, Person

__all__ = ["KINDS", "GoalImportOutcome", "import_goal_file"]

KINDS = ("goals", "key_results", "work_items", "milestones")
BATCH = 2000
CHUNK = 5000
MAX_DEPTH = 64
_REF_ID = re.compile(r"^#(\d{1,12})$")
_MONTH_AS_DATE = re.compile(r"^(\d{4})-(\d{2})-01(?:[ T]00:00(?::00)?)?$")


@dataclass
class GoalImportOutcome:
    ok: bool
    errors: list[RowError] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    dry_run: bool = False
    rows: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "dry_run": self.dry_run,
            "rows": self.rows,
        }


# ---------------------------------------------------------------- planned rows


@dataclass
class _GoalPlan:
    ref: str  # as written in the file: a code, or #id for a stored goal without one
    sheet: str  # where goal-level problems are reported
    line: int
    existing: Goal | None
    owner: Owner
    data: GoalData
    code: str  # the code stored ("" for a stored goal named by #id without a code)
    parent_ref: str | None = None  # None: no parent
    parent_kept: bool = True  # the file does not say: keep the stored parent
    parent_line: int = 0
    kr_lines: list[int] | None = None  # None: the key results are not in the file
    before: dict[str, Any] = field(default_factory=dict)
    new_parent: _GoalPlan | None = None  # the parent, when it is a new goal of the file
    parent_id: int | None = None  # the parent, when it is stored
    changed: bool = False
    ok: bool = True

    @property
    def ident(self) -> str:
        return f"id:{self.existing.pk}" if self.existing is not None else f"new:{self.ref}"


@dataclass
class _ItemPlan:
    ref: str
    sheet: str
    line: int
    existing: WorkItem | None
    goal_plan: _GoalPlan | None  # the goal, when it is in the file
    goal: Goal  # stored, or an unsaved stand-in for a new goal of the file
    data: WorkItemData
    code: str
    milestones: list[MilestoneData] | None = None  # None: not in the file
    milestone_lines: list[int] = field(default_factory=list)
    changed: bool = False
    ok: bool = True


class _Earlier:
    """What validate_milestone reads of an item's other milestones: those above in the file."""

    def __init__(self, items: list[MilestoneData]) -> None:
        self._items = items

    def all(self) -> list[MilestoneData]:
        return self._items


@dataclass
class _ItemStandIn:
    """The plan dates of an item as the file leaves them, for validate_milestone."""

    planned_start: datetime.date
    planned_end: datetime.date
    milestones: _Earlier


class _Stale(Exception):
    pass


# ---------------------------------------------------------------- helpers


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _text(row: _Row, key: str) -> str:
    value = row.values.get(key)
    return "" if value is None else str(value).strip()


def _ref_id(ref: str) -> int | None:
    m = _REF_ID.match(ref)
    return int(m[1]) if m else None


def _period_text(value: str) -> str:
    """Excel turns 2026-03 into a date (the first of March): read it back as the month."""
    m = _MONTH_AS_DATE.match(value)
    return f"{m[1]}-{m[2]}" if m else value


@dataclass
class _State:
    """What the database holds for the codes the file names, loaded in a few queries."""

    user: Any | None
    ps: PlanningScope | None
    today: datetime.date
    errors: list[RowError] = field(default_factory=list)
    goals_by_code: dict[str, Goal] = field(default_factory=dict)
    goals_by_id: dict[int, Goal] = field(default_factory=dict)
    visible_ids: set[int] = field(default_factory=set)
    key_results: dict[int, list[KeyResult]] = field(default_factory=dict)
    supports: dict[int, list[int]] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    indicators_by_code: dict[str, Indicator] = field(default_factory=dict)
    indicators_by_id: dict[int, Indicator] = field(default_factory=dict)
    items_by_code: dict[str, WorkItem] = field(default_factory=dict)
    items_by_id: dict[int, WorkItem] = field(default_factory=dict)
    stored_milestones: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    people_by_id: dict[int, Person] = field(default_factory=dict)
    goals: dict[str, _GoalPlan] = field(default_factory=dict)  # by ref
    failed_goal_refs: set[str] = field(default_factory=set)
    items: dict[str, _ItemPlan] = field(default_factory=dict)
    failed_item_refs: set[str] = field(default_factory=set)

    def error(self, spec: SheetSpec, line: int, key: str, code: str, message: str) -> None:
        self.errors.append(RowError(spec.sheet, line, spec.column(key).header, code, message))

    def stored_goal(self, ref: str) -> Goal | None:
        """The stored goal a reference names, if the user may see it."""
        pk = _ref_id(ref)
        goal = self.goals_by_id.get(pk) if pk is not None else self.goals_by_code.get(ref)
        if goal is None or (self.user is not None and goal.pk not in self.visible_ids):
            return None
        return goal

    def stored_item(self, ref: str) -> WorkItem | None:
        pk = _ref_id(ref)
        item = self.items_by_id.get(pk) if pk is not None else self.items_by_code.get(ref)
        if item is None:
            return None
        if self.user is not None and item.goal_id not in self.visible_ids:
            person_id = self.ps.person_id if self.ps is not None else None
            if person_id is None or item.owner_id != person_id:
                return None
        return item


def _load(state: _State, goal_refs: set[str], item_refs: set[str], rows: _Rows) -> None:
    codes = {r for r in goal_refs if _ref_id(r) is None}
    ids = {i for r in goal_refs if (i := _ref_id(r)) is not None}
    item_codes = {r for r in item_refs if _ref_id(r) is None}
    item_ids = {i for r in item_refs if (i := _ref_id(r)) is not None}
    items: list[WorkItem] = []
    item_query = WorkItem.objects.select_related(
        "goal", "goal__department", "goal__person", "goal__person__department"
    ).prefetch_related("milestones")
    for chunk in _chunks(item_codes):
        items += item_query.filter(code__in=chunk)
    for chunk in _chunks(item_ids):
        items += item_query.filter(pk__in=chunk)
    for item in items:
        state.items_by_id[item.pk] = item
        if item.code:
            state.items_by_code[item.code] = item
        state.stored_milestones[item.pk] = [
            MilestoneData.of(m).content() for m in item.milestones.all()
        ]
        ids.add(item.goal_id)
    goal_query = Goal.objects.select_related("department", "person", "person__department")
    goals: list[Goal] = []
    for chunk in _chunks(codes):
        goals += goal_query.filter(code__in=chunk)
    for chunk in _chunks(ids):
        goals += goal_query.filter(pk__in=chunk)
    for goal in goals:
        state.goals_by_id[goal.pk] = goal
        if goal.code:
            state.goals_by_code[goal.code] = goal
    for item in items:  # share the goal objects (one per goal)
        item.goal = state.goals_by_id.get(item.goal_id, item.goal)
    goal_ids = list(state.goals_by_id)
    if state.user is not None:
        for chunk in _chunks(goal_ids):
            state.visible_ids |= set(
                goals_visible_to(state.user).filter(pk__in=chunk).values_list("pk", flat=True)
            )
    else:
        state.visible_ids = set(goal_ids)
    pinned: set[int] = set()
    for chunk in _chunks(goal_ids):
        for kr in KeyResult.objects.filter(goal_id__in=chunk).order_by("goal_id", "position", "id"):
            state.key_results.setdefault(kr.goal_id, []).append(kr)
            if kr.indicator_id:
                pinned.add(kr.indicator_id)
        for goal_id, supports_id in GoalSupport.objects.filter(goal_id__in=chunk).values_list(
            "goal_id", "supports_id"
        ):
            state.supports.setdefault(goal_id, []).append(supports_id)
    for chunk in _chunks(rows.department_codes):
        state.departments.update((d.code, d) for d in Department.objects.filter(code__in=chunk))
    for chunk in _chunks(rows.employee_nos):
        state.people.update(
            (p.employee_no, p)
            for p in Person.objects.select_related("department").filter(employee_no__in=chunk)
        )
    state.people_by_id = {p.pk: p for p in state.people.values()}
    for chunk in _chunks(rows.indicator_codes):
        for ind in Indicator.objects.filter(is_latest=True, code__in=chunk):
            state.indicators_by_code[ind.code] = ind
            state.indicators_by_id[ind.pk] = ind
    missing = pinned - set(state.indicators_by_id)
    for chunk in _chunks(missing):
        state.indicators_by_id.update((i.pk, i) for i in Indicator.objects.filter(pk__in=chunk))


@dataclass
class _Rows:
    goals: list[_Row]
    key_results: list[_Row]
    work_items: list[_Row]
    milestones: list[_Row]

    @property
    def department_codes(self) -> set[str]:
        return {c for r in self.goals if (c := _text(r, "department"))}

    @property
    def employee_nos(self) -> set[str]:
        return {c for r in self.goals if (c := _text(r, "person"))} | {
            c for r in self.work_items if (c := _text(r, "owner"))
        }

    @property
    def indicator_codes(self) -> set[str]:
        return {c for r in self.key_results if (c := _text(r, "indicator"))}


# ---------------------------------------------------------------- codes


def _check_code(state: _State, spec: SheetSpec, row: _Row, key: str) -> str | None:
    """A code as written, or None (with an error) when it cannot be a code."""
    ref = _text(row, key)
    if not ref:
        return None
    if _ref_id(ref) is not None:
        return ref
    if ref.startswith(ID_PREFIX) or any(ch.isspace() for ch in ref):
        state.error(
            spec,
            row.line,
            key,
            "invalid_code",
            _(
                "“%(code)s” is not a code: a code has no spaces and does not start with #; "
                "#123 names the stored record number 123."
            )
            % {"code": ref},
        )
        row.ok = False
        return None
    return ref


# ---------------------------------------------------------------- goals


_GOAL_FIELD_COLUMNS = {
    "title": "title",
    "description": "description",
    "weight": "weight",
    "horizon": "capacity",
    "due_date": "due_date",
    "parent": "parent",
    "period": "period",
    "level": "level",
    "person": "person",
    "department": "department",
}
_KR_FIELD_COLUMNS = {
    "title": "title",
    "indicator": "indicator",
    "unit": "unit",
    "direction": "direction",
    "baseline": "baseline",
    "threshold": "threshold",
    "target": "target",
    "stretch": "stretch",
    "weight": "weight",
    "source": "indicator",
}


def _goal_errors(state: _State, plan: _GoalPlan, problems: list[FieldError]) -> None:
    """Put each problem where the person can find it: sheet, line and column."""
    for fe in problems:
        name = fe.field or ""
        message = str(fe.message)
        if name.startswith("key_results") and plan.kr_lines:
            index_text, _sep, rest = name.removeprefix("key_results[").partition("]")
            index = int(index_text) if index_text.isdigit() else 0
            line = plan.kr_lines[min(index, len(plan.kr_lines) - 1)]
            key = _KR_FIELD_COLUMNS.get(rest.removeprefix("."), "goal")
            state.error(KEY_RESULTS, line, key, fe.code, message)
        elif plan.sheet == GOALS.sheet:
            key = _GOAL_FIELD_COLUMNS.get(name, "code")
            if name.startswith("key_results"):
                key, message = "code", f"{_('Stored key results')}：{message}"
            state.error(GOALS, plan.line, key, fe.code, message)
        else:
            state.error(KEY_RESULTS, plan.line, "goal", fe.code, f"{plan.ref}：{message}")
        plan.ok = False


def _base_data(state: _State, goal: Goal | None) -> GoalData:
    if goal is None:
        return GoalData(title="")
    return GoalData(
        title=goal.title,
        description=goal.description,
        weight=goal.weight,
        horizon=goal.horizon,
        due_date=goal.due_date,
        parent_id=goal.parent_id,
        objective_id=goal.objective_id,
        progress_mode=goal.progress_mode,
        checkin_cadence=goal.checkin_cadence,
        key_results=[KeyResultData.of(kr) for kr in state.key_results.get(goal.pk, [])],
        supports=sorted(state.supports.get(goal.pk, [])),
    )


def _owner_of_row(state: _State, row: _Row, existing: Goal | None) -> Owner | None:
    level = _text(row, "level")
    period_key = _period_text(_text(row, "period"))
    dept_code = _text(row, "department")
    emp = _text(row, "person")
    department: Department | None = None
    person: Person | None = None
    if level == GoalLevel.PERSON:
        if emp:
            person = state.people.get(emp)
            if person is None:
                state.error(
                    GOALS,
                    row.line,
                    "person",
                    "unknown_person",
                    _("No person has the 工号 “%(code)s”.") % {"code": emp},
                )
                row.ok = False
    elif level:
        if emp:
            state.error(
                GOALS,
                row.line,
                "person",
                "person_not_allowed",
                _("Only personal goals name a person; leave 工号 empty for this goal."),
            )
            row.ok = False
        if dept_code:
            department = state.departments.get(dept_code)
            if department is None:
                state.error(
                    GOALS,
                    row.line,
                    "department",
                    "unknown_department",
                    _("No department has the code “%(code)s”.") % {"code": dept_code},
                )
                row.ok = False
    if not row.ok:
        return None
    try:
        owner = owner_for(level=level, period_key=period_key, department=department, person=person)
    except DomainError as error:
        for fe in error.all_errors():
            key = _GOAL_FIELD_COLUMNS.get(fe.field or "", "level")
            state.error(GOALS, row.line, key, fe.code, str(fe.message))
        row.ok = False
        return None
    if existing is not None:
        differs = (
            "level"
            if existing.level != owner.level
            else "period"
            if existing.period != owner.period.key
            else "person"
            if owner.person is not None and existing.person_id != owner.person.pk
            else "department"
            if owner.person is None and existing.department_id != owner.department.pk
            else None
        )
        if differs is not None:
            state.error(
                GOALS,
                row.line,
                differs,
                "owner_changed",
                _(
                    "A stored goal keeps its level, period and owner; for another owner or "
                    "period make a new goal with a new code."
                ),
            )
            row.ok = False
            return None
    return owner


def _owner_label(owner: Owner) -> str:
    if owner.person is not None:
        return f"{owner.person.name}（{owner.person.employee_no}）"
    return owner.department.name


def _plan_goal_rows(state: _State, rows: list[_Row]) -> None:
    for row in rows:
        ref = _check_code(state, GOALS, row, "code")
        weight = _decimal(GOALS, row, "weight", state.errors) if "weight" in row.values else None
        parent_ref = _check_code(state, GOALS, row, "parent") if "parent" in row.values else None
        if ref is None:
            continue
        existing = None
        if _ref_id(ref) is not None:
            existing = state.stored_goal(ref)
            if existing is None:
                state.error(
                    GOALS,
                    row.line,
                    "code",
                    "unknown_goal",
                    _("No goal you can see has the number %(ref)s.") % {"ref": ref},
                )
                row.ok = False
        elif ref in state.goals_by_code:
            existing = state.stored_goal(ref)
            if existing is None:
                state.error(
                    GOALS,
                    row.line,
                    "code",
                    "code_taken",
                    _("The code “%(code)s” belongs to a goal you cannot see.") % {"code": ref},
                )
                row.ok = False
        owner = _owner_of_row(state, row, existing) if row.ok else None
        if owner is None or not row.ok:
            state.failed_goal_refs.add(ref)
            continue
        data = _base_data(state, existing)
        v = row.values
        data.title = _text(row, "title")
        if "description" in v:
            data.description = _text(row, "description")
        if "weight" in v:
            data.weight = weight if weight is not None else Decimal(0)
        if "due_date" in v:
            data.due_date = v["due_date"]
        if "capacity" in v:
            data.horizon = Horizon.CAPACITY if v["capacity"] == "1" else Horizon.OUTPUT
        plan = _GoalPlan(
            ref=ref,
            sheet=GOALS.sheet,
            line=row.line,
            existing=existing,
            owner=owner,
            data=data,
            code=existing.code if existing is not None else ref,
            parent_ref=parent_ref,
            parent_kept="parent" not in v,
            parent_line=row.line,
        )
        state.goals[ref] = plan


def _kr_data(state: _State, row: _Row, stored: KeyResult | None) -> KeyResultData | None:
    base = (
        KeyResultData.of(stored)
        if stored is not None
        else KeyResultData(title="", source=KeyResultSource.MANUAL)
    )
    base.id = stored.pk if stored is not None else None
    v = row.values
    numbers: dict[str, Decimal | None] = {}
    for key in ("baseline", "threshold", "target", "stretch", "weight"):
        if key in v:
            numbers[key] = _decimal(KEY_RESULTS, row, key, state.errors)
    if "indicator" in v:
        code = _text(row, "indicator")
        if not code:
            base.indicator_id = None
        else:
            indicator = state.indicators_by_code.get(code)
            pinned = (
                state.indicators_by_id.get(stored.indicator_id)
                if stored is not None and stored.indicator_id
                else None
            )
            if pinned is not None and pinned.code == code:
                base.indicator_id = pinned.pk  # keep the version the key result was set with
            elif indicator is None:
                state.error(
                    KEY_RESULTS,
                    row.line,
                    "indicator",
                    "unknown_indicator",
                    _("No indicator has the code “%(code)s”.") % {"code": code},
                )
                row.ok = False
            else:
                base.indicator_id = indicator.pk
    if not row.ok:
        return None
    base.title = _text(row, "title") if "title" in v else base.title
    base.unit = _text(row, "unit") if "unit" in v else base.unit
    base.direction = _text(row, "direction") if "direction" in v else base.direction
    for key in ("baseline", "threshold", "target", "stretch"):
        if key in numbers:
            setattr(base, key, numbers[key])
    if "weight" in numbers:
        base.weight = numbers["weight"] if numbers["weight"] is not None else Decimal(100)
    return base


def _plan_key_results(state: _State, rows: list[_Row]) -> None:
    _duplicates(
        rows,
        lambda r: (
            (_text(r, "goal"), r.values.get("position"))
            if _text(r, "goal") and r.values.get("position") is not None
            else None
        ),
        KEY_RESULTS,
        "position",
        state.errors,
    )
    by_goal: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        ref = _check_code(state, KEY_RESULTS, row, "goal")
        if ref is not None:
            by_goal[ref].append(row)
    for ref, group in by_goal.items():
        if ref in state.failed_goal_refs:
            continue
        plan = state.goals.get(ref)
        if plan is None:
            stored = state.stored_goal(ref)
            if stored is None:
                first = min(r.line for r in group)
                state.error(
                    KEY_RESULTS,
                    first,
                    "goal",
                    "unknown_goal",
                    _(
                        "No goal has the code “%(code)s” in this file or among the goals you can see."
                    )
                    % {"code": ref},
                )
                continue
            period_owner = Owner(
                level=stored.level,
                department=stored.department,
                person=stored.person,
                period=_stored_period(stored),
            )
            plan = _GoalPlan(
                ref=ref,
                sheet=KEY_RESULTS.sheet,
                line=min(r.line for r in group),
                existing=stored,
                owner=period_owner,
                data=_base_data(state, stored),
                code=stored.code,
            )
            state.goals[ref] = plan
        group.sort(key=lambda r: (r.values.get("position") or 0, r.line))
        stored_krs = state.key_results.get(plan.existing.pk, []) if plan.existing else []
        krs: list[KeyResultData] = []
        for index, row in enumerate(group):
            kr = _kr_data(state, row, stored_krs[index] if index < len(stored_krs) else None)
            if kr is not None and row.ok:
                krs.append(kr)
        if any(not r.ok for r in group):
            plan.ok = False
            continue
        plan.data.key_results = krs
        plan.kr_lines = [r.line for r in group]


def _stored_period(goal: Goal) -> Period:
    period = parse_period(goal.period)
    assert period is not None, goal.period
    return period


def _validate_goals(state: _State) -> None:
    for plan in state.goals.values():
        if not plan.ok:
            continue
        data = plan.data
        parent_id, objective_id, supports = data.parent_id, data.objective_id, data.supports
        # The parent is checked with the file (it may be a goal of the file); supports and
        # the strategic objective are not in the file and stay as they are.
        data.parent_id, data.objective_id, data.supports = None, None, []
        problems = validate_goal(
            data,
            owner=plan.owner,
            user=state.user,
            existing=plan.existing,
            indicators=state.indicators_by_id,
        )
        data.parent_id, data.objective_id, data.supports = parent_id, objective_id, supports
        _goal_errors(state, plan, problems)


def _parent_error(state: _State, plan: _GoalPlan, code: str, message: str) -> None:
    spec = GOALS if plan.sheet == GOALS.sheet else KEY_RESULTS
    state.error(spec, plan.parent_line or plan.line, "parent", code, message)
    plan.ok = False


def _resolve_parents(state: _State) -> None:
    for plan in state.goals.values():
        if plan.parent_kept or not plan.ok:
            plan.parent_id = plan.existing.parent_id if plan.existing is not None else None
            continue
        ref = plan.parent_ref
        if ref is None:
            plan.parent_id = None
            continue
        if ref in state.failed_goal_refs:
            plan.ok = False  # the parent's own row reports why
            continue
        in_file = state.goals.get(ref)
        if in_file is plan:
            _parent_error(
                state, plan, "alignment_loop", _("This would make the goal align to itself.")
            )
            continue
        if in_file is not None:
            if in_file.existing is None:
                plan.new_parent = in_file
            else:
                plan.parent_id = in_file.existing.pk
            parent_level, parent_period = in_file.owner.level, in_file.owner.period.key
            parent_status = (
                in_file.existing.status if in_file.existing is not None else GoalStatus.DRAFT
            )
            parent_path = in_file.owner.department.path
        else:
            stored = _parent_goal(state, ref, plan)
            if stored is None:
                _parent_error(
                    state,
                    plan,
                    "unknown_goal",
                    _(
                        "No goal has the code “%(code)s” in this file or among the goals you can see."
                    )
                    % {"code": ref},
                )
                continue
            if plan.existing is not None and stored.pk == plan.existing.pk:
                _parent_error(
                    state, plan, "alignment_loop", _("This would make the goal align to itself.")
                )
                continue
            plan.parent_id = stored.pk
            parent_level, parent_period = stored.level, stored.period
            parent_status, parent_path = stored.status, stored.department.path
        if plan.existing is not None and plan.parent_id == plan.existing.parent_id:
            continue  # unchanged: the rules held when it was set
        for fe in alignment_errors(
            parent_level=parent_level,
            parent_period=parent_period,
            parent_status=parent_status,
            parent_path=parent_path,
            owner=plan.owner,
        ):
            _parent_error(state, plan, fe.code, str(fe.message))


def _parent_goal(state: _State, ref: str, plan: _GoalPlan) -> Goal | None:
    """A stored parent: visible to the user, or the goal's current parent (kept as it is)."""
    stored = state.stored_goal(ref)
    if stored is not None:
        return stored
    pk = _ref_id(ref)
    goal = state.goals_by_id.get(pk) if pk is not None else state.goals_by_code.get(ref)
    if goal is not None and plan.existing is not None and plan.existing.parent_id == goal.pk:
        return goal
    return None


def _check_loops(state: _State) -> None:
    """Alignment loops that the file would make, through goals of the file and stored ones."""
    parent_of: dict[str, str | None] = {}
    names: dict[str, str] = {}
    by_ident: dict[str, _GoalPlan] = {}
    for plan in state.goals.values():
        if not plan.ok:
            continue
        by_ident[plan.ident] = plan
        names[plan.ident] = plan.ref
        if plan.new_parent is not None:
            parent_of[plan.ident] = plan.new_parent.ident
        else:
            parent_of[plan.ident] = f"id:{plan.parent_id}" if plan.parent_id else None
    frontier = {int(p[3:]) for p in parent_of.values() if p and p.startswith("id:")} - {
        int(i[3:]) for i in parent_of if i.startswith("id:")
    }
    for _depth in range(MAX_DEPTH):
        if not frontier:
            break
        found: set[int] = set()
        for chunk in _chunks(frontier):
            for pk, parent_id, code in Goal.objects.filter(pk__in=chunk).values_list(
                "pk", "parent_id", "code"
            ):
                parent_of[f"id:{pk}"] = f"id:{parent_id}" if parent_id else None
                names[f"id:{pk}"] = code or f"{ID_PREFIX}{pk}"
                if parent_id:
                    found.add(parent_id)
        frontier = {pk for pk in found if f"id:{pk}" not in parent_of}
    for loop in _find_loops(parent_of):
        path = " → ".join(names.get(i, i) for i in [*loop, loop[0]])
        for ident in loop:
            member = by_ident.get(ident)
            if member is not None and (member.new_parent is not None or not member.parent_kept):
                _parent_error(
                    state,
                    member,
                    "alignment_loop",
                    _("The alignment makes a loop: %(path)s.") % {"path": path},
                )


def _content(plan: _GoalPlan) -> dict[str, Any]:
    content = plan.data.content()
    content["parent"] = (
        f"new:{plan.new_parent.ref}" if plan.new_parent is not None else plan.parent_id
    )
    return content


_CONTENT_COLUMNS = {
    "title": "title",
    "description": "description",
    "weight": "weight",
    "horizon": "capacity",
    "due_date": "due_date",
    "parent": "parent",
}


def _check_changes(state: _State) -> None:
    """Decide what changes; changes need an editable goal and the user's planning rights."""
    for plan in state.goals.values():
        if not plan.ok:
            continue
        after = _content(plan)
        if plan.existing is not None:
            plan.before = _base_data(state, plan.existing).content()
            plan.changed = plan.before != after
            if not plan.changed:
                continue
            if plan.existing.status not in EDITABLE_STATUSES:
                first = next((k for k in _CONTENT_COLUMNS if plan.before[k] != after[k]), None)
                key = _CONTENT_COLUMNS[first] if first and plan.sheet == GOALS.sheet else "code"
                spec = GOALS if plan.sheet == GOALS.sheet else KEY_RESULTS
                state.error(
                    spec,
                    plan.line,
                    key if spec is GOALS else "goal",
                    "goal_locked",
                    _(
                        "The goal is %(status)s and the import cannot change it; locked goals "
                        "change through a change request (调整申请)."
                    )
                    % {"status": plan.existing.get_status_display()},
                )
                plan.ok = False
                continue
        if state.ps is None:
            continue
        allowed = (
            may_plan_for(state.ps, plan.existing)
            if plan.existing is not None
            else can_create_goal_for(
                state.user,
                level=plan.owner.level,
                department=plan.owner.department,
                person=plan.owner.person,
            )
        )
        if not allowed:
            spec = GOALS if plan.sheet == GOALS.sheet else KEY_RESULTS
            key = (
                "goal"
                if spec is KEY_RESULTS
                else "person"
                if plan.owner.person is not None
                else "department"
            )
            state.error(
                spec,
                plan.line,
                key,
                "forbidden_owner",
                _("You may not plan goals for %(owner)s.") % {"owner": _owner_label(plan.owner)},
            )
            plan.ok = False


# ---------------------------------------------------------------- work items


_ITEM_FIELD_COLUMNS = {
    "title": "title",
    "kind": "kind",
    "owner": "owner",
    "planned_start": "planned_start",
    "planned_end": "planned_end",
    "planned_days": "planned_days",
    "budget": "budget",
    "actual_start": "actual_start",
    "actual_end": "actual_end",
    "percent_complete": "percent_complete",
    "actual_cost": "actual_cost",
}
_MILESTONE_FIELD_COLUMNS = {
    "title": "title",
    "due_date": "due_date",
    "share": "share",
    "done_on": "done_on",
}


def _goal_stand_in(plan: _GoalPlan) -> Goal:
    """An unsaved goal with the owner of a new goal of the file, for the work plan checks."""
    goal = Goal(
        level=plan.owner.level,
        department=plan.owner.department,
        person=plan.owner.person,
        period=plan.owner.period.key,
        status=GoalStatus.DRAFT,
    )
    return goal


def _item_goal(state: _State, ref: str) -> tuple[_GoalPlan | None, Goal | None]:
    plan = state.goals.get(ref)
    if plan is not None:
        if not plan.ok:
            return plan, None
        return plan, plan.existing if plan.existing is not None else _goal_stand_in(plan)
    return None, state.stored_goal(ref)


def _owner_allowed(person: Person, goal: Goal) -> bool:
    """work_plans.owner_candidates on preloaded rows: an active person of the goal's
    department subtree, or the goal's own person."""
    return person.is_active and (
        person.department.path.startswith(goal.department.path)
        or (goal.person_id is not None and person.pk == goal.person_id)
    )


def _plan_item_rows(state: _State, rows: list[_Row]) -> None:
    _duplicates(rows, lambda r: _text(r, "code"), WORK_ITEMS, "code", state.errors)
    for row in rows:
        ref = _check_code(state, WORK_ITEMS, row, "code")
        goal_ref = _check_code(state, WORK_ITEMS, row, "goal")
        numbers = {
            key: _decimal(WORK_ITEMS, row, key, state.errors)
            for key in ("planned_days", "budget", "actual_cost")
            if key in row.values
        }
        if ref is None or goal_ref is None:
            if ref is not None:
                state.failed_item_refs.add(ref)
            continue
        if not row.ok:
            state.failed_item_refs.add(ref)
            continue
        existing = None
        if _ref_id(ref) is not None:
            existing = state.stored_item(ref)
            if existing is None:
                state.error(
                    WORK_ITEMS,
                    row.line,
                    "code",
                    "unknown_item",
                    _("No work item you can see has the number %(ref)s.") % {"ref": ref},
                )
                row.ok = False
        elif ref in state.items_by_code:
            existing = state.stored_item(ref)
            if existing is None:
                state.error(
                    WORK_ITEMS,
                    row.line,
                    "code",
                    "code_taken",
                    _("The code “%(code)s” belongs to a work item you cannot see.") % {"code": ref},
                )
                row.ok = False
        goal_plan, goal = _item_goal(state, goal_ref) if row.ok else (None, None)
        if row.ok and goal is None and goal_plan is None and existing is not None:
            # The owner of an item may report on it without seeing its goal.
            stored = existing.goal
            if goal_ref in (stored.code, f"{ID_PREFIX}{stored.pk}"):
                goal = stored
        if row.ok and goal is None:
            if goal_ref not in state.failed_goal_refs and (goal_plan is None or goal_plan.ok):
                state.error(
                    WORK_ITEMS,
                    row.line,
                    "goal",
                    "unknown_goal",
                    _(
                        "No goal has the code “%(code)s” in this file or among the goals you can see."
                    )
                    % {"code": goal_ref},
                )
            row.ok = False
        if row.ok and existing is not None and (goal is None or existing.goal_id != goal.pk):
            state.error(
                WORK_ITEMS,
                row.line,
                "goal",
                "item_moved",
                _(
                    "A stored work item stays with its goal; for another goal make a new item "
                    "with a new code."
                ),
            )
            row.ok = False
        owner: Person | None = None
        emp = _text(row, "owner")
        if row.ok and emp:
            owner = state.people.get(emp)
            if owner is None:
                state.error(
                    WORK_ITEMS,
                    row.line,
                    "owner",
                    "unknown_person",
                    _("No person has the 工号 “%(code)s”.") % {"code": emp},
                )
                row.ok = False
        if not row.ok or goal is None:
            state.failed_item_refs.add(ref)
            continue
        v = row.values
        data = (
            WorkItemData.of(existing)
            if existing is not None
            else WorkItemData(title="", planned_start=None, planned_end=None)
        )
        data.title = _text(row, "title")
        if "kind" in v:
            data.kind = v["kind"] or WorkItemKind.TASK
        if "owner" in v:
            data.owner_id = owner.pk if owner is not None else None
        for key in ("planned_start", "planned_end", "actual_start", "actual_end"):
            if key in v:
                setattr(data, key, v[key])
        if "percent_complete" in v:
            data.percent_complete = v["percent_complete"] or 0
        for key, number in numbers.items():
            setattr(data, key, number)
        state.items[ref] = _ItemPlan(
            ref=ref,
            sheet=WORK_ITEMS.sheet,
            line=row.line,
            existing=existing,
            goal_plan=goal_plan,
            goal=goal,
            data=data,
            code=existing.code if existing is not None else ref,
        )


def _plan_milestones(state: _State, rows: list[_Row]) -> None:
    by_item: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        share = _decimal(MILESTONES, row, "share", state.errors) if "share" in row.values else None
        row.values["share"] = share if share is not None else Decimal(0)
        ref = _check_code(state, MILESTONES, row, "item")
        if ref is not None:
            by_item[ref].append(row)
    for ref, group in by_item.items():
        if ref in state.failed_item_refs:
            continue
        plan = state.items.get(ref)
        if plan is None:
            stored = state.stored_item(ref)
            if stored is None:
                state.error(
                    MILESTONES,
                    min(r.line for r in group),
                    "item",
                    "unknown_item",
                    _(
                        "No work item has the code “%(code)s” in this file or among the "
                        "work plans you can see."
                    )
                    % {"code": ref},
                )
                continue
            plan = _ItemPlan(
                ref=ref,
                sheet=MILESTONES.sheet,
                line=min(r.line for r in group),
                existing=stored,
                goal_plan=state.goals.get(stored.goal.code) if stored.goal.code else None,
                goal=stored.goal,
                data=WorkItemData.of(stored),
                code=stored.code,
            )
            state.items[ref] = plan
        if any(not r.ok for r in group):
            plan.ok = False
            continue
        group.sort(key=lambda r: (r.values.get("due_date") or datetime.date.max, r.line))
        plan.milestones = [
            MilestoneData(
                title=_text(r, "title"),
                due_date=r.values.get("due_date"),
                share=r.values["share"],
                done_on=r.values.get("done_on"),
            )
            for r in group
        ]
        plan.milestone_lines = [r.line for r in group]


def _item_errors(state: _State, plan: _ItemPlan, problems: list[FieldError]) -> None:
    for fe in problems:
        key = _ITEM_FIELD_COLUMNS.get(fe.field or "", "code")
        if plan.sheet == WORK_ITEMS.sheet:
            state.error(WORK_ITEMS, plan.line, key, fe.code, str(fe.message))
        else:
            state.error(MILESTONES, plan.line, "item", fe.code, f"{plan.ref}：{fe.message}")
        plan.ok = False


def _validate_items(state: _State) -> None:
    for plan in state.items.values():
        if not plan.ok:
            continue
        data = plan.data
        existing = plan.existing
        owner_id = data.owner_id
        owner_changed = existing is None or existing.owner_id != owner_id
        if owner_id is not None and owner_changed:
            person = state.people_by_id.get(owner_id)
            if person is None or not _owner_allowed(person, plan.goal):
                _item_errors(
                    state,
                    plan,
                    [
                        FieldError(
                            "owner",
                            "owner_outside",
                            _(
                                "The owner must be an active person in the goal's department "
                                "or below it."
                            ),
                        )
                    ],
                )
                continue
        if existing is not None and plan.milestones is not None:
            # The milestones of the file replace the stored ones and are checked against the
            # new plan below, so the stored ones must not count here (their contents stay in
            # state.stored_milestones).
            cache = getattr(existing, "_prefetched_objects_cache", None)
            if cache is not None:
                cache["milestones"] = Milestone.objects.none()
        data.owner_id = None if owner_changed else owner_id  # checked above on preloaded rows
        problems = validate_work_item(data, goal=plan.goal, existing=existing, today=state.today)
        data.owner_id = owner_id
        _item_errors(state, plan, problems)
        if not plan.ok or plan.milestones is None:
            continue
        assert data.planned_start is not None and data.planned_end is not None
        earlier: list[MilestoneData] = []
        for line, milestone in zip(plan.milestone_lines, plan.milestones, strict=True):
            stand_in = _ItemStandIn(data.planned_start, data.planned_end, _Earlier(list(earlier)))
            found = validate_milestone(
                milestone, item=cast(WorkItem, stand_in), existing=None, today=state.today
            )
            for fe in found:
                key = _MILESTONE_FIELD_COLUMNS.get(fe.field or "", "title")
                state.error(MILESTONES, line, key, fe.code, str(fe.message))
                plan.ok = False
            earlier.append(milestone)


def _stored_milestones(state: _State, item: WorkItem | None) -> list[dict[str, Any]]:
    if item is None or item.pk is None:
        return []
    return state.stored_milestones.get(item.pk, [])


def _item_content(state: _State, plan: _ItemPlan) -> tuple[dict[str, Any], dict[str, Any]]:
    """Before and after, with the milestones, as the audit trail records them."""
    before = WorkItemData.of(plan.existing).content() if plan.existing is not None else {}
    after = plan.data.content()
    stored = _stored_milestones(state, plan.existing)
    if plan.existing is not None:
        before["milestones"] = stored
    after["milestones"] = (
        [m.content() for m in plan.milestones] if plan.milestones is not None else stored
    )
    return before, after


def _check_item_changes(state: _State) -> None:
    ps = state.ps
    for plan in state.items.values():
        if not plan.ok:
            continue
        before, after = _item_content(state, plan)
        plan.changed = plan.existing is None or before != after
        if not plan.changed:
            continue
        spec = WORK_ITEMS if plan.sheet == WORK_ITEMS.sheet else MILESTONES
        key = "goal" if spec is WORK_ITEMS else "item"
        if plan.goal.status == GoalStatus.CLOSED:
            state.error(
                spec,
                plan.line,
                key,
                "goal_closed",
                _("The goal is closed; its work plan no longer changes."),
            )
            plan.ok = False
            continue
        if ps is None or (plan.goal_plan is not None and plan.goal_plan.existing is None):
            continue  # a new goal of the file: whoever may create it plans its work
        if may_plan_for(ps, plan.goal):
            continue
        owner_only = (
            plan.existing is not None
            and ps.person_id is not None
            and plan.existing.owner_id == ps.person_id
        )
        plan_changed = plan.existing is None or (
            bool(plan.data.changed_plan(WorkItemData.of(plan.existing)))
            or before["milestones"] != after["milestones"]
        )
        if owner_only and not plan_changed:
            continue  # the owner of an item reports its progress
        state.error(
            spec,
            plan.line,
            key,
            "forbidden",
            _("You may report the progress of this item, but only its planners change its plan.")
            if owner_only
            else _("You may not plan the work of this goal."),
        )
        plan.ok = False


# ---------------------------------------------------------------- counting


def _count(state: _State, outcome: GoalImportOutcome) -> None:
    for plan in state.goals.values():
        if plan.sheet == GOALS.sheet:
            kind_counts = (
                outcome.created
                if plan.existing is None
                else outcome.updated
                if plan.changed
                else outcome.unchanged
            )
            kind_counts["goals"] += 1
        if plan.kr_lines is None:
            continue
        stored = state.key_results.get(plan.existing.pk, []) if plan.existing else []
        for index, kr in enumerate(plan.data.key_results):
            if index >= len(stored):
                outcome.created["key_results"] += 1
            elif KeyResultData.of(stored[index]).content() != kr.content():
                outcome.updated["key_results"] += 1
            else:
                outcome.unchanged["key_results"] += 1
        outcome.removed["key_results"] += max(0, len(stored) - len(plan.data.key_results))
    for item in state.items.values():
        if item.sheet == WORK_ITEMS.sheet:
            before, after = _item_content(state, item)
            item_counts = (
                outcome.created
                if item.existing is None
                else outcome.updated
                if {k: v for k, v in before.items() if k != "milestones"}
                != {k: v for k, v in after.items() if k != "milestones"}
                else outcome.unchanged
            )
            item_counts["work_items"] += 1
        if item.milestones is None:
            continue
        old = _stored_milestones(state, item.existing)
        for index, m in enumerate(item.milestones):
            if index >= len(old):
                outcome.created["milestones"] += 1
            elif old[index] != m.content():
                outcome.updated["milestones"] += 1
            else:
                outcome.unchanged["milestones"] += 1
        outcome.removed["milestones"] += max(0, len(old) - len(item.milestones))


# ---------------------------------------------------------------- writing


def _check_versions(model: type[Model], objs: list[Any], *, statuses: bool = False) -> None:
    """Compare-and-set for a bulk write: the rows still have the versions (and, for goals,
    the statuses) that were checked."""
    expected = {o.pk: (o.version, o.status if statuses else None) for o in objs}
    fields = ("pk", "version", "status") if statuses else ("pk", "version")
    seen = 0
    for chunk in _chunks(expected):
        query: QuerySet[Any] = model._default_manager.filter(pk__in=chunk)
        for row in query.values_list(*fields):
            seen += 1
            if (row[1], row[2] if statuses else None) != expected.get(row[0]):
                raise _Stale
    if seen != len(expected):
        raise _Stale


_KR_WRITE = [
    "position",
    "title",
    "indicator",
    "unit",
    "direction",
    "baseline",
    "threshold",
    "target",
    "stretch",
    "weight",
    "source",
]
_ITEM_WRITE = [
    "kind",
    "title",
    "description",
    "owner",
    "planned_start",
    "planned_end",
    "planned_days",
    "budget",
    "actual_start",
    "actual_end",
    "percent_complete",
    "actual_cost",
    "status",
    "version",
    "updated_at",
]


def _set_kr(kr: KeyResult, position: int, data: KeyResultData) -> None:
    kr.position = position
    kr.title = data.title
    kr.indicator_id = data.indicator_id
    kr.unit = data.unit
    kr.direction = data.direction
    kr.baseline = data.baseline
    kr.threshold = data.threshold
    kr.target = data.target
    kr.stretch = data.stretch
    kr.weight = data.weight
    kr.source = data.source


def _set_item(item: WorkItem, data: WorkItemData) -> None:
    assert data.planned_start is not None and data.planned_end is not None
    item.kind = data.kind
    item.title = data.title
    item.description = data.description
    item.owner_id = data.owner_id
    item.planned_start = data.planned_start
    item.planned_end = data.planned_end
    item.planned_days = data.planned_days
    item.budget = data.budget
    item.actual_start = data.actual_start
    item.actual_end = data.actual_end
    item.percent_complete = data.percent_complete
    item.actual_cost = data.actual_cost
    item.status = data.status


def _write(state: _State, actor: Actor) -> None:
    now = timezone.now()
    entries: list[audit.AuditEntry] = []
    goals = [p for p in state.goals.values() if p.existing is None or p.changed]
    new_goals = [p for p in goals if p.existing is None]
    changed_goals = [p for p in goals if p.existing is not None]
    _check_versions(Goal, [p.existing for p in changed_goals], statuses=True)
    created: dict[str, Goal] = {}
    rows: list[Goal] = []
    for p in new_goals:
        o = p.owner
        goal = Goal(
            code=p.code,
            level=o.level,
            department=o.department,
            person=o.person,
            period=o.period.key,
            period_kind=o.period.kind,
            period_start=o.period.start,
            period_end=o.period.end,
            title=p.data.title,
            description=p.data.description,
            weight=p.data.weight,
            horizon=p.data.horizon,
            due_date=p.data.due_date,
            progress_mode=p.data.progress_mode,
            checkin_cadence=p.data.checkin_cadence,
            status=GoalStatus.DRAFT,
            created_by_id=actor.user_id,
        )
        rows.append(goal)
        created[p.ref] = goal
    Goal.objects.bulk_create(rows, batch_size=BATCH)

    def final_parent(p: _GoalPlan) -> int | None:
        return created[p.new_parent.ref].pk if p.new_parent is not None else p.parent_id

    with_parent = []
    for p in new_goals:
        goal = created[p.ref]
        goal.parent_id = final_parent(p)
        if goal.parent_id is not None:
            with_parent.append(goal)
    bulk_update_rows(Goal, with_parent, ["parent"])
    old_parents: set[int] = set()
    changed_rows: list[Goal] = []
    for p in changed_goals:
        assert p.existing is not None
        goal = p.existing
        if goal.parent_id:
            old_parents.add(goal.parent_id)
        goal.title = p.data.title
        goal.description = p.data.description
        goal.weight = p.data.weight
        goal.horizon = p.data.horizon
        goal.due_date = p.data.due_date
        goal.parent_id = final_parent(p)
        goal.version += 1
        goal.updated_at = now
        changed_rows.append(goal)
    bulk_update_rows(
        Goal,
        changed_rows,
        [
            "title",
            "description",
            "weight",
            "horizon",
            "due_date",
            "parent",
            "version",
            "updated_at",
        ],
    )

    # key results: the file's list replaces the goal's, matched by position
    kr_create: list[KeyResult] = []
    kr_update: list[KeyResult] = []
    kr_delete: list[int] = []
    for p in goals:
        if p.kr_lines is None:
            continue
        goal = p.existing or created[p.ref]
        stored = state.key_results.get(goal.pk, []) if p.existing is not None else []
        for index, data in enumerate(p.data.key_results):
            if index < len(stored):
                _set_kr(stored[index], index, data)
                kr_update.append(stored[index])
            else:
                kr = KeyResult(goal_id=goal.pk)
                _set_kr(kr, index, data)
                kr_create.append(kr)
        kr_delete += [kr.pk for kr in stored[len(p.data.key_results) :]]
    for chunk in _chunks(kr_delete):
        KeyResult.objects.filter(pk__in=chunk).delete()
    bulk_update_rows(KeyResult, kr_update, _KR_WRITE)
    KeyResult.objects.bulk_create(kr_create, batch_size=BATCH)

    for p in goals:
        goal = p.existing or created[p.ref]
        after = {**p.data.content(), "parent": goal.parent_id}
        path = p.owner.department.path
        if p.existing is None:
            entries.append(
                audit.entry(
                    "goals.goal.create",
                    goal,
                    audit.diff({}, {"code": p.code, "level": goal.level, "period": goal.period})
                    | audit.diff({}, after),
                    scope_path=path,
                )
            )
        else:
            entries.append(
                audit.entry("goals.goal.update", goal, audit.diff(p.before, after), scope_path=path)
            )

    audit.record_many(
        actor, [*entries, *_write_items(state, created, now)], reason=_("Goals import")
    )
    touched = {g.pk for g in rows} | {g.pk for g in changed_rows} | old_parents
    goal_progress.recompute_goals(touched)


def _write_items(state: _State, created: dict[str, Goal], now: datetime.datetime) -> list[Any]:
    """Work items, then the milestones the file lists; returns their audit entries."""
    entries: list[audit.AuditEntry] = []
    items = [ip for ip in state.items.values() if ip.changed]
    new_items = [ip for ip in items if ip.existing is None]
    changed_items = [ip for ip in items if ip.existing is not None]
    _check_versions(WorkItem, [ip.existing for ip in changed_items])
    stored_goal_ids = {ip.goal.pk for ip in new_items if ip.goal.pk is not None}
    next_position: dict[int, int] = {}
    for chunk in _chunks(stored_goal_ids):
        for row in (
            WorkItem.objects.filter(goal_id__in=chunk)
            .values("goal_id")
            .annotate(top=Max("position"))
            .values_list("goal_id", "top")
        ):
            next_position[row[0]] = (row[1] or 0) + 1
    item_rows: list[WorkItem] = []
    befores: dict[str, dict[str, Any]] = {}
    for ip in items:
        befores[ip.ref] = _item_content(state, ip)[0]
    new_refs = {ip.ref for ip in new_items}
    for ip in new_items:
        goal_id = (
            created[ip.goal_plan.ref].pk
            if ip.goal_plan is not None and ip.goal_plan.existing is None
            else ip.goal.pk
        )
        position = next_position.get(goal_id, 1)
        next_position[goal_id] = position + 1
        item = WorkItem(goal_id=goal_id, code=ip.code, position=position)
        _set_item(item, ip.data)
        item_rows.append(item)
        ip.existing = item
    WorkItem.objects.bulk_create(item_rows, batch_size=BATCH)
    changed_item_rows: list[WorkItem] = []
    for ip in changed_items:
        assert ip.existing is not None
        item = ip.existing
        _set_item(item, ip.data)
        item.version += 1
        item.updated_at = now
        changed_item_rows.append(item)
    bulk_update_rows(WorkItem, changed_item_rows, _ITEM_WRITE)
    replaced = [ip for ip in items if ip.milestones is not None]
    for chunk in _chunks([ip.existing.pk for ip in replaced if ip.existing is not None]):
        Milestone.objects.filter(work_item_id__in=chunk).delete()
    Milestone.objects.bulk_create(
        [
            Milestone(
                work_item_id=ip.existing.pk,
                title=m.title,
                due_date=cast(datetime.date, m.due_date),  # checked: required
                share=m.share,
                done_on=m.done_on,
            )
            for ip in replaced
            if ip.existing is not None
            for m in (ip.milestones or [])
        ],
        batch_size=BATCH,
    )
    for ip in items:
        assert ip.existing is not None
        item = ip.existing
        goal_id = item.goal_id
        after = {
            **ip.data.content(),
            "milestones": [m.content() for m in ip.milestones]
            if ip.milestones is not None
            else befores[ip.ref].get("milestones", []),
        }
        path = ip.goal.department.path
        if ip.ref in new_refs:
            entries.append(
                audit.entry(
                    "goals.work_item.create",
                    item,
                    audit.diff({}, {"goal": goal_id, "code": ip.code, **after}),
                    scope_path=path,
                )
            )
        else:
            entries.append(
                audit.entry(
                    "goals.work_item.update",
                    item,
                    audit.diff(befores[ip.ref], after),
                    scope_path=path,
                )
            )
    return entries


# ---------------------------------------------------------------- entry point


def _sort_key(e: RowError) -> tuple[int, int, str]:
    order = {spec.sheet: i for i, spec in enumerate(GOAL_SPECS)}
    return (order.get(e.sheet, -1), e.line, e.column)


def import_goal_file(
    path: Path,
    *,
    actor: Actor,
    user: Any | None,
    progress: Callable[[int, int], None] | None = None,
    dry_run: bool = False,
) -> GoalImportOutcome:
    """Validate the whole file, then write it in one transaction, or write nothing."""
    parsed = read_table_file(Path(path), GOAL_SPECS, progress=progress)
    outcome = GoalImportOutcome(ok=False, dry_run=dry_run, rows=parsed.row_count)
    if parsed.errors:
        outcome.errors = parsed.errors
        return outcome
    if parsed.row_count == 0:
        outcome.errors = [RowError("", 0, "", "empty_file", _("The file has no data rows."))]
        return outcome
    state = _State(
        user=user,
        ps=planning_scope_for(user) if user is not None else None,
        today=timezone.localdate(),
    )
    rows = _Rows(
        goals=_clean_rows(parsed.tables.get(GOALS.kind), state.errors, EXPORT_ONLY),
        key_results=_clean_rows(parsed.tables.get(KEY_RESULTS.kind), state.errors),
        work_items=_clean_rows(parsed.tables.get(WORK_ITEMS.kind), state.errors),
        milestones=_clean_rows(parsed.tables.get(MILESTONES.kind), state.errors),
    )
    _duplicates(rows.goals, lambda r: _text(r, "code"), GOALS, "code", state.errors)
    goal_refs = {
        _text(r, key)
        for rs, keys in (
            (rows.goals, ("code", "parent")),
            (rows.key_results, ("goal",)),
            (rows.work_items, ("goal",)),
        )
        for r in rs
        for key in keys
        if _text(r, key)
    }
    item_refs = {_text(r, "code") for r in rows.work_items if _text(r, "code")} | {
        _text(r, "item") for r in rows.milestones if _text(r, "item")
    }
    _load(state, goal_refs, item_refs, rows)
    _plan_goal_rows(state, [r for r in rows.goals if r.ok])
    for r in rows.goals:
        if not r.ok and _text(r, "code"):
            state.failed_goal_refs.add(_text(r, "code"))
    _plan_key_results(state, rows.key_results)
    _validate_goals(state)
    _resolve_parents(state)
    _check_loops(state)
    _check_changes(state)
    _plan_item_rows(state, rows.work_items)
    _plan_milestones(state, rows.milestones)
    _validate_items(state)
    _check_item_changes(state)
    if state.errors:
        outcome.errors = sorted(set(state.errors), key=_sort_key)
        return outcome
    _count(state, outcome)
    if progress is not None:
        progress(parsed.row_count, parsed.row_count)
    if not dry_run and (
        any(p.existing is None or p.changed for p in state.goals.values())
        or any(p.changed for p in state.items.values())
    ):
        try:
            with transaction.atomic(durable=True):
                _write(state, actor)
        except (_Stale, IntegrityError):
            outcome.errors = [
                RowError(
                    "",
                    0,
                    "",
                    "concurrent_edit",
                    _(
                        "Someone changed these goals or work plans while the file was being "
                        "checked. Import the file again."
                    ),
                )
            ]
            return outcome
    outcome.ok = True
    return outcome
