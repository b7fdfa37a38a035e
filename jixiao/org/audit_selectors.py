"""Which audit records a user may read, by the department subtree each record belongs to.

System administrators read every record. An auditor reads the records whose `scope_path` lies
inside one of their auditor grants' subtrees, plus organization-wide records (`scope_path` "",
e.g. indicators or a user's own tokens). Records written before scope paths existed
(`scope_path` NULL) have no known place in the tree: only system administrators and auditors
over a root department read them.

The history panel on a department, post or person page follows the reader's whole read scope
instead (every role that reads the object, not only auditors): it hides the object's records
from the time it sat outside that scope, e.g. edits to a person before they moved in.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet

from jixiao.core.models import AuditRecord
from jixiao.core.selectors import audit_records_for_object
from jixiao.org.access import scope_for


def _under(paths: tuple[str, ...]) -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(scope_path__startswith=p)
    return q


def audit_records_visible_to(user: Any) -> QuerySet[AuditRecord]:
    """The audit trail as `user` may read it (the list, a record, the export and the API)."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return AuditRecord.objects.all()
    if not scope.audit_paths:
        return AuditRecord.objects.none()
    q = _under(scope.audit_paths) | Q(scope_path="")
    if scope.audits_a_root:
        q |= Q(scope_path__isnull=True)
    return AuditRecord.objects.filter(q)


def audit_history_visible_to(user: Any, obj: Model, limit: int = 50) -> QuerySet[AuditRecord]:
    """The history panel of an object the user may manage: its records inside the user's read
    scope, organization-wide ones, and those of unknown scope (the page itself is gated)."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return audit_records_for_object(obj, limit)
    q = _under(scope.read_paths) | Q(scope_path="") | Q(scope_path__isnull=True)
    return audit_records_for_object(obj, limit, AuditRecord.objects.filter(q))
