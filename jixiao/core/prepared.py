"""Cursors for the statements every rating form runs, which PostgreSQL parses and plans once
per connection instead of once per form.

Django's PostgreSQL backend binds parameters on the client: each statement travels as text
with its values inlined, and the server parses and plans it anew. For a form that costs
about as much as running its statements (planning the join that reads an assignment with
its appraisal, cycle and scheme takes longer than the read). `hot_cursor()` gives a cursor
of the same connection and transaction that sends the values apart (server-side binding);
psycopg then prepares a statement once it has run `DATABASES["default"]["OPTIONS"]
["prepare_threshold"]` times on the connection (JIXIAO_DB_PREPARE_THRESHOLD, default 5; "off"
for a transaction-mode connection pooler, which cannot keep prepared statements).

Only the hot paths use it; the rest of the application keeps Django's own cursors. Queries
through it are counted and logged like any other (it is wrapped the way Django wraps its
cursors). Other databases get their ordinary cursor (SQLite caches its statements itself).
"""

from __future__ import annotations

from typing import Any

from django.db import connection as default_connection


def hot_cursor(connection: Any = None) -> Any:
    """A cursor of `connection` (the default one if not given) whose repeated statements are
    prepared (PostgreSQL), for `with hot_cursor() as cursor:` like `connection.cursor()`."""
    connection = default_connection if connection is None else connection
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg  # only on PostgreSQL

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    raw = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


KEYED_PLANS_ONLY = (
    "set_config('enable_seqscan', 'off', true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
)
"""Select-list items for the first statement of a form's transaction (PostgreSQL). Every
later statement of the transaction looks rows up by key (an assignment's ratings, an
appraisal's scores, the raters' statistics). With statistics older than the rows (a new
cycle's first forms, autovacuum off) the planner takes the tables for tiny and scans them
whole, every form; and for a grid's few thousand rows it plans parallel workers that cost
more to start than they save. Both are off for the rest of the transaction only."""
