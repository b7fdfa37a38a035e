"""Planning checks, the answers to two of the field's hard problems at planning time.

- Goals that are hard to quantify: a SMART check on every goal (measurable, targeted, dated,
  owned, weighted).
- Goals that conflict: weights that do not add up; the same indicator pushed in opposite
  directions or given targets that cannot both be met; work plans over the department's
  budget; people planned for more working days than they have; strategy nobody carries; too
  little long-term capacity building.

Findings are plain data; pages, the API and submission share them. Each conflict has a
stable key so that it can be acknowledged with a note.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from jixiao.goals.models import (
    ConflictAcknowledgement,
    DepartmentBudget,
    Goal,
    GoalLevel,
    Horizon,
    KeyResult,
    Milestone,
    PlanningPolicy,
    WorkItem,
    WorkItemStatus,
)
from jixiao.indicators.models import Direction
from jixiao.org.models import Department, Person, PostCategory, Role, RoleGrant


@dataclass(frozen=True)
class Finding:
    code: str
    field: str | None
    message: str


# ---------------------------------------------------------------- SMART


def smart_findings(
    goal: Goal,
    key_results: Sequence[KeyResult],
    *,
    milestone_count: int,
    has_owner: bool,
) -> list[Finding]:
    """What keeps a goal from being specific, measurable, owned, dated and weighted."""
    out: list[Finding] = []
    measurable = [kr for kr in key_results if kr.target is not None or kr.indicator_id]
    if not measurable and milestone_count == 0:
        out.append(
            Finding(
                "no_measure",
                "key_results",
                _(
                    "Nothing measures this goal: add a key result with a target, an indicator "
                    "from the library, or a work plan with milestones."
                ),
            )
        )
    for i, kr in enumerate(key_results):
        if kr.target is None:
            out.append(
                Finding(
                    "no_target",
                    f"key_results[{i}].target",
                    _("The key result “%(title)s” has no target.") % {"title": kr.title},
                )
            )
    if goal.due_date is None:
        out.append(Finding("no_deadline", "due_date", _("Set a deadline for this goal.")))
    if not has_owner:
        out.append(
            Finding(
                "no_owner",
                None,
                _("Nobody is responsible for this goal: the department has no head.")
                if goal.level != GoalLevel.PERSON
                else _("The person this goal belongs to is no longer active."),
            )
        )
    if goal.weight <= 0:
        out.append(Finding("zero_weight", "weight", _("Give this goal a weight above 0%.")))
    return out


def smart_findings_for(goal: Goal) -> list[Finding]:
    """The SMART check of one stored goal (four queries)."""
    key_results = list(goal.key_results.order_by("position", "id"))
    milestones = Milestone.objects.filter(work_item__goal=goal).count()
    return smart_findings(goal, key_results, milestone_count=milestones, has_owner=_has_owner(goal))


HEAD_ROLE_BY_LEVEL: dict[str, str] = {
    GoalLevel.UNIT: Role.UNIT_LEADER,
    GoalLevel.DEPARTMENT: Role.DEPARTMENT_HEAD,
}


def _has_owner(goal: Goal) -> bool:
    if goal.level == GoalLevel.PERSON:
        return goal.person is not None and goal.person.is_active
    return goal.department_id in departments_with_heads([goal.department_id], goal.level)


def departments_with_heads(department_ids: Iterable[int], level: str) -> set[int]:
    """Departments someone answers for: a head (or unit leader) role grant on it, or an active
    person on a leadership post (领导职务) in it. Two queries."""
    ids = list(department_ids)
    role = HEAD_ROLE_BY_LEVEL.get(level, Role.DEPARTMENT_HEAD)
    headed = set(
        RoleGrant.objects.filter(scope_id__in=ids, role=role).values_list("scope_id", flat=True)
    )
    rest = [i for i in ids if i not in headed]
    if rest:
        headed |= set(
            Person.objects.filter(
                department_id__in=rest, is_active=True, post__category=PostCategory.LEADERSHIP
            ).values_list("department_id", flat=True)
        )
    return headed


def smart_findings_many(goals: Sequence[Goal]) -> dict[int, list[Finding]]:
    """The SMART check of many goals in a fixed number of queries."""
    ids = [g.pk for g in goals]
    krs: dict[int, list[KeyResult]] = defaultdict(list)
    for kr in KeyResult.objects.filter(goal_id__in=ids).order_by("position", "id"):
        krs[kr.goal_id].append(kr)
    milestones = dict(
        WorkItem.objects.filter(goal_id__in=ids)
        .values_list("goal_id")
        .annotate(n=Count("milestones"))
        .values_list("goal_id", "n")
    )
    heads: set[int] = set()
    for level in (GoalLevel.UNIT, GoalLevel.DEPARTMENT):
        heads |= departments_with_heads([g.department_id for g in goals if g.level == level], level)
    out: dict[int, list[Finding]] = {}
    for g in goals:
        owned = (
            g.person is not None and g.person.is_active
            if g.level == GoalLevel.PERSON
            else g.department_id in heads
        )
        out[g.pk] = smart_findings(
            g, krs.get(g.pk, []), milestone_count=int(milestones.get(g.pk, 0)), has_owner=owned
        )
    return out


# ---------------------------------------------------------------- weights


@dataclass(frozen=True)
class WeightStatus:
    owner_label: str
    period: str
    total: Decimal
    goal_count: int

    @property
    def ok(self) -> bool:
        return abs(self.total - Decimal(100)) <= Decimal("0.01")


def weight_statuses(goals: Iterable[Goal]) -> list[WeightStatus]:
    """Weight totals per owner and period among the given goals (closed goals included)."""
    totals: dict[tuple[str, str, int, str], list[Any]] = {}
    for g in goals:
        owner_id = g.person_id if g.level == GoalLevel.PERSON else g.department_id
        key = (g.level, g.period, int(owner_id or 0), "")
        label = str(g.person.name) if g.person is not None else g.department.name
        entry = totals.setdefault(key, [label, Decimal(0), 0])
        entry[1] += g.weight
        entry[2] += 1
    return [
        WeightStatus(
            owner_label=v[0], period=k[1], total=v[1].quantize(Decimal("0.01")), goal_count=v[2]
        )
        for k, v in totals.items()
    ]


# ---------------------------------------------------------------- conflicts


@dataclass
class Conflict:
    kind: str
    key: str
    message: str
    goal_ids: list[int] = field(default_factory=list)
    acknowledged: ConflictAcknowledgement | None = None


def _key(kind: str, *parts: object) -> str:
    return f"{kind}:" + ":".join(str(p) for p in parts)


def indicator_conflicts(goals: Sequence[Goal], key_results: Sequence[KeyResult]) -> list[Conflict]:
    """Within one owner's goals or one parent's children: the same indicator pushed in
    opposite directions, or with targets that no single value can meet."""
    by_goal = {g.pk: g for g in goals}
    groups: dict[tuple[str, int], list[Goal]] = defaultdict(list)
    for g in goals:
        owner = g.person_id if g.level == GoalLevel.PERSON else g.department_id
        groups[(f"owner-{g.level}-{g.period}", int(owner or 0))].append(g)
        if g.parent_id is not None:
            groups[("parent", g.parent_id)].append(g)
    krs_of: dict[int, list[KeyResult]] = defaultdict(list)
    for kr in key_results:
        if kr.indicator_id is not None and kr.goal_id in by_goal:
            krs_of[kr.goal_id].append(kr)
    found: dict[str, Conflict] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        by_code: dict[str, list[KeyResult]] = defaultdict(list)
        for g in members:
            for kr in krs_of.get(g.pk, []):
                assert kr.indicator is not None
                by_code[kr.indicator.code].append(kr)
        for code, krs in by_code.items():
            goal_ids = sorted({kr.goal_id for kr in krs})
            if len(goal_ids) < 2:
                continue
            higher = [kr for kr in krs if kr.direction == Direction.HIGHER]
            lower = [kr for kr in krs if kr.direction == Direction.LOWER]
            if not higher or not lower:
                continue
            name = krs[0].indicator.name if krs[0].indicator else code
            floor = max((kr.target for kr in higher if kr.target is not None), default=None)
            ceiling = min((kr.target for kr in lower if kr.target is not None), default=None)
            titles = "、".join(f"“{by_goal[i].title}”" for i in goal_ids)
            if floor is not None and ceiling is not None and ceiling < floor:
                conflict = Conflict(
                    "infeasible_targets",
                    _key("infeasible_targets", code, ",".join(map(str, goal_ids))),
                    _(
                        "%(goals)s set targets for %(indicator)s that cannot both be met: "
                        "at least %(floor)s and at most %(ceiling)s."
                    )
                    % {
                        "goals": titles,
                        "indicator": name,
                        "floor": _plain(floor),
                        "ceiling": _plain(ceiling),
                    },
                    goal_ids,
                )
            else:
                conflict = Conflict(
                    "opposite_directions",
                    _key("opposite_directions", code, ",".join(map(str, goal_ids))),
                    _("%(goals)s push %(indicator)s in opposite directions.")
                    % {"goals": titles, "indicator": name},
                    goal_ids,
                )
            found.setdefault(conflict.key, conflict)
    return list(found.values())


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def budget_conflicts(department_ids: Sequence[int], year: int) -> list[Conflict]:
    """Departments whose work plans for the year cost more than their budget (2 queries).

    A department's plans are the work items under its own goals and the goals of its people.
    """
    budgets = {
        b.department_id: b
        for b in DepartmentBudget.objects.filter(
            department_id__in=department_ids, year=year
        ).select_related("department")
    }
    if not budgets:
        return []
    planned = dict(
        WorkItem.objects.filter(
            goal__department_id__in=list(budgets),
            goal__period_start__year=year,
        )
        .exclude(status=WorkItemStatus.CANCELLED)
        .values_list("goal__department_id")
        .annotate(total=Sum("budget"))
        .values_list("goal__department_id", "total")
    )
    out: list[Conflict] = []
    for dept_id, budget in budgets.items():
        total = planned.get(dept_id) or Decimal(0)
        if total > budget.amount:
            goal_ids = set(
                WorkItem.objects.filter(
                    goal__department_id=dept_id, goal__period_start__year=year, budget__gt=0
                ).values_list("goal_id", flat=True)
            )
            out.append(
                Conflict(
                    "over_budget",
                    _key("over_budget", dept_id, year),
                    _(
                        "The work plans of %(department)s for %(year)s cost %(total)s yuan, "
                        "more than its budget of %(budget)s yuan."
                    )
                    % {
                        "department": budget.department.name,
                        "year": year,
                        "total": _plain(total),
                        "budget": _plain(budget.amount),
                    },
                    sorted(goal_ids),
                )
            )
    return out


def capacity_conflicts(
    person_ids: Sequence[int],
    *,
    start: datetime.date,
    end: datetime.date,
    available_days: float,
) -> list[Conflict]:
    """People whose planned task days between `start` and `end` exceed the working days
    available in that span (2 queries)."""
    rows = (
        WorkItem.objects.filter(
            owner_id__in=list(person_ids),
            planned_start__gte=start,
            planned_start__lte=end,
            planned_days__gt=0,
        )
        .exclude(status=WorkItemStatus.CANCELLED)
        .values_list("owner_id")
        .annotate(days=Sum("planned_days"))
        .values_list("owner_id", "days")
    )
    over = {pid: days for pid, days in rows if float(days) > available_days}
    if not over:
        return []

    names = dict(Person.objects.filter(pk__in=list(over)).values_list("id", "name"))
    goal_ids: dict[int, list[int]] = defaultdict(list)
    for pid, gid in (
        WorkItem.objects.filter(
            owner_id__in=list(over), planned_start__gte=start, planned_start__lte=end
        )
        .values_list("owner_id", "goal_id")
        .distinct()
    ):
        goal_ids[pid].append(gid)
    return [
        Conflict(
            "over_capacity",
            _key("over_capacity", pid, start.isoformat(), end.isoformat()),
            _(
                "%(person)s is planned for %(days)s working days of tasks between %(start)s "
                "and %(end)s, but has %(available)s."
            )
            % {
                "person": names.get(pid, pid),
                "days": _plain(Decimal(days)),
                "start": start.isoformat(),
                "end": end.isoformat(),
                "available": f"{available_days:g}",
            },
            sorted(set(goal_ids[pid])),
        )
        for pid, days in sorted(over.items())
    ]


def with_acknowledgements(conflicts: list[Conflict]) -> list[Conflict]:
    acks = {
        a.key: a for a in ConflictAcknowledgement.objects.filter(key__in=[c.key for c in conflicts])
    }
    for c in conflicts:
        c.acknowledged = acks.get(c.key)
    return conflicts


# ---------------------------------------------------------------- balance and coverage


@dataclass(frozen=True)
class Balance:
    department: Department
    total_weight: Decimal
    capacity_weight: Decimal
    minimum_share: Decimal

    @property
    def share(self) -> Decimal:
        if self.total_weight <= 0:
            return Decimal(0)
        return (self.capacity_weight * 100 / self.total_weight).quantize(Decimal("0.1"))

    @property
    def ok(self) -> bool:
        return self.total_weight <= 0 or self.share >= self.minimum_share


def minimum_capacity_share(unit_id: int) -> Decimal:
    policy = PlanningPolicy.objects.filter(unit_id=unit_id).first()
    return policy.min_capacity_share if policy else Decimal(10)


def balances(departments: Sequence[Department], period: str, unit_id: int) -> list[Balance]:
    """For each department, the share of its own goals' weight on long-term capacity building
    for the period (one query)."""
    minimum = minimum_capacity_share(unit_id)
    rows = (
        Goal.objects.filter(
            department_id__in=[d.pk for d in departments],
            level=GoalLevel.DEPARTMENT,
            period=period,
        )
        .values_list("department_id")
        .annotate(
            total=Sum("weight"),
            capacity=Sum("weight", filter=Q(horizon=Horizon.CAPACITY)),
        )
        .values_list("department_id", "total", "capacity")
    )
    figures = {r[0]: (r[1] or Decimal(0), r[2] or Decimal(0)) for r in rows}
    return [
        Balance(
            d,
            figures.get(d.pk, (Decimal(0), Decimal(0)))[0],
            figures.get(d.pk, (Decimal(0), Decimal(0)))[1],
            minimum,
        )
        for d in departments
    ]


@dataclass
class CoverageRow:
    goal: Goal
    departments: int
    people: int

    @property
    def carried(self) -> bool:
        return self.departments > 0 or self.people > 0


@dataclass
class StrategyCoverage:
    rows: list[CoverageRow]
    aligned_share: dict[int, Decimal]


def strategy_coverage(unit: Department, year: int) -> StrategyCoverage:
    """For each unit goal of the year, how many departments and people carry it (through any
    depth of alignment); and per department, the share of its goal weight aligned to the
    unit's strategy. Two queries and one pass over the year's goals of the unit."""
    goals = list(
        Goal.objects.filter(
            department__path__startswith=unit.path, period_start__year=year
        ).values_list("id", "parent_id", "level", "department_id", "person_id", "weight")
    )
    parent_of = {g[0]: g[1] for g in goals}
    unit_goal_ids = {g[0] for g in goals if g[2] == GoalLevel.UNIT}

    def root_unit_goal(goal_id: int) -> int | None:
        seen = 0
        current: int | None = goal_id
        while current is not None and seen < 64:
            if current in unit_goal_ids:
                return current
            current = parent_of.get(current)
            seen += 1
        return None

    carriers_dept: dict[int, set[int]] = defaultdict(set)
    carriers_people: dict[int, set[int]] = defaultdict(set)
    weight_total: dict[int, Decimal] = defaultdict(Decimal)
    weight_aligned: dict[int, Decimal] = defaultdict(Decimal)
    for gid, _parent, level, dept_id, person_id, weight in goals:
        if level == GoalLevel.UNIT:
            continue
        root = root_unit_goal(gid)
        if level == GoalLevel.DEPARTMENT:
            weight_total[dept_id] += weight
            if root is not None:
                weight_aligned[dept_id] += weight
                carriers_dept[root].add(dept_id)
        elif root is not None and person_id is not None:
            carriers_people[root].add(person_id)
    unit_goals = Goal.objects.filter(pk__in=unit_goal_ids).order_by("period_start", "-weight", "id")
    rows = [
        CoverageRow(g, len(carriers_dept.get(g.pk, ())), len(carriers_people.get(g.pk, ())))
        for g in unit_goals
    ]
    share = {
        dept_id: (weight_aligned[dept_id] * 100 / total).quantize(Decimal("0.1"))
        for dept_id, total in weight_total.items()
        if total > 0
    }
    return StrategyCoverage(rows, share)
