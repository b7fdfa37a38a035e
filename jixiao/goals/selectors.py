"""Reads of goals, key results, work plans and check-ins. Each is scoped and owns its joins."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from jixiao.core.errors import forbidden
from jixiao.core.models import AuditRecord
from jixiao.goals.models import (
    ChangeRequest,
    ChangeRequestStatus,
    CheckIn,
    CheckInComment,
    Goal,
    GoalLevel,
    GoalStatus,
    KeyResult,
    WorkItem,
)
from jixiao.goals.periods import Period, parse_period
from jixiao.goals.permissions import (
    can_edit_goal,
    has_approval_authority,
    is_own_goal,
    planning_scope_for,
)
from jixiao.org.models import Department, Person


def goals_visible_to(user: Any) -> QuerySet[Goal]:
    """Goals the user may read: inside their read grants; their own; their reports'; and the
    unit and department goals of the departments above them (so they can align to them)."""
    qs = Goal.objects.select_related("department", "person", "person__department")
    if user is None or not user.is_authenticated:
        return qs.none()
    ps = planning_scope_for(user)
    scope = ps.scope
    if scope.is_system_admin:
        return qs
    q = scope.department_q("department__")
    if scope.person_id is not None:
        q |= Q(person_id=scope.person_id) | Q(person__superior_id=scope.person_id)
    if scope.outside_report_ids:
        q |= Q(person_id__in=scope.outside_report_ids)
    if ps.chain_department_ids:
        q |= Q(
            level__in=[GoalLevel.UNIT, GoalLevel.DEPARTMENT],
            department_id__in=ps.chain_department_ids,
        )
    return qs.filter(q)


def get_goal_for_user(user: Any, pk: int, *, write: bool = False) -> Goal:
    """The goal if visible (else 404); with `write`, 403 unless the user may edit it now."""
    goal = goals_visible_to(user).filter(pk=pk).first()
    if goal is None:
        raise Http404
    if write and not can_edit_goal(user, goal):
        raise forbidden()
    return goal


def goal_key_results(goal: Goal) -> list[KeyResult]:
    return list(goal.key_results.select_related("indicator").order_by("position", "id"))


def goal_ancestors(goal: Goal) -> list[Goal]:
    """The alignment chain above a goal, nearest first (one query per level, at most 12)."""
    chain: list[Goal] = []
    seen = {goal.pk}
    parent_id = goal.parent_id
    while parent_id is not None and parent_id not in seen and len(chain) < 12:
        parent = Goal.objects.select_related("department", "person").filter(pk=parent_id).first()
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.pk)
        parent_id = parent.parent_id
    return chain


def goal_children(user: Any, goal: Goal) -> list[Goal]:
    return list(
        goals_visible_to(user)
        .filter(parent_id=goal.pk)
        .order_by("level", "department__path", "person__employee_no", "id")
    )


def goal_history(goal: Goal) -> QuerySet[AuditRecord]:
    """The audit records of the goal (its workflow, edits, corrections), newest first."""
    return AuditRecord.objects.filter(object_type="goals.goal", object_id=str(goal.pk)).order_by(
        "-at", "-id"
    )


def goal_checkins(goal: Goal) -> QuerySet[CheckIn]:
    return goal.checkins.prefetch_related(
        "values",
        Prefetch("comments", queryset=CheckInComment.objects.order_by("at", "id")),
    ).order_by("-at", "-id")


def goal_work_items(goal: Goal) -> QuerySet[WorkItem]:
    return goal.work_items.select_related("owner").prefetch_related("milestones")


def pending_change_request(goal: Goal) -> ChangeRequest | None:
    return goal.change_requests.filter(status=ChangeRequestStatus.PENDING).first()


# ---------------------------------------------------------------- lists


@dataclass(frozen=True)
class GoalFilter:
    q: str = ""
    period: str = ""
    level: str = ""
    status: str = ""
    department_id: int | None = None
    include_subdepartments: bool = True
    person_id: int | None = None


def goals_filtered(user: Any, f: GoalFilter) -> QuerySet[Goal]:
    qs = goals_visible_to(user)
    if f.q.strip():
        term = f.q.strip()
        qs = qs.filter(
            Q(title__icontains=term)
            | Q(person__name__icontains=term)
            | Q(person__employee_no__icontains=term)
        )
    if f.period:
        qs = qs.filter(period=f.period)
    if f.level:
        qs = qs.filter(level=f.level)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.department_id:
        dept = Department.objects.filter(pk=f.department_id).only("path").first()
        if dept is None:
            return qs.none()
        if f.include_subdepartments:
            qs = qs.filter(department__path__startswith=dept.path)
        else:
            qs = qs.filter(department_id=dept.pk)
    if f.person_id:
        qs = qs.filter(person_id=f.person_id)
    return qs.order_by("period_start", "department__path", "level", "person__employee_no", "id")


def my_goals(user: Any, period: str | None = None) -> QuerySet[Goal]:
    """The signed-in person's own goals (all periods of the year of `period`, or all)."""
    ps = planning_scope_for(user)
    if ps.person_id is None:
        return Goal.objects.none()
    qs = Goal.objects.filter(person_id=ps.person_id).select_related(
        "department", "person", "parent"
    )
    p = parse_period(period) if period else None
    if p is not None:
        qs = qs.filter(period_start__lte=p.end, period_end__gte=p.start)
    return qs.prefetch_related(
        Prefetch("key_results", queryset=KeyResult.objects.order_by("position", "id"))
    ).order_by("period_start", "-weight", "id")


@dataclass
class ApprovalQueue:
    goals: list[Goal] = field(default_factory=list)
    change_requests: list[ChangeRequest] = field(default_factory=list)
    to_close: list[Goal] = field(default_factory=list)


def approval_queue(user: Any, *, today: datetime.date, limit: int = 200) -> ApprovalQueue:
    """What awaits the user: submitted goals to approve, change requests to decide, and goals
    whose period ended that still need an explicit outcome."""
    ps = planning_scope_for(user)
    visible = goals_visible_to(user)
    submitted = [
        g
        for g in visible.filter(status=GoalStatus.SUBMITTED).order_by("submitted_at", "id")[
            : limit * 2
        ]
        if has_approval_authority(ps, g) and not is_own_goal(ps, g, user)
    ][:limit]
    requests = [
        cr
        for cr in ChangeRequest.objects.filter(status=ChangeRequestStatus.PENDING, goal__in=visible)
        .select_related("goal", "goal__department", "goal__person", "goal__person__department")
        .order_by("requested_at")[: limit * 2]
        if cr.requested_by_id != getattr(user, "pk", None)
        and has_approval_authority(ps, cr.goal)
        and not (ps.person_id is not None and cr.goal.person_id == ps.person_id)
    ][:limit]
    to_close = [
        g
        for g in visible.filter(
            status__in=[GoalStatus.APPROVED, GoalStatus.LOCKED], period_end__lt=today
        ).order_by("period_end", "id")[: limit * 2]
        if has_approval_authority(ps, g) or ps.plans_units(g.department.path)
    ][:limit]
    return ApprovalQueue(submitted, requests, to_close)


# ---------------------------------------------------------------- weights


def owner_filter(goal: Goal) -> Q:
    """The goals sharing this goal's owner and period (whose weights must sum to 100%)."""
    if goal.level == GoalLevel.PERSON:
        return Q(level=GoalLevel.PERSON, person_id=goal.person_id, period=goal.period)
    return Q(level=goal.level, department_id=goal.department_id, period=goal.period)


def owner_weight_total(goal: Goal) -> float:
    total = Goal.objects.filter(owner_filter(goal)).aggregate(t=Sum("weight"))["t"]
    return float(total or 0)


# ---------------------------------------------------------------- people and periods


def person_for_user(user: Any) -> Person | None:
    ps = planning_scope_for(user)
    if ps.person_id is None:
        return None
    return Person.objects.select_related("department", "superior").filter(pk=ps.person_id).first()


def goal_period(goal: Goal) -> Period:
    period = parse_period(goal.period)
    assert period is not None, goal.period
    return period


def department_goal_counts(user: Any, department: Department, period: str) -> dict[str, int]:
    """Goal counts by status inside a department subtree for one period (one query)."""
    rows = (
        goals_visible_to(user)
        .filter(department__path__startswith=department.path, period=period)
        .values("status")
        .annotate(n=Count("id"))
    )
    return {r["status"]: r["n"] for r in rows}
