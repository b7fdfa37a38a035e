"""Who may import and export what; no writes."""

from __future__ import annotations

from typing import Any

from jixiao.goals.permissions import planning_scope_for
from jixiao.imports.models import ImportKind
from jixiao.indicators.permissions import can_manage_library
from jixiao.org.access import scope_for


def can_import_goals(user: Any) -> bool:
    """Whoever plans goals for somebody: a person (their own goals, their reports'), a
    planner with a grant, a system administrator. Each row is checked again on import."""
    if user is None or not user.is_authenticated:
        return False
    ps = planning_scope_for(user)
    return ps.is_system_admin or bool(ps.plan_paths) or ps.person_id is not None


def can_export_goals(user: Any) -> bool:
    """Whoever may import goals, and readers over departments (auditors, unit leaders); the
    export holds the goals they see."""
    if user is None or not user.is_authenticated:
        return False
    return can_import_goals(user) or bool(scope_for(user).read_paths)


def can_transfer(user: Any, kind: str) -> bool:
    """Import or export `kind`: the organization for those who may import into their scope
    (the exported rows are then limited to that scope), the indicator library for those who
    maintain it, goals for those who plan or read them."""
    if kind == ImportKind.INDICATORS:
        return can_manage_library(user)
    if kind == ImportKind.GOALS:
        return can_export_goals(user)
    return scope_for(user).can_import
