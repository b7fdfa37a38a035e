"""Indicator actuals for key results whose values come automatically (source "indicator").

Operational systems (document handling, the 12345 hotline, service tickets) or the records
app report an indicator's actual value for an owner and a period; every automatic key result
on that indicator (any version of its code) of that owner's goals for that period takes it.
One set-based write per batch, audited, then progress moves up the tree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.bulk import bulk_update_rows
from jixiao.core.errors import FieldError, forbidden, validation_failed
from jixiao.goals import progress
from jixiao.goals.models import Goal, GoalLevel, GoalStatus, KeyResult, KeyResultSource
from jixiao.goals.periods import parse_period
from jixiao.goals.permissions import planning_scope_for
from jixiao.org.models import Department, Person

MAX_ROWS = 50_000


@dataclass(frozen=True)
class Actual:
    indicator_code: str
    period: str
    value: Decimal
    department_code: str = ""
    employee_no: str = ""


@dataclass(frozen=True)
class ActualsResult:
    rows: int
    key_results_updated: int
    unmatched: list[int]


def _owner_key(level: str, department_id: int, person_id: int | None) -> tuple[str, int]:
    return (
        ("person", person_id or 0) if level == GoalLevel.PERSON else ("department", department_id)
    )


@transaction.atomic(durable=True)
def actuals_apply(*, actor: Actor, user: Any, rows: Sequence[Actual]) -> ActualsResult:
    """Write reported actuals into the matching automatic key results.

    Only performance administrators (or system administrators) report actuals, and only for
    owners inside their scope. A row that matches no key result is reported back by index,
    not an error: the indicator may simply not be planned for that owner.
    """
    ps = planning_scope_for(user)
    if not (ps.is_system_admin or ps.unit_paths):
        raise forbidden()
    errors: list[FieldError] = []
    if len(rows) > MAX_ROWS:
        errors.append(
            FieldError("rows", "too_many", _("At most %(n)s rows at a time.") % {"n": MAX_ROWS})
        )
        raise validation_failed(errors)
    departments = dict(
        Department.objects.filter(
            code__in={r.department_code for r in rows if r.department_code}
        ).values_list("code", "id")
    )
    paths = dict(Department.objects.filter(id__in=departments.values()).values_list("id", "path"))
    people = {
        no: (pid, path)
        for no, pid, path in Person.objects.filter(
            employee_no__in={r.employee_no for r in rows if r.employee_no}
        ).values_list("employee_no", "id", "department__path")
    }
    wanted: dict[tuple[str, str, tuple[str, int]], tuple[int, Decimal]] = {}
    for i, r in enumerate(rows):
        prefix = f"rows[{i}]"
        if parse_period(r.period) is None:
            errors.append(
                FieldError(
                    f"{prefix}.period",
                    "invalid_period",
                    _("Give the period as 2026, 2026-H1, 2026-Q3 or 2026-03."),
                )
            )
            continue
        try:
            value = Decimal(r.value)
        except (InvalidOperation, TypeError, ValueError):
            value = Decimal("NaN")
        if not value.is_finite():
            errors.append(FieldError(f"{prefix}.value", "invalid_number", _("Enter a number.")))
            continue
        if bool(r.department_code) == bool(r.employee_no):
            errors.append(
                FieldError(
                    prefix,
                    "owner_required",
                    _("Give either a department code or an employee number."),
                )
            )
            continue
        if r.employee_no:
            found = people.get(r.employee_no)
            if found is None:
                errors.append(
                    FieldError(
                        f"{prefix}.employee_no", "unknown_person", _("No such employee number.")
                    )
                )
                continue
            owner, path = ("person", found[0]), found[1]
        else:
            dept_id = departments.get(r.department_code)
            if dept_id is None:
                errors.append(
                    FieldError(
                        f"{prefix}.department_code",
                        "unknown_department",
                        _("No such department code."),
                    )
                )
                continue
            owner, path = ("department", dept_id), paths[dept_id]
        if not ps.plans_units(path):
            errors.append(
                FieldError(prefix, "outside_scope", _("This owner is outside your scope."))
            )
            continue
        wanted[(r.indicator_code, r.period, owner)] = (i, value)
    if errors:
        raise validation_failed(errors)
    codes = {k[0] for k in wanted}
    periods = {k[1] for k in wanted}
    candidates = list(
        KeyResult.objects.filter(
            source=KeyResultSource.INDICATOR,
            indicator__code__in=codes,
            goal__period__in=periods,
        )
        .exclude(goal__status=GoalStatus.CLOSED)
        .values_list(
            "id",
            "goal_id",
            "indicator__code",
            "goal__period",
            "goal__level",
            "goal__department_id",
            "goal__person_id",
            "current",
        )
    )
    now = timezone.now()
    updates: list[KeyResult] = []
    entries: list[audit.AuditEntry] = []
    matched: set[int] = set()
    touched_goals: set[int] = set()
    by_goal: dict[int, list[tuple[int, Any, Decimal]]] = defaultdict(list)
    for kr_id, goal_id, code, period, level, dept_id, person_id, current in candidates:
        key = (code, period, _owner_key(level, dept_id, person_id))
        if key not in wanted:
            continue
        index, value = wanted[key]
        matched.add(index)
        if current is not None and Decimal(current) == value:
            continue
        updates.append(KeyResult(pk=kr_id, current=value, current_at=now))
        by_goal[goal_id].append((kr_id, current, value))
        touched_goals.add(goal_id)
    bulk_update_rows(KeyResult, updates, ["current", "current_at"])
    titles = {
        gid: (title, path)
        for gid, title, path in Goal.objects.filter(pk__in=list(by_goal)).values_list(
            "id", "title", "department__path"
        )
    }
    for goal_id, changes in by_goal.items():
        entries.append(
            audit.AuditEntry(
                action="goals.goal.actuals",
                object_type="goals.goal",
                object_id=str(goal_id),
                object_label=titles[goal_id][0][:255],
                scope_path=titles[goal_id][1],
                changes={
                    f"key_result {kr}": [audit.plain(old), audit.plain(new)]
                    for kr, old, new in changes
                },
            )
        )
    audit.record_many(actor, entries, reason=_("Indicator actuals"))
    progress.recompute_goals(touched_goals)
    return ActualsResult(
        rows=len(rows),
        key_results_updated=len(updates),
        unmatched=sorted(set(range(len(rows))) - matched),
    )
