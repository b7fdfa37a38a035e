"""Several writes of one service call sent as one statement where the database allows it.

A rating form or a summary is a compare-and-set UPDATE plus a few other writes (its ratings,
its audit record). On PostgreSQL they go as one statement of data-modifying WITH clauses, one
round trip instead of several; elsewhere (SQLite) one after the other. The caller compares
the compare-and-set's row count with what it expected and raises, which rolls the whole
transaction back, the other writes included.

The WITH clauses run on one snapshot and in no set order, so the writes must not touch the
same rows: the callers make sure of it (the ratings deleted are those not written again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Field

from jixiao.core.audit import AUDIT_COLUMNS
from jixiao.core.models import AuditRecord
from jixiao.core.prepared import KEYED_PLANS_ONLY, hot_cursor


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Sequence[Any] = field(default_factory=list)


def marks(n: int, width: int = 1) -> str:
    """`n` placeholders, or `n` parenthesized rows of `width` placeholders."""
    one = "%s" if width == 1 else "(" + ", ".join(["%s"] * width) + ")"
    return ", ".join([one] * n)


def table(model: type[Any]) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def audit_insert(rows: Sequence[Sequence[Any]]) -> Statement | None:
    """The INSERT of audit rows made by core.audit.audit_rows (None for no rows)."""
    if not rows:
        return None
    fields = [AuditRecord._meta.get_field(name) for name in AUDIT_COLUMNS]
    columns = ", ".join(
        connection.ops.quote_name(str(f.column)) for f in fields if isinstance(f, Field)
    )
    return Statement(
        f"INSERT INTO {table(AuditRecord)} ({columns}) VALUES {marks(len(rows), len(AUDIT_COLUMNS))}",
        [v for row in rows for v in row],
    )


def write_together(update: Statement, *others: Statement | None) -> int:
    """Run the compare-and-set `update` (an UPDATE without RETURNING) and the `others`
    (writes on other rows); return how many rows `update` changed."""
    rest = [s for s in others if s is not None]
    if connection.vendor == "postgresql":
        parts = [f"w0 AS ({update.sql} RETURNING 1)"]
        parts += [f"w{k} AS ({s.sql})" for k, s in enumerate(rest, start=1)]
        params = [*update.params, *(v for s in rest for v in s.params)]
        with hot_cursor() as cursor:
            # (keeps any later statement of the transaction on its indexes, see prepared.py)
            cursor.execute(
                f"WITH {', '.join(parts)} SELECT (SELECT COUNT(*) FROM w0), {KEYED_PLANS_ONLY}",
                params,
            )
            row = cursor.fetchone()
        return int(row[0]) if row else 0
    with hot_cursor() as cursor:
        cursor.execute(update.sql, list(update.params))
        changed = int(cursor.rowcount)
        for s in rest:
            cursor.execute(s.sql, list(s.params))
    return changed
