"""Who may read and change the indicator library.

The library is organization-wide reference data: every signed-in person may read it (staff
should see how they are measured). System administrators and performance administrators
(考核办, any scope) maintain it: create, edit, lock, deactivate, import, save weight sets.
"""

from __future__ import annotations

from typing import Any

from jixiao.org.access import scope_for
from jixiao.org.models import Role


def can_read_library(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated)


def can_manage_library(user: Any) -> bool:
    if not can_read_library(user):
        return False
    scope = scope_for(user)
    return scope.is_system_admin or Role.PERFORMANCE_ADMIN in scope.roles
