"""Work plans: the tasks and projects under goals, their milestones, and department budgets.

Who may do what:

- whoever may plan for a goal (permissions.may_plan_for) plans its work: adds, re-plans and
  removes items and milestones, in any status of the goal but closed, since work plans are
  kept up to date while the work happens;
- the owner of an item (WorkItem.owner) updates its progress: percent complete, status
  (but not cancelling), actual dates, actual cost, milestones done; not its plan;
- a department's yearly budget is set by a performance administrator over it, or by a
  planner over its parent department.

Services are one durable transaction each, audited, with compare-and-set on WorkItem.version
(milestones count as part of their item: changing one moves the item's version) and on
DepartmentBudget.version. Selectors evaluate earned value with jixiao.engine.earned_value
in a constant number of queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import (
    DomainError,
    FieldError,
    concurrent_edit,
    forbidden,
    validation_failed,
)
from jixiao.engine import earned_value as engine
from jixiao.goals.models import (
    DepartmentBudget,
    Goal,
    GoalStatus,
    Milestone,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
)
from jixiao.goals.permissions import may_plan_for, planning_scope_for
from jixiao.goals.selectors import get_goal_for_user, goals_visible_to
from jixiao.org.access import scope_for
from jixiao.org.models import Department, Person

MIN_DATE = datetime.date(2000, 1, 1)
MAX_DATE = datetime.date(2099, 12, 31)
MAX_PLAN_DAYS = 3660  # ten years
MAX_MONEY = Decimal("1e12")  # 14 digits, 2 after the point
MAX_EFFORT_DAYS = Decimal("100000")
MAX_MILESTONES = 50
TIMELINE_LIMIT = 500

PLAN_FIELDS = (
    "kind",
    "title",
    "description",
    "owner_id",
    "planned_start",
    "planned_end",
    "planned_days",
    "budget",
)
PROGRESS_FIELDS = ("percent_complete", "status", "actual_start", "actual_end", "actual_cost")


# ---------------------------------------------------------------- permissions


def can_plan_work(user: Any, goal: Goal) -> bool:
    """Whether the user may plan the goal's work now (any status but closed)."""
    return goal.status != GoalStatus.CLOSED and may_plan_for(planning_scope_for(user), goal)


def owns_item(user: Any, item: WorkItem) -> bool:
    person_id = planning_scope_for(user).person_id
    return person_id is not None and item.owner_id == person_id


def can_update_progress(user: Any, item: WorkItem) -> bool:
    """Planners of the goal and the item's owner report progress while the goal is open."""
    return item.goal.status != GoalStatus.CLOSED and (
        can_plan_work(user, item.goal) or owns_item(user, item)
    )


def can_set_budget(user: Any, department: Department) -> bool:
    """A performance administrator over the department, or a planner over its parent."""
    ps = planning_scope_for(user)
    return ps.scope.covers_path(department.path, manage=True) or ps.plans_above(department.path)


def may_read_budgets(user: Any) -> bool:
    scope = scope_for(user)
    return scope.is_system_admin or bool(scope.read_paths)


# ---------------------------------------------------------------- access


def _item_query() -> QuerySet[WorkItem]:
    return WorkItem.objects.select_related(
        "goal", "goal__department", "goal__person", "goal__person__department", "owner"
    )


def get_work_item_for_user(user: Any, pk: int, *, write: bool = False) -> WorkItem:
    """The item if its goal is visible or the user owns it (else 404); with `write`, 403
    unless the user may at least update its progress."""
    item = _item_query().filter(pk=pk).first()
    if item is None:
        raise Http404
    if not owns_item(user, item) and not goals_visible_to(user).filter(pk=item.goal_id).exists():
        raise Http404
    if write and not can_update_progress(user, item):
        raise forbidden()
    return item


def get_milestone_for_user(user: Any, pk: int, *, write: bool = False) -> Milestone:
    milestone = Milestone.objects.filter(pk=pk).first()
    if milestone is None:
        raise Http404
    milestone.work_item = get_work_item_for_user(user, milestone.work_item_id, write=write)
    return milestone


def get_budget_department_for_user(user: Any, pk: int, *, write: bool = False) -> Department:
    """A department whose budget the user may read (404 otherwise); 403 to writes unless the
    user may set its budget."""
    scope = scope_for(user)
    dept = Department.objects.filter(scope.department_q(), pk=pk).first()
    if dept is None:
        raise Http404
    if write and not can_set_budget(user, dept):
        raise forbidden()
    return dept


# ---------------------------------------------------------------- input


@dataclass
class WorkItemData:
    title: str
    planned_start: datetime.date | None
    planned_end: datetime.date | None
    kind: str = WorkItemKind.TASK
    description: str = ""
    owner_id: int | None = None
    planned_days: Decimal | None = None
    budget: Decimal | None = None
    actual_start: datetime.date | None = None
    actual_end: datetime.date | None = None
    percent_complete: int = 0
    actual_cost: Decimal | None = None
    status: str = WorkItemStatus.NOT_STARTED

    @classmethod
    def of(cls, item: WorkItem) -> WorkItemData:
        return cls(
            kind=item.kind,
            title=item.title,
            description=item.description,
            owner_id=item.owner_id,
            planned_start=item.planned_start,
            planned_end=item.planned_end,
            planned_days=item.planned_days,
            budget=item.budget,
            actual_start=item.actual_start,
            actual_end=item.actual_end,
            percent_complete=item.percent_complete,
            actual_cost=item.actual_cost,
            status=item.status,
        )

    def content(self) -> dict[str, Any]:
        out = {name: audit.plain(getattr(self, name)) for name in (*PLAN_FIELDS, *PROGRESS_FIELDS)}
        out["owner"] = out.pop("owner_id")
        return out

    def changed_plan(self, other: WorkItemData) -> list[str]:
        """The plan fields that differ from `other` (after both were normalized)."""
        return [
            name
            for name in PLAN_FIELDS
            if audit.plain(getattr(self, name)) != audit.plain(getattr(other, name))
        ]


@dataclass
class MilestoneData:
    title: str
    due_date: datetime.date | None
    share: Decimal = Decimal(0)
    done_on: datetime.date | None = None

    @classmethod
    def of(cls, m: Milestone) -> MilestoneData:
        return cls(title=m.title, due_date=m.due_date, share=m.share, done_on=m.done_on)

    def content(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "due_date": audit.plain(self.due_date),
            "share": audit.plain(self.share),
            "done_on": audit.plain(self.done_on),
        }


# ---------------------------------------------------------------- validation


def _check_date(
    errors: list[FieldError], name: str, value: datetime.date | None, *, required: bool = False
) -> datetime.date | None:
    if value is None:
        if required:
            errors.append(FieldError(name, "required", _("Enter a date.")))
        return None
    if not MIN_DATE <= value <= MAX_DATE:
        errors.append(FieldError(name, "out_of_range", _("Enter a date between 2000 and 2099.")))
        return None
    return value


def _check_past(
    errors: list[FieldError], name: str, value: datetime.date | None, today: datetime.date
) -> None:
    if value is not None and value > today:
        errors.append(
            FieldError(name, "in_future", _("An actual date cannot be later than today."))
        )


def _check_money(
    errors: list[FieldError],
    name: str,
    value: Any,
    *,
    limit: Decimal = MAX_MONEY,
    places: str = "0.01",
) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        number = Decimal("NaN")
    if not number.is_finite():
        errors.append(FieldError(name, "invalid_number", _("Enter a number.")))
        return None
    if number < 0:
        errors.append(FieldError(name, "negative", _("Enter a number of 0 or more.")))
        return None
    if number >= limit:
        errors.append(FieldError(name, "too_large", _("This number is too large.")))
        return None
    return number.quantize(Decimal(places))


def _normalize_status(data: WorkItemData, before: WorkItemData | None) -> None:
    """Keep status and percent consistent: done means 100%, 100% means done, progress means
    started. Lowering the percent of a done item reopens it."""
    if data.status == WorkItemStatus.DONE and data.percent_complete < 100:
        if before is not None and before.status == WorkItemStatus.DONE:
            data.status = WorkItemStatus.IN_PROGRESS
        else:
            data.percent_complete = 100
    if data.status != WorkItemStatus.CANCELLED:
        if data.percent_complete >= 100:
            data.status = WorkItemStatus.DONE
        elif data.percent_complete > 0 and data.status == WorkItemStatus.NOT_STARTED:
            data.status = WorkItemStatus.IN_PROGRESS


def owner_candidates(goal: Goal, *, keep: int | None = None) -> QuerySet[Person]:
    """Who may own an item of the goal: active people of the goal's department subtree, and
    the goal's person (and `keep`, an item's current owner, so that a form shows them)."""
    q = Q(department__path__startswith=goal.department.path, is_active=True)
    if goal.person_id is not None:
        q |= Q(pk=goal.person_id, is_active=True)
    if keep is not None:
        q |= Q(pk=keep)
    return Person.objects.filter(q).select_related("department").order_by("employee_no", "id")


def validate_work_item(
    data: WorkItemData,
    *,
    goal: Goal,
    existing: WorkItem | None,
    today: datetime.date | None = None,
) -> list[FieldError]:
    """Every problem of the data, each on its field; normalizes the data in place."""
    today = today or timezone.localdate()
    errors: list[FieldError] = []
    data.title = (data.title or "").strip()
    data.description = (data.description or "").strip()
    if not data.title:
        errors.append(FieldError("title", "required", _("Enter a title.")))
    elif len(data.title) > 200:
        errors.append(FieldError("title", "too_long", _("At most 200 characters.")))
    if len(data.description) > 5000:
        errors.append(FieldError("description", "too_long", _("At most 5,000 characters.")))
    if data.kind not in WorkItemKind.values:
        errors.append(FieldError("kind", "invalid_choice", _("Choose task or project.")))
    if data.status not in WorkItemStatus.values:
        errors.append(FieldError("status", "invalid_choice", _("Choose a status.")))
    start = _check_date(errors, "planned_start", data.planned_start, required=True)
    end = _check_date(errors, "planned_end", data.planned_end, required=True)
    if start is not None and end is not None:
        if end < start:
            errors.append(
                FieldError(
                    "planned_end", "before_start", _("The planned end is before the planned start.")
                )
            )
        elif (end - start).days > MAX_PLAN_DAYS:
            errors.append(
                FieldError("planned_end", "too_long", _("A work item spans at most ten years."))
            )
        elif existing is not None:
            outside = [m.title for m in existing.milestones.all() if not start <= m.due_date <= end]
            if outside:
                errors.append(
                    FieldError(
                        "planned_end",
                        "milestones_outside",
                        _("These milestones would fall outside the plan: %(names)s.")
                        % {"names": "、".join(outside)},
                    )
                )
    a_start = _check_date(errors, "actual_start", data.actual_start)
    a_end = _check_date(errors, "actual_end", data.actual_end)
    _check_past(errors, "actual_start", a_start, today)
    _check_past(errors, "actual_end", a_end, today)
    if a_end is not None and a_start is None:
        errors.append(FieldError("actual_start", "required", _("Enter the actual start too.")))
    if a_start is not None and a_end is not None and a_end < a_start:
        errors.append(
            FieldError(
                "actual_end", "before_start", _("The actual end is before the actual start.")
            )
        )
    try:
        percent = int(data.percent_complete)
    except (TypeError, ValueError):
        percent = -1
    if not 0 <= percent <= 100:
        errors.append(
            FieldError("percent_complete", "out_of_range", _("Enter a percentage from 0 to 100."))
        )
    else:
        data.percent_complete = percent
    data.planned_days = _check_money(
        errors, "planned_days", data.planned_days, limit=MAX_EFFORT_DAYS, places="0.1"
    )
    data.budget = _check_money(errors, "budget", data.budget)
    data.actual_cost = _check_money(errors, "actual_cost", data.actual_cost)
    owner_changed = existing is None or existing.owner_id != data.owner_id
    if (
        data.owner_id is not None
        and owner_changed
        and not owner_candidates(goal).filter(pk=data.owner_id).exists()
    ):
        errors.append(
            FieldError(
                "owner",
                "owner_outside",
                _("The owner must be an active person in the goal's department or below it."),
            )
        )
    if not errors:
        _normalize_status(data, WorkItemData.of(existing) if existing is not None else None)
    return errors


def validate_milestone(
    data: MilestoneData,
    *,
    item: WorkItem,
    existing: Milestone | None,
    today: datetime.date | None = None,
) -> list[FieldError]:
    today = today or timezone.localdate()
    errors: list[FieldError] = []
    data.title = (data.title or "").strip()
    if not data.title:
        errors.append(FieldError("title", "required", _("Name the milestone.")))
    elif len(data.title) > 200:
        errors.append(FieldError("title", "too_long", _("At most 200 characters.")))
    due = _check_date(errors, "due_date", data.due_date, required=True)
    if due is not None and not item.planned_start <= due <= item.planned_end:
        errors.append(
            FieldError(
                "due_date",
                "outside_plan",
                _("A milestone falls within its item's plan (%(start)s to %(end)s).")
                % {"start": item.planned_start.isoformat(), "end": item.planned_end.isoformat()},
            )
        )
    done = _check_date(errors, "done_on", data.done_on)
    _check_past(errors, "done_on", done, today)
    share = _check_money(errors, "share", data.share, limit=Decimal(1000))
    if share is not None and share > 100:
        errors.append(FieldError("share", "out_of_range", _("Enter a percentage from 0 to 100.")))
    elif share is not None:
        data.share = share
        others = [m for m in item.milestones.all() if existing is None or m.pk != existing.pk]
        if existing is None and len(others) >= MAX_MILESTONES:
            errors.append(
                FieldError(
                    None,
                    "too_many",
                    _("An item has at most %(n)s milestones.") % {"n": MAX_MILESTONES},
                )
            )
        taken = sum((m.share for m in others), Decimal(0))
        if taken + share > 100:
            errors.append(
                FieldError(
                    "share",
                    "shares_over_100",
                    _("The milestones' shares would add up to %(total)s%%, more than 100%%.")
                    % {"total": format((taken + share).normalize(), "f")},
                )
            )
    elif data.share is None:
        data.share = Decimal(0)
    return errors


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise validation_failed(errors)


# ---------------------------------------------------------------- services


def _goal_closed() -> DomainError:
    return DomainError(
        "goal_closed", _("The goal is closed; its work plan no longer changes."), status=409
    )


def _planning_goal(user: Any, goal_id: int) -> Goal:
    goal = get_goal_for_user(user, goal_id)
    if not may_plan_for(planning_scope_for(user), goal):
        raise forbidden()
    if goal.status == GoalStatus.CLOSED:
        raise _goal_closed()
    return goal


def _writable_item(user: Any, item_id: int) -> WorkItem:
    """The item for a write: 404 outside scope, 403 to readers, 409 once the goal is closed."""
    item = get_work_item_for_user(user, item_id)
    if not (may_plan_for(planning_scope_for(user), item.goal) or owns_item(user, item)):
        raise forbidden()
    if item.goal.status == GoalStatus.CLOSED:
        raise _goal_closed()
    return item


def _require_plan_rights(user: Any, item: WorkItem) -> None:
    if not can_plan_work(user, item.goal):
        raise DomainError(
            "forbidden",
            _("You may report the progress of this item, but only its planners change its plan."),
            status=403,
        )


def _bump(item: WorkItem, expected_version: int, **values: Any) -> None:
    updated = WorkItem.objects.filter(pk=item.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now(), **values
    )
    if not updated:
        raise concurrent_edit()


def _scope(goal: Goal) -> str:
    return goal.department.path


@transaction.atomic(durable=True)
def work_item_create(
    *, actor: Actor, user: Any, goal_id: int, data: WorkItemData, reason: str = ""
) -> WorkItem:
    goal = _planning_goal(user, goal_id)
    _raise_if(validate_work_item(data, goal=goal, existing=None))
    assert data.planned_start is not None and data.planned_end is not None
    position = (goal.work_items.aggregate(p=Max("position"))["p"] or 0) + 1
    item = WorkItem.objects.create(
        goal=goal,
        kind=data.kind,
        title=data.title,
        description=data.description,
        owner_id=data.owner_id,
        planned_start=data.planned_start,
        planned_end=data.planned_end,
        planned_days=data.planned_days,
        budget=data.budget,
        actual_start=data.actual_start,
        actual_end=data.actual_end,
        percent_complete=data.percent_complete,
        actual_cost=data.actual_cost,
        status=data.status,
        position=position,
    )
    audit.record(
        actor,
        "goals.work_item.create",
        item,
        audit.diff({}, {"goal": goal.pk, **data.content()}),
        reason,
        scope_path=_scope(goal),
    )
    return item


@transaction.atomic(durable=True)
def work_item_update(
    *,
    actor: Actor,
    user: Any,
    item_id: int,
    expected_version: int,
    data: WorkItemData,
    reason: str = "",
) -> WorkItem:
    """Change an item. Its owner (when not also a planner) may change only its progress:
    percent, status other than cancelled, actual dates and actual cost."""
    item = _writable_item(user, item_id)
    before = WorkItemData.of(item)
    _raise_if(validate_work_item(data, goal=item.goal, existing=item))
    cancelling = WorkItemStatus.CANCELLED in (data.status, before.status) and (
        data.status != before.status
    )
    if data.changed_plan(before) or cancelling:
        _require_plan_rights(user, item)
    changes = audit.diff(before.content(), data.content())
    if not changes:
        if item.version != expected_version:
            raise concurrent_edit()
        return item
    _bump(
        item,
        expected_version,
        kind=data.kind,
        title=data.title,
        description=data.description,
        owner_id=data.owner_id,
        planned_start=data.planned_start,
        planned_end=data.planned_end,
        planned_days=data.planned_days,
        budget=data.budget,
        actual_start=data.actual_start,
        actual_end=data.actual_end,
        percent_complete=data.percent_complete,
        actual_cost=data.actual_cost,
        status=data.status,
    )
    audit.record(
        actor, "goals.work_item.update", item, changes, reason, scope_path=_scope(item.goal)
    )
    item.refresh_from_db()
    return item


@transaction.atomic(durable=True)
def work_item_delete(
    *, actor: Actor, user: Any, item_id: int, expected_version: int, reason: str = ""
) -> None:
    item = _writable_item(user, item_id)
    _require_plan_rights(user, item)
    before = {
        "goal": item.goal_id,
        **WorkItemData.of(item).content(),
        "milestones": [MilestoneData.of(m).content() for m in item.milestones.all()],
    }
    deleted = WorkItem.objects.filter(pk=item.pk, version=expected_version).delete()[0]
    if not deleted:
        raise concurrent_edit()
    item.pk = item_id
    audit.record(
        actor,
        "goals.work_item.delete",
        item,
        audit.diff(before, {}),
        reason,
        scope_path=_scope(item.goal),
    )


def _milestone_changes(before: MilestoneData | None, after: MilestoneData | None) -> audit.Changes:
    return {
        "milestone": [
            before.content() if before is not None else None,
            after.content() if after is not None else None,
        ]
    }


@transaction.atomic(durable=True)
def milestone_add(
    *,
    actor: Actor,
    user: Any,
    item_id: int,
    expected_version: int,
    data: MilestoneData,
    reason: str = "",
) -> Milestone:
    item = _writable_item(user, item_id)
    _require_plan_rights(user, item)
    _raise_if(validate_milestone(data, item=item, existing=None))
    assert data.due_date is not None
    _bump(item, expected_version)
    milestone = Milestone.objects.create(
        work_item=item,
        title=data.title,
        due_date=data.due_date,
        share=data.share,
        done_on=data.done_on,
    )
    audit.record(
        actor,
        "goals.milestone.add",
        item,
        _milestone_changes(None, data),
        reason,
        scope_path=_scope(item.goal),
    )
    return milestone


@transaction.atomic(durable=True)
def milestone_update(
    *,
    actor: Actor,
    user: Any,
    milestone_id: int,
    expected_version: int,
    data: MilestoneData,
    reason: str = "",
) -> Milestone:
    """Re-plan a milestone (planners). Its owner marks it done with milestone_complete."""
    milestone = get_milestone_for_user(user, milestone_id)
    item = _writable_item(user, milestone.work_item_id)
    before = MilestoneData.of(milestone)
    _raise_if(validate_milestone(data, item=item, existing=milestone))
    plan_changed = replace(data, done_on=before.done_on).content() != before.content()
    if plan_changed:
        _require_plan_rights(user, item)
    if data.content() == before.content():
        if item.version != expected_version:
            raise concurrent_edit()
        return milestone
    _bump(item, expected_version)
    Milestone.objects.filter(pk=milestone.pk).update(
        title=data.title, due_date=data.due_date, share=data.share, done_on=data.done_on
    )
    audit.record(
        actor,
        "goals.milestone.update",
        item,
        _milestone_changes(before, data),
        reason,
        scope_path=_scope(item.goal),
    )
    milestone.refresh_from_db()
    return milestone


@transaction.atomic(durable=True)
def milestone_complete(
    *,
    actor: Actor,
    user: Any,
    milestone_id: int,
    expected_version: int,
    done: bool = True,
    done_on: datetime.date | None = None,
    reason: str = "",
) -> Milestone:
    """Mark a milestone done (on `done_on`, today by default) or not done again."""
    milestone = get_milestone_for_user(user, milestone_id)
    item = _writable_item(user, milestone.work_item_id)
    before = MilestoneData.of(milestone)
    today = timezone.localdate()
    data = replace(before, done_on=(done_on or today) if done else None)
    errors: list[FieldError] = []
    _check_past(errors, "done_on", _check_date(errors, "done_on", data.done_on), today)
    _raise_if(errors)
    if data.done_on == before.done_on:
        if item.version != expected_version:
            raise concurrent_edit()
        return milestone
    _bump(item, expected_version)
    Milestone.objects.filter(pk=milestone.pk).update(done_on=data.done_on)
    audit.record(
        actor,
        "goals.milestone.complete" if done else "goals.milestone.reopen",
        item,
        _milestone_changes(before, data),
        reason,
        scope_path=_scope(item.goal),
    )
    milestone.done_on = data.done_on
    return milestone


@transaction.atomic(durable=True)
def milestone_remove(
    *, actor: Actor, user: Any, milestone_id: int, expected_version: int, reason: str = ""
) -> None:
    milestone = get_milestone_for_user(user, milestone_id)
    item = _writable_item(user, milestone.work_item_id)
    _require_plan_rights(user, item)
    before = MilestoneData.of(milestone)
    _bump(item, expected_version)
    Milestone.objects.filter(pk=milestone.pk).delete()
    audit.record(
        actor,
        "goals.milestone.remove",
        item,
        _milestone_changes(before, None),
        reason,
        scope_path=_scope(item.goal),
    )


@transaction.atomic(durable=True)
def department_budget_set(
    *,
    actor: Actor,
    user: Any,
    department_id: int,
    year: int,
    amount: Decimal | None,
    note: str = "",
    expected_version: int | None = None,
    reason: str = "",
) -> DepartmentBudget:
    """Set a department's budget for a year. `expected_version` is the version read (None
    or 0 when there was no budget yet); a stale one is a concurrent edit."""
    dept = get_budget_department_for_user(user, department_id, write=True)
    errors: list[FieldError] = []
    if not MIN_DATE.year <= year <= MAX_DATE.year:
        errors.append(FieldError("year", "out_of_range", _("Enter a year from 2000 to 2099.")))
    if amount is None:
        errors.append(FieldError("amount", "required", _("Enter the budget.")))
    checked = _check_money(errors, "amount", amount)
    note = (note or "").strip()
    if len(note) > 255:
        errors.append(FieldError("note", "too_long", _("At most 255 characters.")))
    _raise_if(errors)
    assert checked is not None
    existing = DepartmentBudget.objects.filter(department=dept, year=year).first()
    if existing is None:
        if expected_version:
            raise concurrent_edit()
        try:
            with transaction.atomic():
                budget = DepartmentBudget.objects.create(
                    department=dept, year=year, amount=checked, note=note
                )
        except IntegrityError as exc:
            raise concurrent_edit() from exc
        audit.record(
            actor,
            "goals.department_budget.set",
            budget,
            audit.diff({}, {"department": dept.pk, "year": year, "amount": checked, "note": note}),
            reason,
            scope_path=dept.path,
        )
        return budget
    before = {"amount": existing.amount, "note": existing.note}
    after = {"amount": checked, "note": note}
    changes = audit.diff(before, after)
    if expected_version != existing.version:
        raise concurrent_edit()
    if not changes:
        return existing
    updated = DepartmentBudget.objects.filter(pk=existing.pk, version=existing.version).update(
        amount=checked, note=note, version=F("version") + 1
    )
    if not updated:
        raise concurrent_edit()
    audit.record(
        actor,
        "goals.department_budget.set",
        existing,
        changes,
        reason,
        scope_path=dept.path,
    )
    existing.refresh_from_db()
    return existing


# ---------------------------------------------------------------- selectors


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _opt(value: Any) -> float | None:
    v = float(value)
    return v if np.isfinite(v) else None


@dataclass
class ItemRow:
    """One item with its earned value at the status date (None where undefined)."""

    item: WorkItem
    milestones: list[Milestone]
    planned: float
    actual: float
    pv: float | None
    ev: float | None
    ac: float | None
    sv: float | None
    cv: float | None
    spi: float | None
    cpi: float | None
    eac: float | None
    overdue: bool
    over_budget: bool

    @property
    def planned_percent(self) -> float:
        return round(self.planned * 100, 1)

    @property
    def actual_percent(self) -> float:
        return round(self.actual * 100, 1)

    @property
    def behind(self) -> bool:
        return self.actual + 1e-9 < self.planned


@dataclass
class Totals:
    items: int = 0
    budget: float = 0.0
    pv: float = 0.0
    ev: float = 0.0
    ac: float | None = None
    spi: float | None = None
    cpi: float | None = None
    planned: float | None = None
    actual: float | None = None
    overdue: int = 0
    over_budget: int = 0

    @property
    def planned_percent(self) -> float | None:
        return None if self.planned is None else round(self.planned * 100, 1)

    @property
    def actual_percent(self) -> float | None:
        return None if self.actual is None else round(self.actual * 100, 1)


def _milestones_of(item: WorkItem) -> list[Milestone]:
    return list(item.milestones.all())


def evaluate(
    items: Sequence[WorkItem],
    today: datetime.date,
    groups: Sequence[int] | None = None,
    n_groups: int = 1,
) -> tuple[list[ItemRow], list[Totals]]:
    """Earned value of the items (milestones prefetched) and the totals per group (all items
    in group 0 by default)."""
    ms_lists = [_milestones_of(i) for i in items]
    ms_item = [k for k, ms in enumerate(ms_lists) for _ in ms]
    ms_all = [m for ms in ms_lists for m in ms]
    arrays = engine.WorkItems.of(
        planned_start=engine.day_numbers([i.planned_start for i in items]),
        planned_end=engine.day_numbers([i.planned_end for i in items]),
        budget=[_float(i.budget) for i in items],
        percent=[i.percent_complete for i in items],
        actual_cost=[_float(i.actual_cost) for i in items],
        done=[i.status == WorkItemStatus.DONE for i in items],
        cancelled=[i.status == WorkItemStatus.CANCELLED for i in items],
        actual_start=engine.day_numbers([i.actual_start for i in items]),
    )
    milestones = engine.Milestones.of(
        ms_item,
        engine.day_numbers([m.due_date for m in ms_all]),
        [float(m.share) for m in ms_all],
    )
    ev = engine.earned_value(arrays, float(today.toordinal()), milestones)
    rows = [
        ItemRow(
            item=item,
            milestones=ms_lists[k],
            planned=float(ev.planned[k]),
            actual=float(ev.actual[k]),
            pv=_opt(ev.pv[k]),
            ev=_opt(ev.ev[k]),
            ac=_opt(ev.ac[k]),
            sv=_opt(ev.sv[k]),
            cv=_opt(ev.cv[k]),
            spi=_opt(ev.spi[k]),
            cpi=_opt(ev.cpi[k]),
            eac=_opt(ev.eac[k]),
            overdue=bool(ev.overdue[k]),
            over_budget=bool(ev.over_budget[k]),
        )
        for k, item in enumerate(items)
    ]
    group = list(groups) if groups is not None else [0] * len(items)
    r = engine.roll_up(ev, arrays, np.asarray(group, dtype=np.int64), n_groups)
    totals = [
        Totals(
            items=int(r.items[g]),
            budget=float(r.budget[g]),
            pv=float(r.pv[g]),
            ev=float(r.ev[g]),
            ac=_opt(r.ac[g]),
            spi=_opt(r.spi[g]),
            cpi=_opt(r.cpi[g]),
            planned=_opt(r.planned[g]),
            actual=_opt(r.actual[g]),
            overdue=int(r.overdue[g]),
            over_budget=int(r.over_budget[g]),
        )
        for g in range(n_groups)
    ]
    return rows, totals


@dataclass
class WorkPlan:
    """A goal's work plan at a date: iterable rows and their totals."""

    goal: Goal
    today: datetime.date
    rows: list[ItemRow] = field(default_factory=list)
    total: Totals = field(default_factory=Totals)

    def __iter__(self) -> Iterator[ItemRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _with_milestones(qs: QuerySet[WorkItem]) -> QuerySet[WorkItem]:
    return qs.prefetch_related(
        Prefetch("milestones", queryset=Milestone.objects.order_by("due_date", "id"))
    )


def goal_work_plan(goal: Goal, *, today: datetime.date | None = None) -> WorkPlan:
    """The goal's items with milestones and earned value, and the plan's totals (2 queries)."""
    today = today or timezone.localdate()
    items = list(
        _with_milestones(
            WorkItem.objects.filter(goal=goal)
            .select_related("owner")
            .order_by("planned_start", "position", "id")
        )
    )
    for item in items:
        item.goal = goal
    rows, totals = evaluate(items, today)
    return WorkPlan(goal=goal, today=today, rows=rows, total=totals[0])


def goal_work_items_for_display(goal: Goal) -> WorkPlan:
    """What the goal page's partial goals/_work_plan.html shows as `work_items`."""
    return goal_work_plan(goal)


def can_edit_work_plan(user: Any, goal: Goal) -> bool:
    """The partial's `can_edit_work`: the same as can_plan_work."""
    return can_plan_work(user, goal)


def chart_data(
    rows: Sequence[ItemRow], today: datetime.date, urls: dict[int, str]
) -> dict[str, Any]:
    """What the timeline chart draws: one bar per item, milestones, today."""
    out = []
    for r in rows:
        i = r.item
        out.append(
            {
                "id": i.pk,
                "title": i.title,
                "owner": i.owner.name if i.owner is not None else "",
                "start": i.planned_start.isoformat(),
                "end": i.planned_end.isoformat(),
                "actual_start": i.actual_start.isoformat() if i.actual_start else None,
                "actual_end": i.actual_end.isoformat() if i.actual_end else None,
                "percent": i.percent_complete,
                "planned": r.planned_percent,
                "status": i.status,
                "overdue": r.overdue,
                "over_budget": r.over_budget,
                "spi": None if r.spi is None else round(r.spi, 2),
                "cpi": None if r.cpi is None else round(r.cpi, 2),
                "url": urls.get(i.pk, ""),
                "milestones": [
                    {
                        "title": m.title,
                        "date": m.due_date.isoformat(),
                        "done": m.done_on is not None,
                    }
                    for m in r.milestones
                ],
            }
        )
    return {"today": today.isoformat(), "items": out}


@dataclass
class Timeline:
    department: Department
    year: int
    today: datetime.date
    rows: list[ItemRow]
    total: Totals
    truncated: bool
    include_sub: bool


def department_timeline(
    user: Any,
    department: Department,
    year: int,
    *,
    today: datetime.date | None = None,
    include_sub: bool = False,
    limit: int = TIMELINE_LIMIT,
) -> Timeline:
    """The work items of the department's goals for the year that the user may see: its own
    goals and its people's (with `include_sub`, those of its sub-departments too). A
    constant number of queries, however many items."""
    today = today or timezone.localdate()
    goals = goals_visible_to(user).filter(period_start__year=year)
    if include_sub:
        goals = goals.filter(department__path__startswith=department.path)
    else:
        goals = goals.filter(department_id=department.pk)
    items = list(
        _with_milestones(
            WorkItem.objects.filter(goal_id__in=goals.values("pk"))
            .select_related("goal", "goal__department", "goal__person", "owner")
            .order_by("planned_start", "planned_end", "id")
        )[: limit + 1]
    )
    truncated = len(items) > limit
    items = items[:limit]
    rows, totals = evaluate(items, today)
    return Timeline(
        department=department,
        year=year,
        today=today,
        rows=rows,
        total=totals[0],
        truncated=truncated,
        include_sub=include_sub,
    )


def budget_departments(user: Any) -> QuerySet[Department]:
    """The active departments whose budgets the user reads (through their read grants)."""
    scope = scope_for(user)
    return Department.objects.filter(scope.department_q(), is_active=True).order_by("path")


@dataclass
class BudgetRow:
    department: Department
    budget: DepartmentBudget | None
    planned: Decimal
    actual: Decimal
    items: int
    can_edit: bool

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget.amount - self.planned

    @property
    def over(self) -> bool:
        return self.budget is not None and self.planned > self.budget.amount

    @property
    def spent_over(self) -> bool:
        return self.budget is not None and self.actual > self.budget.amount

    @property
    def used_percent(self) -> float | None:
        if self.budget is None or self.budget.amount <= 0:
            return None
        return round(float(self.planned * 100 / self.budget.amount), 1)


def department_budget_rows(
    user: Any, departments: Sequence[Department], year: int
) -> list[BudgetRow]:
    """Budget, planned cost (budgets of the year's work items) and actual cost per department,
    counted as the budget conflict check counts them: the items under the department's own
    goals and its people's, cancelled items left out (2 queries)."""
    ids = [d.pk for d in departments]
    budgets = {
        b.department_id: b
        for b in DepartmentBudget.objects.filter(department_id__in=ids, year=year)
    }
    sums: dict[int, dict[str, Any]] = {
        row["goal__department_id"]: dict(row)
        for row in WorkItem.objects.filter(
            goal__department_id__in=ids, goal__period_start__year=year
        )
        .exclude(status=WorkItemStatus.CANCELLED)
        .values("goal__department_id")
        .annotate(planned=Sum("budget"), actual=Sum("actual_cost"), n=Count("id"))
    }
    out = []
    for d in departments:
        s = sums.get(d.pk, {})
        out.append(
            BudgetRow(
                department=d,
                budget=budgets.get(d.pk),
                planned=s.get("planned") or Decimal(0),
                actual=s.get("actual") or Decimal(0),
                items=s.get("n") or 0,
                can_edit=can_set_budget(user, d),
            )
        )
    return out
