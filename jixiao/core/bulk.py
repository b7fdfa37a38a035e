"""Set-based writes that stay linear in the number of rows.

Django's `bulk_update` builds one `CASE WHEN id = … THEN …` per field, which costs quadratic
time in the database and seconds of Python for a few thousand rows. `bulk_update_rows` sends
`UPDATE t SET … FROM (VALUES …) AS v WHERE t.id = v.id` instead, which SQLite (3.33+) and
PostgreSQL both execute as a join. (A `WITH` prefix would read better but hides the row count
from Python's sqlite3 module.)
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model

from jixiao.core.prepared import hot_cursor

# SQLite allows 32,766 bound parameters per statement; PostgreSQL 65,535.
MAX_PARAMETERS = 30_000


def bulk_update_rows(model: type[Model], objs: Sequence[Model], fields: Sequence[str]) -> int:
    """Write `fields` of every object in `objs` (matched by primary key); return rows written."""
    if not objs or not fields:
        return 0
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    columns: list[Field[object, object]] = [meta.get_field(name) for name in fields]  # type: ignore[misc]
    connection = connections[router.db_for_write(model)]
    rows = [
        (
            pk.get_db_prep_value(obj.pk, connection),
            *(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in columns),
        )
        for obj in objs
    ]
    return update_rows(model, fields, rows)


COPY_UPDATE_MIN = 5000
"""From this many rows PostgreSQL gets them by COPY into a temporary table, then one join."""


def update_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    keep_newer: tuple[str, Any] | None = None,
) -> int:
    """Write plain rows (the primary key, then the values of `fields` in database form:
    numbers, strings, dates, JSON as text, None) matched by primary key; return rows written.

    `keep_newer=(field, value)`: a row whose `field` is later than `value` (in database form)
    holds something newer than what is written, and is left as it is.

    The plain-row twin of bulk_update_rows, as insert_rows is of bulk_create: for 100,000
    appraisals, building model instances and preparing every value costs more than the
    UPDATE itself."""
    if not rows or not fields:
        return 0
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    columns: list[Field[object, object]] = [meta.get_field(name) for name in fields]  # type: ignore[misc]
    using = router.db_for_write(model)
    connection = connections[using]
    quote = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"

    def column(field: Field[object, object]) -> str:
        assert field.column is not None, f"{field} has no database column"
        return quote(field.column)

    all_fields = [pk, *columns]
    table = quote(meta.db_table)
    unless: tuple[str, list[Any]] = ("", [])
    if keep_newer is not None:
        newer = column(meta.get_field(keep_newer[0]))  # type: ignore[arg-type]
        unless = (
            f" AND ({table}.{newer} IS NULL OR {table}.{newer} <= %s)",
            [keep_newer[1]],
        )
    if postgres and len(rows) >= COPY_UPDATE_MIN:
        return _update_by_copy(connection, table, all_fields, column, rows, unless)

    def placeholder(field: Field[object, object]) -> str:
        # PostgreSQL types VALUES columns from their first row; untyped parameters are text.
        return f"%s::{field.cast_db_type(connection)}" if postgres else "%s"

    row_sql = "(" + ", ".join(placeholder(f) for f in all_fields) + ")"
    if postgres:
        alias = "v(" + ", ".join(column(f) for f in all_fields) + ")"
        value_of = [f"v.{column(f)}" for f in all_fields]
    else:  # SQLite names the columns of a VALUES list column1, column2, …
        alias = "v"
        value_of = [f"v.column{i}" for i in range(1, len(all_fields) + 1)]
    assignments = ", ".join(
        f"{column(f)} = {value}" for f, value in zip(columns, value_of[1:], strict=True)
    )
    batch = max(1, MAX_PARAMETERS // len(all_fields))
    written = 0
    with hot_cursor(connection) as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            params: list[Any] = [value for row in chunk for value in row]
            values = ", ".join([row_sql] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS {alias} "
                f"WHERE {table}.{column(pk)} = {value_of[0]}{unless[0]}",
                params + unless[1],
            )
            written += cursor.rowcount
    return written


def _update_by_copy(
    connection: Any,
    table: str,
    all_fields: Sequence[Field[object, object]],
    column: Any,
    rows: Sequence[Sequence[Any]],
    unless: tuple[str, list[Any]],
) -> int:
    temp = connection.ops.quote_name(f"jixiao_update_{uuid.uuid4().hex[:12]}")
    names = [column(f) for f in all_fields]
    definition = ", ".join(
        f"{name} {f.cast_db_type(connection)}" for name, f in zip(names, all_fields, strict=True)
    )
    assignments = ", ".join(f"{name} = t.{name}" for name in names[1:])
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} ({definition})")
        try:
            with cursor.cursor.copy(f"COPY {temp} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            # Without statistics the planner takes the new table for a large one and hashes
            # the whole target table for every batch (half the time of a 10,000-row update
            # of 100,000 appraisals); with them it walks the primary key.
            cursor.execute(f"ANALYZE {temp}")
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM {temp} AS t "
                f"WHERE {table}.{names[0]} = t.{names[0]}{unless[0]}",
                unless[1] or None,
            )
            written = int(cursor.rowcount)
        finally:
            cursor.execute(f"DROP TABLE {temp}")
    return written


COPY_FROM = 200
"""Fewer rows go in as one INSERT: a COPY costs three round trips however small it is."""


def insert_rows(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert plain rows (values in the order of `fields`, already in database form: ints,
    floats, strings, dates, None) without building model instances or reading ids back.

    PostgreSQL receives them through COPY, the fastest way in (a few rows, e.g. one rating
    form, through one INSERT); SQLite through multi-row INSERTs within its parameter limit. For hundreds of thousands of rows (rater assignments,
    ratings) where bulk_create spends most of its time in Python.
    """
    if not rows:
        return 0
    meta = model._meta
    using = router.db_for_write(model)
    connection = connections[using]
    quote = connection.ops.quote_name
    columns: list[str] = []
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, Field) and field.column is not None, name
        columns.append(field.column)
    table = quote(meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        batch = max(1, MAX_PARAMETERS // len(columns))
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([placeholders] * len(chunk))}",
                [value for row in chunk for value in row],
            )
    return len(rows)


def not_null_defaults(model: type[Model], given: Sequence[str]) -> tuple[list[str], list[Any]]:
    """The fields that insert_rows must fill although the caller does not give them (not
    null, not the primary key) and their defaults in database form, so a field added to the
    model later does not break a bulk insert."""
    connection = connections[router.db_for_write(model)]
    names: list[str] = []
    values: list[Any] = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.null or f.name in given or f.attname in given:
            continue
        names.append(f.name)
        values.append(f.get_db_prep_save(f.get_default(), connection))
    return names, values
