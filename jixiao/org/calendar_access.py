"""Who may read and change the working-day calendar (jixiao/core/workdays.py).

The calendar is organization-wide reference data: everyone signed in reads it (deadlines and
publicity periods are counted with it). System administrators and performance administrators
(考核办, any scope) maintain it. core cannot know roles, so its services take this decision.
"""

from __future__ import annotations

from typing import Any

from jixiao.org.access import scope_for
from jixiao.org.models import Role


def can_read_calendar(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated)


def can_manage_calendar(user: Any) -> bool:
    if not can_read_calendar(user):
        return False
    scope = scope_for(user)
    return scope.is_system_admin or Role.PERFORMANCE_ADMIN in scope.roles
