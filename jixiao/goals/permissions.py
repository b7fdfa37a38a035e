"""Who may see, plan, approve and discuss goals. No writes here.

Built on the organization scope (jixiao.org.access), split by role:

- planners (department heads, performance admins, unit leaders) plan and approve inside the
  department subtrees of their grants; auditors only read;
- a person plans their own personal goals and sees the unit and department goals above them;
- a superior plans and approves the personal goals of their reports;
- nobody approves a goal they own or submitted, and a department's own goals are approved from
  above it (a head cannot approve the goals of the department they head);
- unit goals are approved by a unit leader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from jixiao.goals.models import EDITABLE_STATUSES, Goal, GoalLevel, GoalStatus
from jixiao.org.access import Scope, _minimal_paths, scope_for
from jixiao.org.models import Department, Person, Role, RoleGrant

PLANNING_ROLES = {Role.DEPARTMENT_HEAD, Role.PERFORMANCE_ADMIN, Role.UNIT_LEADER}
UNIT_ROLES = {Role.PERFORMANCE_ADMIN, Role.UNIT_LEADER}


@dataclass(frozen=True, slots=True)
class PlanningScope:
    scope: Scope
    plan_paths: tuple[str, ...]
    unit_paths: tuple[str, ...]
    leader_paths: tuple[str, ...]
    # The person's own department and its ancestors: their unit and department goals show.
    chain_department_ids: frozenset[int]

    @property
    def is_system_admin(self) -> bool:
        return self.scope.is_system_admin

    @property
    def person_id(self) -> int | None:
        return self.scope.person_id

    def plans(self, path: str) -> bool:
        return self.is_system_admin or any(path.startswith(p) for p in self.plan_paths)

    def plans_above(self, path: str) -> bool:
        """Whether a planning grant covers a strict ancestor of the department at `path`."""
        return self.is_system_admin or any(
            path.startswith(p) and path != p for p in self.plan_paths
        )

    def leads(self, path: str) -> bool:
        return self.is_system_admin or any(path.startswith(p) for p in self.leader_paths)

    def plans_units(self, path: str) -> bool:
        return self.is_system_admin or any(path.startswith(p) for p in self.unit_paths)

    def planned_q(self, prefix: str = "") -> Q:
        """A filter on departments (or a relation to one via `prefix`) the user plans in."""
        if self.is_system_admin:
            return Q()
        q = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
        for p in self.plan_paths:
            q |= Q(**{f"{prefix}path__startswith": p})
        return q

    def is_superior_of(self, person_id: int | None) -> bool:
        return person_id is not None and person_id in self.scope.outside_report_ids


def planning_scope_for(user: Any) -> PlanningScope:
    """The user's planning scope, computed once per request and cached on the user object."""
    cached = getattr(user, "_jixiao_planning_scope", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    scope = scope_for(user)
    grants: list[tuple[str, str]] = []
    if scope.user_id is not None:
        grants = list(
            RoleGrant.objects.filter(
                user_id=scope.user_id, role__in=PLANNING_ROLES, scope__isnull=False
            ).values_list("role", "scope__path")
        )
    chain: frozenset[int] = frozenset()
    if scope.department_id is not None:
        path = (
            Department.objects.filter(pk=scope.department_id).values_list("path", flat=True).first()
        )
        if path:
            chain = frozenset(int(x) for x in path.strip("/").split("/") if x)
    planning = PlanningScope(
        scope=scope,
        plan_paths=_minimal_paths([p for _, p in grants]),
        unit_paths=_minimal_paths([p for r, p in grants if r in UNIT_ROLES]),
        leader_paths=_minimal_paths([p for r, p in grants if r == Role.UNIT_LEADER]),
        chain_department_ids=chain,
    )
    if user is not None and user.is_authenticated:
        user._jixiao_planning_scope = planning
    return planning


def _department_path(goal: Goal) -> str:
    return goal.department.path


def _is_superior(ps: PlanningScope, goal: Goal) -> bool:
    """A direct or indirect superior of the goal's person (direct ones also when their own
    grants already cover the person's department, e.g. an auditor who manages staff)."""
    if goal.person_id is None or ps.person_id is None:
        return False
    if ps.is_superior_of(goal.person_id):
        return True
    return goal.person is not None and goal.person.superior_id == ps.person_id


def may_plan_for(ps: PlanningScope, goal: Goal) -> bool:
    """Whether the user may write the content of this goal (when its status allows)."""
    path = _department_path(goal)
    if goal.level == GoalLevel.UNIT:
        return ps.plans_units(path)
    if goal.level == GoalLevel.DEPARTMENT:
        return ps.plans(path)
    return (
        (ps.person_id is not None and goal.person_id == ps.person_id)
        or ps.plans(path)
        or _is_superior(ps, goal)
    )


def can_edit_goal(user: Any, goal: Goal) -> bool:
    return goal.status in EDITABLE_STATUSES and may_plan_for(planning_scope_for(user), goal)


def has_approval_authority(ps: PlanningScope, goal: Goal) -> bool:
    """Authority over the goal from above, whatever its status and whoever submitted it."""
    path = _department_path(goal)
    if goal.level == GoalLevel.UNIT:
        return ps.leads(path)
    if goal.level == GoalLevel.DEPARTMENT:
        return ps.plans_above(path)
    if ps.person_id is not None and goal.person_id == ps.person_id:
        return False
    return ps.plans(path) or _is_superior(ps, goal)


def is_own_goal(ps: PlanningScope, goal: Goal, user: Any) -> bool:
    return (ps.person_id is not None and goal.person_id == ps.person_id) or (
        goal.submitted_by_id is not None and goal.submitted_by_id == getattr(user, "pk", None)
    )


def can_approve_goal(user: Any, goal: Goal) -> bool:
    ps = planning_scope_for(user)
    return (
        goal.status == GoalStatus.SUBMITTED
        and not is_own_goal(ps, goal, user)
        and has_approval_authority(ps, goal)
    )


def can_lock_goal(user: Any, goal: Goal) -> bool:
    ps = planning_scope_for(user)
    return goal.status == GoalStatus.APPROVED and (
        has_approval_authority(ps, goal) or ps.plans_units(_department_path(goal))
    )


def can_submit_goal(user: Any, goal: Goal) -> bool:
    return can_edit_goal(user, goal)


def can_request_change(user: Any, goal: Goal) -> bool:
    return goal.status in (GoalStatus.APPROVED, GoalStatus.LOCKED) and may_plan_for(
        planning_scope_for(user), goal
    )


def can_decide_change(user: Any, goal: Goal, requested_by_id: int | None) -> bool:
    ps = planning_scope_for(user)
    return (
        requested_by_id != getattr(user, "pk", None)
        and not (ps.person_id is not None and goal.person_id == ps.person_id)
        and has_approval_authority(ps, goal)
    )


def can_close_goal(user: Any, goal: Goal) -> bool:
    ps = planning_scope_for(user)
    return goal.status in (GoalStatus.APPROVED, GoalStatus.LOCKED) and (
        has_approval_authority(ps, goal) or ps.plans_units(_department_path(goal))
    )


def can_check_in(user: Any, goal: Goal) -> bool:
    """The goal's owner side reports progress: the person, or the planners of its department."""
    if goal.status in (GoalStatus.CLOSED,):
        return False
    ps = planning_scope_for(user)
    if goal.level == GoalLevel.PERSON:
        return ps.person_id is not None and goal.person_id == ps.person_id
    return may_plan_for(ps, goal)


def can_comment_on_checkin(user: Any, goal: Goal) -> bool:
    ps = planning_scope_for(user)
    return has_approval_authority(ps, goal) or may_plan_for(ps, goal)


def can_create_goal_for(
    user: Any, *, level: str, department: Department, person: Person | None
) -> bool:
    ps = planning_scope_for(user)
    if level == GoalLevel.UNIT:
        return ps.plans_units(department.path)
    if level == GoalLevel.DEPARTMENT:
        return ps.plans(department.path)
    if person is None:
        return False
    return (
        (ps.person_id is not None and person.pk == ps.person_id)
        or ps.plans(person.department.path)
        or ps.is_superior_of(person.pk)
        or (ps.person_id is not None and person.superior_id == ps.person_id)
    )


def can_cascade_goal(user: Any, goal: Goal) -> bool:
    """Whether the user may carry an open unit or department goal further down: they plan
    somewhere inside the goal's department (a head cascades a unit goal to their own people),
    or over all of it (a unit leader cascades a department goal)."""
    if goal.level == GoalLevel.PERSON or goal.status == GoalStatus.CLOSED:
        return False
    ps = planning_scope_for(user)
    path = _department_path(goal)
    return ps.is_system_admin or any(
        p.startswith(path) or path.startswith(p) for p in ps.plan_paths
    )


def can_manage_templates(user: Any) -> bool:
    ps = planning_scope_for(user)
    return ps.is_system_admin or bool(ps.plan_paths)


def can_manage_strategy(user: Any, unit: Department) -> bool:
    return planning_scope_for(user).plans_units(unit.path)
