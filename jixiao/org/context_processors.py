"""Navigation flags for the shared layout, from the user's scope (one cached computation)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from jixiao.org.access import scope_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {
        "nav_scope": scope,
        "nav_can_manage": scope.can_manage_any,
        "nav_can_audit": scope.can_view_audit,
        "nav_can_import": scope.can_import,
    }
