"""Writing audit records. Called by services inside their transaction.

Each record carries the department subtree its object belonged to when it was written
(`scope_path`, a materialized path such as "/1/5/", or "" for organization-wide objects), so that
an auditor over one subtree reads only that subtree's records. Objects say where they belong by
the `AuditScoped` protocol; a bulk writer that already holds the paths passes them instead, so
that deriving them never costs a query per record.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connections, models, router
from django.utils import timezone

from jixiao.core.actor import Actor
from jixiao.core.bulk import insert_rows
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


class AuditScoped(Protocol):
    """A model whose audit records belong to a department subtree."""

    def audit_scope_path(self) -> str:
        """The materialized path ("/1/5/") of the subtree, or "" for organization-wide."""
        ...


def scope_path_of(obj: models.Model) -> str:
    """Where obj's records belong: its `audit_scope_path()`, or "" when it has none.

    The method may read a related department; bulk writers pass `scope_path` to `entry` instead.
    """
    method = getattr(obj, "audit_scope_path", None)
    return str(method()) if callable(method) else ""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    action: str
    object_type: str
    object_id: str
    object_label: str
    changes: Changes
    scope_path: str = ""


def entry(
    action: str, obj: models.Model, changes: Changes, *, scope_path: str | None = None
) -> AuditEntry:
    return AuditEntry(
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_label=str(obj)[:255],
        changes=changes,
        scope_path=scope_path_of(obj) if scope_path is None else scope_path,
    )


def record(
    actor: Actor,
    action: str,
    obj: models.Model,
    changes: Changes,
    reason: str = "",
    *,
    scope_path: str | None = None,
) -> None:
    record_many(actor, [entry(action, obj, changes, scope_path=scope_path)], reason=reason)


AUDIT_COLUMNS = (
    "at",
    "actor",
    "actor_label",
    "source",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "changes",
    "reason",
    "scope_path",
)


def record_many(actor: Actor, entries: Iterable[AuditEntry], reason: str = "") -> int:
    """Write one record per entry, all at the same time: plain rows in one statement (or a
    COPY), since every rating form writes its record and model instances cost more."""
    return insert_rows(AuditRecord, AUDIT_COLUMNS, audit_rows(actor, entries, reason))


def audit_rows(
    actor: Actor, entries: Iterable[AuditEntry], reason: str = ""
) -> list[tuple[Any, ...]]:
    """The records of `entries` as plain rows in the order of AUDIT_COLUMNS, in database
    form, for a writer that inserts them within a statement of its own."""
    connection = connections[router.db_for_write(AuditRecord)]
    meta = AuditRecord._meta

    def prepared(name: str, value: Any) -> Any:
        return meta.get_field(name).get_db_prep_save(value, connection)  # type: ignore[union-attr]

    at = prepared("at", timezone.now())
    ip = prepared("ip", actor.ip)
    actor_label = actor.label[:150]
    return [
        (
            at,
            actor.user_id,
            actor_label,
            actor.source,
            ip,
            e.action,
            e.object_type,
            e.object_id,
            e.object_label[:255],
            prepared("changes", e.changes),
            reason,
            e.scope_path,
        )
        for e in entries
    ]
