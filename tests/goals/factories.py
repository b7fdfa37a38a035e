"""Goal factories: rows written directly (fast), with the period fields filled from the key."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jixiao.goals.models import Goal, GoalLevel, GoalStatus, KeyResult
from jixiao.goals.periods import parse_period
from jixiao.org.models import Department, Person


def make_goal(
    title: str,
    *,
    department: Department | None = None,
    person: Person | None = None,
    level: str | None = None,
    period: str = "2026",
    weight: Decimal | int = 100,
    status: str = GoalStatus.DRAFT,
    parent: Goal | None = None,
    **kw: Any,
) -> Goal:
    p = parse_period(period)
    assert p is not None
    if level is None:
        level = GoalLevel.PERSON if person is not None else GoalLevel.DEPARTMENT
    if person is not None:
        department = department or person.department
    assert department is not None
    return Goal.objects.create(
        level=level,
        department=department,
        person=person if level == GoalLevel.PERSON else None,
        period=p.key,
        period_kind=p.kind,
        period_start=p.start,
        period_end=p.end,
        title=title,
        weight=Decimal(weight),
        status=status,
        parent=parent,
        due_date=kw.pop("due_date", p.end),
        **kw,
    )


def add_kr(goal: Goal, title: str = "结果", **kw: Any) -> KeyResult:
    fields: dict[str, Any] = {"target": Decimal(100), "weight": Decimal(100), **kw}
    for name in ("target", "baseline", "threshold", "stretch", "current", "weight"):
        if fields.get(name) is not None:
            fields[name] = Decimal(fields[name])
    return KeyResult.objects.create(
        goal=goal, title=title, position=goal.key_results.count(), **fields
    )
