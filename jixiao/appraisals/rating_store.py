"""Storing a rater's submission: the compare-and-set on the assignments, their comments, the
ratings that replace the previous ones and the audit records, as few statements as the
database allows (every form pays for each round trip).

PostgreSQL gets one statement: data-modifying WITH clauses run on one snapshot, so the parts
must not touch the same rows twice. They do not: the old ratings that are deleted are those
whose item is not rated again, and the ones rated again are updated in place by the upsert.
The caller compares the count of moved assignments with what it asked for and raises, which
rolls the whole transaction back. Other databases (SQLite) get one statement per part.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Field

from jixiao.appraisals.models import Assignment, AssignmentStatus, Rating
from jixiao.core.audit import AUDIT_COLUMNS
from jixiao.core.bulk import insert_rows
from jixiao.core.models import AuditRecord
from jixiao.core.prepared import hot_cursor

RatingRow = tuple[int, int, float, int | None]
"""(assignment, item, value, BARS level)."""

ONE_STATEMENT_ROWS = 2000
"""Up to this many ratings PostgreSQL stores a submission in one statement; a larger one
(no form is that large) goes part by part, the ratings by COPY."""

RATING_COLUMNS = ("assignment", "item", "value", "level")


@dataclass(frozen=True)
class Submission:
    versions: Sequence[tuple[int, int]]
    """(assignment, version the rater saw)."""
    status: str
    submitted_at: datetime.datetime | None
    comments: dict[int, str]
    ratings: Sequence[RatingRow]
    audit_rows: Sequence[Sequence[Any]]
    """Rows in the order of core.audit.AUDIT_COLUMNS (core.audit.audit_rows)."""


def store(submission: Submission) -> int:
    """Write the submission; return how many assignments moved (fewer than asked: someone
    else saved first, or the assignment is no longer open)."""
    if connection.vendor == "postgresql" and len(submission.ratings) <= ONE_STATEMENT_ROWS:
        return _store_in_one_statement(submission)
    moved = _compare_and_set(submission)
    ids = [pk for pk, _version in submission.versions]
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_table(Rating)} WHERE assignment_id IN ({_marks(len(ids))})", ids
        )
    insert_rows(Rating, RATING_COLUMNS, submission.ratings)
    insert_rows(AuditRecord, AUDIT_COLUMNS, submission.audit_rows)
    return moved


def _table(model: type[Any]) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _marks(n: int, width: int = 1) -> str:
    one = "%s" if width == 1 else "(" + ", ".join(["%s"] * width) + ")"
    return ", ".join([one] * n)


def _update_sql(submission: Submission) -> tuple[str, list[Any]]:
    """The compare-and-set UPDATE (the comments written in the same statement)."""
    when = Assignment._meta.get_field("submitted_at").get_db_prep_value(
        submission.submitted_at, connection
    )
    params: list[Any] = [submission.status, when]
    comment = ""
    if submission.comments:
        cases = " ".join(["WHEN %s THEN %s"] * len(submission.comments))
        comment = f", comment = CASE id {cases} ELSE comment END"
        params += [v for pair in submission.comments.items() for v in pair]
    pairs = " OR ".join(["(id = %s AND version = %s)"] * len(submission.versions))
    params += [AssignmentStatus.OPEN, AssignmentStatus.DRAFT]
    params += [v for pair in submission.versions for v in pair]
    sql = (
        f"UPDATE {_table(Assignment)} SET status = %s, version = version + 1, "
        f"submitted_at = %s{comment} WHERE status IN (%s, %s) AND ({pairs})"
    )
    return sql, params


def _compare_and_set(submission: Submission) -> int:
    sql, params = _update_sql(submission)
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _store_in_one_statement(submission: Submission) -> int:
    update, params = _update_sql(submission)
    ids = [pk for pk, _version in submission.versions]
    ratings = _table(Rating)
    parts = [f"moved AS ({update} RETURNING id)"]
    kept = ""
    if submission.ratings:
        kept = f" AND (assignment_id, item_id) NOT IN (VALUES {_marks(len(submission.ratings), 2)})"
    parts.append(
        f"gone AS (DELETE FROM {ratings} WHERE assignment_id IN ({_marks(len(ids))}){kept})"
    )
    params += ids
    params += [v for row in submission.ratings for v in row[:2]]
    if submission.ratings:
        parts.append(
            f"put AS (INSERT INTO {ratings} (assignment_id, item_id, value, level) "
            f"VALUES {_marks(len(submission.ratings), 4)} "
            f"ON CONFLICT (assignment_id, item_id) DO UPDATE "
            f"SET value = EXCLUDED.value, level = EXCLUDED.level)"
        )
        params += [v for row in submission.ratings for v in row]
    if submission.audit_rows:
        fields = [AuditRecord._meta.get_field(name) for name in AUDIT_COLUMNS]
        columns = ", ".join(
            connection.ops.quote_name(str(f.column)) for f in fields if isinstance(f, Field)
        )
        parts.append(
            f"logged AS (INSERT INTO {_table(AuditRecord)} ({columns}) "
            f"VALUES {_marks(len(submission.audit_rows), len(AUDIT_COLUMNS))})"
        )
        params += [v for row in submission.audit_rows for v in row]
    with hot_cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT COUNT(*) FROM moved", params)
        row = cursor.fetchone()
    return int(row[0]) if row else 0
