"""Who may design schemes, run cycles, rate and read results. No writes here.

- Schemes are organization-wide: system and performance administrators maintain them; every
  signed-in person may read them (staff should see how they are appraised).
- A cycle is run by the performance administrators whose management scope covers its unit.
- The office view of a cycle (all appraisals, rater statistics, exports) is for the unit's
  performance administrators, unit leaders and auditors.
- A recurring series (周期性考核计划) is the office's like the cycles it creates: its unit's
  performance administrators (and system administrators) create and change it, the rest of
  the office reads it.
- Department heads read their subtree's results once the cycle shows results; a person reads
  their own appraisal (and its results once shown); a rater reads and edits only their own
  assignments.
"""

from __future__ import annotations

from typing import Any

from jixiao.appraisals.models import Appraisal, Cycle, CyclePhase, CycleSeries
from jixiao.org.access import scope_for
from jixiao.org.models import Role

RESULT_PHASES = (CyclePhase.RESULTS, CyclePhase.CLOSED)
OFFICE_ROLES = {Role.PERFORMANCE_ADMIN, Role.UNIT_LEADER, Role.AUDITOR}


def can_manage_schemes(user: Any) -> bool:
    if user is None or not user.is_authenticated:
        return False
    scope = scope_for(user)
    return scope.is_system_admin or Role.PERFORMANCE_ADMIN in scope.roles


def can_manage_cycle(user: Any, cycle: Cycle) -> bool:
    return scope_for(user).covers_path(cycle.unit.path, manage=True)


def can_create_cycles(user: Any) -> bool:
    return scope_for(user).can_manage_any


def can_manage_series(user: Any, series: CycleSeries) -> bool:
    return scope_for(user).covers_path(series.unit.path, manage=True)


def can_see_series_pages(user: Any) -> bool:
    """Whether the user is of an office at all (the list of series is for nobody else)."""
    return scope_for(user).is_system_admin or bool(office_paths(user))


def office_paths(user: Any) -> tuple[str, ...]:
    """The subtrees in which the user sees whole cycles (office roles only)."""
    from jixiao.org.models import RoleGrant

    if user is None or not user.is_authenticated:
        return ()
    cached = getattr(user, "_jixiao_office_paths", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    paths = tuple(
        RoleGrant.objects.filter(
            user_id=user.pk, role__in=OFFICE_ROLES, scope__isnull=False
        ).values_list("scope__path", flat=True)
    )
    user._jixiao_office_paths = paths
    return paths


def can_see_cycle_office(user: Any, cycle: Cycle) -> bool:
    scope = scope_for(user)
    return scope.is_system_admin or any(cycle.unit.path.startswith(p) for p in office_paths(user))


def shows_results(cycle: Cycle) -> bool:
    return cycle.phase in RESULT_PHASES


def can_read_appraisal(user: Any, appraisal: Appraisal) -> bool:
    """The office, the person, and (once results show) those whose scope covers the person."""
    scope = scope_for(user)
    if scope.is_system_admin or can_see_cycle_office(user, appraisal.cycle):
        return True
    if scope.person_id is not None and appraisal.person_id == scope.person_id:
        return True
    if not shows_results(appraisal.cycle):
        return False
    return (
        scope.covers_path(appraisal.department.path)
        or appraisal.person_id in scope.outside_report_ids
    )
