"""The appraisee's own part of a cycle: the personal summary (述职) and what stands next to it.

The summary is saved as a draft as often as the person likes and submitted once, each write a
compare-and-set on the appraisal's version; it is open while the self group may rate (the
self-assessment and rating phases). Self-ratings go through the self group's assignment and
rating.ratings_save like every other rating.

Who reads a submitted summary: whoever may read the appraisal, and the people asked to rate
the person in the cycle (a rater should know what the person says they achieved).
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django.db import connection, transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.appraisals.grid import HIDDEN_STATUSES
from jixiao.appraisals.models import Appraisal, Assignment, Cycle, RaterGroup
from jixiao.appraisals.permissions import can_read_appraisal
from jixiao.appraisals.rating import DEFAULT_PHASES, RATING_PHASES
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError, FieldError, concurrent_edit, validation_failed
from jixiao.core.joined_rows import JoinedModel, build_all
from jixiao.core.prepared import KEYED_PLANS_ONLY, hot_cursor
from jixiao.core.statements import Statement, audit_insert, table, write_together
from jixiao.goals.models import Evidence, Goal, KeyResult
from jixiao.org.access import scope_for
from jixiao.org.models import Department, Person

MAX_SUMMARY = 20000
SELF_PHASES = RATING_PHASES.get(RaterGroup.SELF, DEFAULT_PHASES)


def own_appraisal(user: Any, cycle_id: int) -> Appraisal:
    """The signed-in person's appraisal in the cycle, or 404."""
    person_id = scope_for(user).person_id
    found = (
        Appraisal.objects.select_related("cycle", "cycle__unit", "person", "department", "post")
        .filter(cycle_id=cycle_id, person_id=person_id)
        .first()
        if person_id is not None
        else None
    )
    if found is None:
        raise Http404
    return found


def summary_is_open(appraisal: Appraisal) -> bool:
    return appraisal.self_submitted_at is None and appraisal.cycle.phase in SELF_PHASES


def is_rater_of(user: Any, appraisal: Appraisal) -> bool:
    person_id = scope_for(user).person_id
    return (
        person_id is not None
        and Assignment.objects.filter(appraisal_id=appraisal.pk, rater_id=person_id)
        .exclude(status__in=HIDDEN_STATUSES)
        .exists()
    )


def can_read_summary(user: Any, appraisal: Appraisal) -> bool:
    """The summary once submitted: for the appraisal's readers and the person's raters; the
    person reads their own draft too."""
    if scope_for(user).person_id == appraisal.person_id:
        return True
    if appraisal.self_submitted_at is None:
        return False
    return can_read_appraisal(user, appraisal) or is_rater_of(user, appraisal)


@transaction.atomic(durable=True)
def appraisal_summary_save(
    *,
    actor: Actor,
    user: Any,
    appraisal_id: int,
    expected_version: int,
    summary: str,
    submit: bool,
) -> Appraisal:
    """Save the person's summary as a draft, or submit it (then it no longer changes)."""
    appraisal = _own_appraisal_for_writing(user, appraisal_id)
    if appraisal is None:
        raise DomainError("not_found", _("Not found."), status=404)
    if appraisal.cycle.phase not in SELF_PHASES:
        raise DomainError(
            "self_assessment_closed",
            _("Self-assessment is not open in this cycle (it is %(phase)s).")
            % {"phase": appraisal.cycle.get_phase_display()},
            status=409,
        )
    if appraisal.self_submitted_at is not None:
        raise DomainError("already_submitted", _("Your summary was already submitted."), status=409)
    text = summary.replace("\r\n", "\n").strip()
    errors: list[FieldError] = []
    if len(text) > MAX_SUMMARY:
        errors.append(
            FieldError(
                "summary",
                "too_long",
                _("At most %(n)s characters (this has %(m)s).")
                % {"n": MAX_SUMMARY, "m": len(text)},
            )
        )
    if submit and not text:
        errors.append(
            FieldError("summary", "required", _("Write your summary before submitting it."))
        )
    if errors:
        raise validation_failed(errors)
    now = timezone.now()
    changes: dict[str, list[Any]] = {"summary_chars": [len(appraisal.summary), len(text)]}
    if submit:
        changes["self_submitted_at"] = [None, now.isoformat()]
    entry = audit.entry(
        "appraisals.summary.submit" if submit else "appraisals.summary.save",
        appraisal,
        changes,
        scope_path=appraisal.department.path,
    )
    submitted_at = now if submit else None
    update = Statement(
        f"UPDATE {table(Appraisal)} SET summary = %s, self_submitted_at = %s, "
        f"version = version + 1 WHERE id = %s AND version = %s AND self_submitted_at IS NULL",
        [
            text,
            Appraisal._meta.get_field("self_submitted_at").get_db_prep_value(
                submitted_at, connection
            ),
            appraisal.pk,
            expected_version,
        ],
    )
    if not write_together(update, audit_insert(audit.audit_rows(actor, [entry]))):
        raise concurrent_edit()
    # The compare-and-set wrote exactly these (the row stays locked until commit).
    appraisal.summary, appraisal.version = text, expected_version + 1
    appraisal.self_submitted_at = submitted_at
    return appraisal


@functools.cache
def _summary_join() -> tuple[JoinedModel[Any], ...]:
    return (
        JoinedModel(Appraisal, "ap", leave_out=("breakdown",)),
        JoinedModel(Cycle, "c"),
        JoinedModel(Department, "d"),
    )


def _own_appraisal_for_writing(user: Any, appraisal_id: int) -> Appraisal | None:
    """The user's own appraisal with its cycle and department, in one query written out
    (each summary save runs it; see rating._own_assignments)."""
    if user is None or not user.is_authenticated:
        return None
    joined = _summary_join()
    hint = f", {KEYED_PLANS_ONLY}" if connection.vendor == "postgresql" else ""
    with hot_cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(m.columns() for m in joined)}{hint} "
            f"FROM {table(Appraisal)} ap JOIN {table(Cycle)} c ON c.id = ap.cycle_id "
            f"JOIN {table(Department)} d ON d.id = ap.department_id "
            f"WHERE ap.id = %s AND ap.person_id = "
            f"(SELECT p.id FROM {table(Person)} p WHERE p.user_id = %s)",
            [appraisal_id, user.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    appraisal, appraisal.cycle, appraisal.department = build_all(joined, row)
    return appraisal  # type: ignore[no-any-return]


# ---------------------------------------------------------------- evidence from goals


def goals_of_cycle(person_id: int, start: datetime.date, end: datetime.date) -> QuerySet[Goal]:
    """The person's goals overlapping the cycle, with key results and evidence (three
    queries), as the evidence next to the self-assessment."""
    return (
        Goal.objects.filter(person_id=person_id, period_start__lte=end, period_end__gte=start)
        .prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.order_by("position", "id")),
            Prefetch("evidence", queryset=Evidence.objects.order_by("-added_at", "-id")),
        )
        .order_by("period_start", "-weight", "id")
    )
