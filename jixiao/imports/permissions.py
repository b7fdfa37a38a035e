"""Who may import and export what; no writes."""

from __future__ import annotations

from typing import Any

from jixiao.imports.models import ImportKind
from jixiao.indicators.permissions import can_manage_library
from jixiao.org.access import scope_for


def can_transfer(user: Any, kind: str) -> bool:
    """Import or export `kind`: the organization for those who may import into their scope
    (the exported rows are then limited to that scope), the indicator library for those who
    maintain it."""
    if kind == ImportKind.INDICATORS:
        return can_manage_library(user)
    return scope_for(user).can_import
