"""Reads of the audit trail. Who may read which records is decided in org (audit_selectors),
which passes the records a user may see to these filters."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Model, QuerySet

from jixiao.core.models import AuditRecord


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    source: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def audit_records_filtered(
    f: AuditFilter, records: QuerySet[AuditRecord] | None = None
) -> QuerySet[AuditRecord]:
    """`records` narrowed by the filter; all records when None (trusted callers only)."""
    qs = AuditRecord.objects.all() if records is None else records
    if f.actor:
        qs = qs.filter(actor_label__icontains=f.actor.strip())
    if f.action:
        qs = qs.filter(action__startswith=f.action.strip())
    if f.object_type:
        qs = qs.filter(object_type=f.object_type.strip())
    if f.object_id:
        qs = qs.filter(object_id=f.object_id.strip())
    if f.source:
        qs = qs.filter(source=f.source)
    if f.date_from:
        qs = qs.filter(at__date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(at__date__lte=f.date_to)
    return qs.order_by("-at", "-id")


def audit_records_for_object(
    obj: Model, limit: int = 50, records: QuerySet[AuditRecord] | None = None
) -> QuerySet[AuditRecord]:
    """The history of one object among `records` (all when None), newest first."""
    qs = AuditRecord.objects.all() if records is None else records
    return qs.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by(
        "-at", "-id"
    )[:limit]
