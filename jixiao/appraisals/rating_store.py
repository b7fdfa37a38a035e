"""Storing a rater's submission: the compare-and-set on the assignments (with their
comments), the ratings that replace the previous ones and the audit records, in one
statement on PostgreSQL (core.statements.write_together; every form pays each round trip).

The writes touch different rows, as write_together requires: the old ratings deleted are
those whose item is not rated again, and the ones rated again are updated in place by an
upsert.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from jixiao.appraisals.models import Assignment, AssignmentStatus, Rating
from jixiao.core.audit import AUDIT_COLUMNS
from jixiao.core.bulk import insert_rows
from jixiao.core.models import AuditRecord
from jixiao.core.statements import Statement, audit_insert, marks, table, write_together

RatingRow = tuple[int, int, float, int | None]
"""(assignment, item, value, BARS level)."""

ONE_STATEMENT_ROWS = 2000
"""Up to this many ratings a submission is stored in one statement; a larger one (no form is
that large) goes part by part, the ratings by COPY."""

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
    ids = [pk for pk, _version in submission.versions]
    if len(submission.ratings) <= ONE_STATEMENT_ROWS:
        return write_together(
            _compare_and_set(submission),
            _delete_others(ids, submission.ratings),
            _upsert(submission.ratings),
            audit_insert(submission.audit_rows),
        )
    moved = write_together(_compare_and_set(submission), _delete_others(ids, []))
    insert_rows(Rating, RATING_COLUMNS, submission.ratings)
    insert_rows(AuditRecord, AUDIT_COLUMNS, submission.audit_rows)
    return moved


def _compare_and_set(submission: Submission) -> Statement:
    """The assignments to their new status, if still open or a draft at the versions the
    rater saw, with their comments."""
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
    return Statement(
        f"UPDATE {table(Assignment)} SET status = %s, version = version + 1, "
        f"submitted_at = %s{comment} WHERE status IN (%s, %s) AND ({pairs})",
        params,
    )


def _delete_others(ids: list[int], ratings: Sequence[RatingRow]) -> Statement:
    """The assignments' earlier ratings of items not rated again (all of them when none
    are): an assignment handed over or re-added may keep the draft ratings it had."""
    sql = f"DELETE FROM {table(Rating)} WHERE assignment_id IN ({marks(len(ids))})"
    params: list[Any] = list(ids)
    if ratings:
        sql += f" AND (assignment_id, item_id) NOT IN (VALUES {marks(len(ratings), 2)})"
        params += [v for row in ratings for v in row[:2]]
    return Statement(sql, params)


def _upsert(ratings: Sequence[RatingRow]) -> Statement | None:
    if not ratings:
        return None
    return Statement(
        f"INSERT INTO {table(Rating)} (assignment_id, item_id, value, level) "
        f"VALUES {marks(len(ratings), 4)} ON CONFLICT (assignment_id, item_id) "
        f"DO UPDATE SET value = excluded.value, level = excluded.level",
        [v for row in ratings for v in row],
    )
