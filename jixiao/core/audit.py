"""Writing audit records. Called by services inside their transaction."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models

from jixiao.core.actor import Actor
from jixiao.core.models import AuditRecord

Changes = dict[str, list[Any]]


def plain(value: Any) -> Any:
    """A JSON-friendly form of a field value for before/after."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.TextChoices | models.IntegerChoices):
        return value.value
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The audited fields of an object; foreign keys by their id."""
    out: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        out[name] = plain(getattr(obj, attname))
    return out


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """Only the fields that changed, as {field: [before, after]}."""
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    return {
        k: [plain(before.get(k)), plain(after.get(k))]
        for k in keys
        if plain(before.get(k)) != plain(after.get(k))
    }


@dataclass(frozen=True, slots=True)
class AuditEntry:
    action: str
    object_type: str
    object_id: str
    object_label: str
    changes: Changes


def entry(action: str, obj: models.Model, changes: Changes) -> AuditEntry:
    return AuditEntry(
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_label=str(obj)[:255],
        changes=changes,
    )


def record(
    actor: Actor, action: str, obj: models.Model, changes: Changes, reason: str = ""
) -> None:
    record_many(actor, [entry(action, obj, changes)], reason=reason)


def record_many(actor: Actor, entries: Iterable[AuditEntry], reason: str = "") -> int:
    rows = [
        AuditRecord(
            actor_id=actor.user_id,
            actor_label=actor.label[:150],
            source=actor.source,
            ip=actor.ip,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            object_label=e.object_label[:255],
            changes=e.changes,
            reason=reason,
        )
        for e in entries
    ]
    AuditRecord.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
