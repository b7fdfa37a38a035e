"""Reads behind the planning overviews: a department's goals, people and checks, and the
alignment tree from the unit down to people. A fixed number of queries each, whatever the
size of the department."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from jixiao.goals import checks
from jixiao.goals.models import Goal, GoalLevel, GoalOutcome, GoalStatus, KeyResult
from jixiao.goals.periods import Period, parse_period
from jixiao.goals.selectors import goals_visible_to
from jixiao.org.models import Department, Person

ON_TRACK_MARGIN = 0.10
AT_RISK_MARGIN = 0.25


def progress_colour(goal_status: str, outcome: str, progress: float | None, expected: float) -> str:
    """green / amber / red against the share of the period elapsed; grey without progress."""
    if goal_status == GoalStatus.CLOSED:
        colours: dict[str, str] = {GoalOutcome.ACHIEVED: "green", GoalOutcome.PARTIAL: "amber"}
        return colours.get(outcome, "red")
    if progress is None:
        return "grey"
    if progress >= expected - ON_TRACK_MARGIN:
        return "green"
    if progress >= expected - AT_RISK_MARGIN:
        return "amber"
    return "red"


COLOURS = {"green": "#2fb344", "amber": "#f59f00", "red": "#d63939", "grey": "#9ba9be"}
# Shared by every node of a colour (the encoder writes each out; building thousands of equal
# dicts was a tenth of the time of a large tree's JSON).
ITEM_STYLES = {name: {"color": c, "borderColor": c} for name, c in COLOURS.items()}


def year_periods_filter(period: Period) -> Q:
    """Goals whose period lies within `period` (a year takes its halves, quarters, months)."""
    return Q(period_start__gte=period.start, period_end__lte=period.end)


@dataclass
class PersonRow:
    person: Person
    goals: int = 0
    weight: Decimal = Decimal(0)
    drafts: int = 0
    submitted: int = 0
    approved: int = 0
    progress: float | None = None

    @property
    def weight_ok(self) -> bool:
        return abs(self.weight - Decimal(100)) <= Decimal("0.01")


@dataclass
class DepartmentOverview:
    department: Department
    period: Period
    goals: list[Goal]
    people: list[PersonRow]
    weight_statuses: list[checks.WeightStatus]
    findings: dict[int, list[checks.Finding]]
    conflicts: list[checks.Conflict]
    balance: checks.Balance | None
    aligned_share: Decimal | None
    status_counts: dict[str, int] = field(default_factory=dict)
    subdepartments: list[Department] = field(default_factory=list)

    @property
    def stage_counts(self) -> dict[str, int]:
        """Goals of the subtree for the period by stage: drafts (incl. returned), submitted,
        approved (incl. locked) and closed."""
        c = self.status_counts
        return {
            "drafts": c.get(GoalStatus.DRAFT, 0) + c.get(GoalStatus.RETURNED, 0),
            "submitted": c.get(GoalStatus.SUBMITTED, 0),
            "approved": c.get(GoalStatus.APPROVED, 0) + c.get(GoalStatus.LOCKED, 0),
            "closed": c.get(GoalStatus.CLOSED, 0),
        }


def department_overview(
    user: Any, department: Department, period: Period, *, available_days: float | None
) -> DepartmentOverview:
    """The department's own goals for the period, its direct members with their goals'
    figures, and the planning checks over both."""
    visible = goals_visible_to(user)
    own_goals = list(
        visible.filter(department=department, level__in=[GoalLevel.DEPARTMENT, GoalLevel.UNIT])
        .filter(year_periods_filter(period))
        .select_related("parent")
        .order_by("period_start", "-weight", "id")
    )
    members = list(
        Person.objects.filter(department=department, is_active=True)
        .select_related("post")
        .order_by("employee_no")
    )
    people_goals = list(
        visible.filter(person__in=members, level=GoalLevel.PERSON, period=period.key).order_by("id")
    )
    rows = {p.pk: PersonRow(p) for p in members}
    for g in people_goals:
        row = rows.get(g.person_id or 0)
        if row is None:
            continue
        row.goals += 1
        row.weight += g.weight
        row.drafts += g.status in (GoalStatus.DRAFT, GoalStatus.RETURNED)
        row.submitted += g.status == GoalStatus.SUBMITTED
        row.approved += g.status in (GoalStatus.APPROVED, GoalStatus.LOCKED, GoalStatus.CLOSED)
    weighted: dict[int, tuple[float, float]] = defaultdict(lambda: (0.0, 0.0))
    for g in people_goals:
        if g.progress is not None and g.person_id is not None:
            w, s = weighted[g.person_id]
            weighted[g.person_id] = (w + float(g.weight), s + float(g.weight) * g.progress)
    for pid, (w, s) in weighted.items():
        if pid in rows and w > 0:
            rows[pid].progress = s / w
    everything = own_goals + people_goals
    key_results = list(
        KeyResult.objects.filter(goal__in=everything, indicator__isnull=False).select_related(
            "indicator"
        )
    )
    conflicts = checks.indicator_conflicts(everything, key_results)
    conflicts += checks.budget_conflicts([department.pk], period.year)
    if available_days is not None:
        conflicts += checks.capacity_conflicts(
            [p.pk for p in members],
            start=period.start,
            end=period.end,
            available_days=available_days,
        )
    unit_id = (department.ancestor_ids() or [department.pk])[0]
    balance = None
    if department.parent_id is not None:
        balance = checks.balances([department], period.key, unit_id)[0]
    aligned_share = (
        aligned_share_of(department, unit_id, period.year)
        if department.parent_id is not None
        else None
    )
    counts = dict(
        visible.filter(department__path__startswith=department.path, period=period.key)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return DepartmentOverview(
        department=department,
        period=period,
        goals=own_goals,
        people=list(rows.values()),
        weight_statuses=checks.weight_statuses(own_goals),
        findings=checks.smart_findings_many(own_goals),
        conflicts=checks.with_acknowledgements(conflicts),
        balance=balance,
        aligned_share=aligned_share,
        status_counts=counts,
        subdepartments=list(
            Department.objects.filter(parent=department, is_active=True).order_by(
                "sort_order", "code"
            )
        ),
    )


def aligned_share_of(department: Department, unit_id: int, year: int) -> Decimal | None:
    """The share of the department's goal weight for the year that aligns, through any depth,
    to a unit goal of its unit: the figure checks.strategy_coverage gives for it, from the
    department's goals and the chain above them (a query per level) instead of every goal
    of the unit."""
    own = list(
        Goal.objects.filter(
            department=department, level=GoalLevel.DEPARTMENT, period_start__year=year
        ).values_list("id", "parent_id", "weight")
    )
    total = sum((w for _i, _p, w in own), Decimal(0))
    if total <= 0:
        return None
    parent_of: dict[int, int | None] = {gid: parent for gid, parent, _w in own}
    unit_goals: set[int] = set()
    frontier = {p for _i, p, _w in own if p is not None and p not in parent_of}
    for _ in range(16):
        if not frontier:
            break
        above = list(
            Goal.objects.filter(pk__in=frontier).values_list(
                "id", "parent_id", "level", "department_id", "period_start"
            )
        )
        for gid, parent, level, dept_id, start in above:
            parent_of[gid] = parent
            if level == GoalLevel.UNIT and dept_id == unit_id and start.year == year:
                unit_goals.add(gid)
        frontier = {p for _g, p, *_rest in above if p is not None and p not in parent_of}

    def reaches_unit(goal_id: int) -> bool:
        current: int | None = goal_id
        for _ in range(64):
            if current is None:
                return False
            if current in unit_goals:
                return True
            current = parent_of.get(current)
        return False

    aligned = sum((w for gid, _p, w in own if reaches_unit(gid)), Decimal(0))
    return (aligned * 100 / total).quantize(Decimal("0.1"))


# ---------------------------------------------------------------- alignment tree


@dataclass(slots=True, eq=False)
class TreeNode:
    id: int
    title: str
    owner: str
    level: str
    status: str
    progress: float | None
    colour: str
    url: str
    children: list[TreeNode] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return str(GoalStatus(self.status).label)

    def as_echarts(self) -> dict[str, Any]:
        label = f"{self.title}"
        pct = "—" if self.progress is None else f"{self.progress * 100:.0f}%"
        return {
            "name": label if len(label) <= 18 else label[:17] + "…",
            "value": pct,
            "id": self.id,
            "owner": self.owner,
            "level": self.level,
            "status": self.status,
            "status_label": self.status_label,
            "url": self.url,
            "itemStyle": ITEM_STYLES[self.colour],
            "children": [c.as_echarts() for c in self.children],
        }


def alignment_tree(
    user: Any, department: Department, period: Period, *, today: datetime.date
) -> list[TreeNode]:
    """The goals of the department subtree for the period (and its sub-periods), under the
    unit and department goals above them that they align to; roots first."""
    visible = goals_visible_to(user)
    inside = list(
        visible.filter(department__path__startswith=department.path)
        .filter(year_periods_filter(period))
        .order_by()  # sorted below; the model's ordering made the database sort 7,000 rows
        .values_list(
            "id",
            "parent_id",
            "title",
            "level",
            "status",
            "outcome",
            "progress",
            "period_start",
            "period_end",
            "department__name",
            "person__name",
        )
    )
    known = {r[0] for r in inside}
    rows = list(inside)
    missing = {r[1] for r in rows if r[1] is not None and r[1] not in known}
    for _ in range(8):
        if not missing:
            break
        above = list(
            visible.filter(pk__in=missing)
            .order_by()
            .values_list(
                "id",
                "parent_id",
                "title",
                "level",
                "status",
                "outcome",
                "progress",
                "period_start",
                "period_end",
                "department__name",
                "person__name",
            )
        )
        rows += above
        known |= {r[0] for r in above}
        missing = {r[1] for r in above if r[1] is not None and r[1] not in known}
    nodes: dict[int, TreeNode] = {}
    elapsed: dict[tuple[datetime.date, datetime.date], float] = {}
    for gid, _parent, title, level, status, outcome, progress, start, end, dept, person in rows:
        share = elapsed.get((start, end))
        if share is None:
            share = elapsed[(start, end)] = Period("", "", start.year, start, end).elapsed_share(
                today
            )
        nodes[gid] = TreeNode(
            gid,
            title,
            person or dept,
            level,
            status,
            progress,
            progress_colour(status, outcome, progress, share),
            f"/goals/{gid}/",
        )
    roots: list[TreeNode] = []
    order: dict[str, int] = {GoalLevel.UNIT: 0, GoalLevel.DEPARTMENT: 1, GoalLevel.PERSON: 2}
    rows.sort(key=lambda r: (order.get(r[3], 3), r[0]))
    for r in rows:
        parent_id = r[1]
        parent = nodes.get(parent_id) if parent_id is not None else None
        (parent.children if parent is not None else roots).append(nodes[r[0]])
    return roots


def tree_size(roots: list[TreeNode]) -> int:
    size = 0
    stack = list(roots)
    while stack:
        node = stack.pop()
        size += 1
        stack.extend(node.children)
    return size


@dataclass(frozen=True)
class TreeRow:
    node: TreeNode | None  # None: the personal goals aligned to no goal, as one row
    depth: int
    people: int = 0  # personal goals aligned to this goal, counted here instead of listed
    people_progress: float | None = None  # their mean progress


def _people_row(node: TreeNode | None, depth: int, people: list[TreeNode]) -> TreeRow:
    measured = [c.progress for c in people if c.progress is not None]
    return TreeRow(node, depth, len(people), sum(measured) / len(measured) if measured else None)


def tree_rows(roots: list[TreeNode], *, list_people: bool = True) -> list[TreeRow]:
    """The tree depth-first as the rows of a table. Without `list_people`, the personal goals
    aligned to a goal are a count (and mean progress) on its row rather than rows of their
    own: a large department has thousands of them, and a page of thousands of rows is neither
    quick nor readable."""

    def split(nodes: list[TreeNode]) -> tuple[list[TreeNode], list[TreeNode]]:
        if list_people:
            return nodes, []
        people = [c for c in nodes if c.level == GoalLevel.PERSON and not c.children]
        counted = {id(c) for c in people}
        return [c for c in nodes if id(c) not in counted], people

    out: list[TreeRow] = []
    top, loose = split(roots)
    stack = [(n, 0) for n in reversed(top)]
    while stack:
        node, depth = stack.pop()
        shown, people = split(node.children)
        out.append(_people_row(node, depth, people))
        stack.extend((c, depth + 1) for c in reversed(shown))
    if loose:
        out.append(_people_row(None, 0, loose))
    return out


def period_or_year(key: str | None, today: datetime.date) -> Period:
    period = parse_period(key or "") or parse_period(str(today.year))
    assert period is not None
    return period


def unit_of(department: Department) -> Department:
    ids = department.ancestor_ids()
    if not ids:
        return department
    return Department.objects.get(pk=ids[0])
