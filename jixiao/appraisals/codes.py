"""One-time codes (考核码) for anonymous democratic appraisal without accounts.

The office creates a batch for the staff of a department; the codes are shown once, on a
sheet to print and hand out, and only their keyed hashes are kept. Nothing records which code
went to whom. A code opens one rating session covering everyone of the batch's department;
it submits once, and the ratings it gave belong to assignments without a rater.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    CodeBatch,
    Cycle,
    CyclePhase,
    RaterGroup,
    RatingCode,
)
from jixiao.appraisals.permissions import can_manage_cycle
from jixiao.appraisals.rating import AssignmentInput, write_ratings
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError, FieldError, forbidden, validation_failed
from jixiao.org.models import Department

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
CODE_LENGTH = 10
MAX_BATCH = 2000


def code_hash(code: str) -> str:
    """A keyed hash, so a copy of the database cannot be searched for codes offline."""
    normal = code.replace("-", "").replace(" ", "").upper()
    return hmac.new(settings.SECRET_KEY.encode(), normal.encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


@dataclass(frozen=True)
class NewBatch:
    batch: CodeBatch
    codes: list[str]
    """The plain codes, for the sheet to print now; they are not stored anywhere."""


@transaction.atomic(durable=True)
def code_batch_create(
    *,
    actor: Actor,
    user: Any,
    cycle_id: int,
    department_id: int,
    size: int,
    group: str = RaterGroup.PEER,
    form_token: str = "",
) -> NewBatch:
    """A batch of codes for the ratees of a department; `form_token` (the creating form's)
    refuses a resubmitted form, so a reloaded sheet never makes a second batch."""
    cycle = Cycle.objects.select_related("unit").filter(pk=cycle_id).first()
    if cycle is None:
        raise DomainError("not_found", _("Not found."), status=404)
    if not can_manage_cycle(user, cycle):
        raise forbidden()
    errors: list[FieldError] = []
    department = Department.objects.filter(pk=department_id).first()
    if department is None or not department.path.startswith(cycle.unit.path):
        errors.append(
            FieldError(
                "department", "unknown_department", _("Choose a department of the cycle's unit.")
            )
        )
    if not 1 <= size <= MAX_BATCH:
        errors.append(
            FieldError("size", "out_of_range", _("From 1 to %(n)s codes.") % {"n": MAX_BATCH})
        )
    if not cycle.scheme.groups.filter(group=group).exists():
        errors.append(
            FieldError("group", "invalid_group", _("Choose a rater group of the scheme."))
        )
    if cycle.phase in (CyclePhase.RESULTS, CyclePhase.CLOSED):
        errors.append(
            FieldError(None, "cycle_finished", _("The cycle has results; no more codes."))
        )
    if form_token and CodeBatch.objects.filter(form_token=form_token).exists():
        raise DomainError("codes_already_shown", _("The codes are shown only once."), status=409)
    if errors:
        raise validation_failed(errors)
    assert department is not None
    if not Appraisal.objects.filter(
        cycle=cycle, department__path__startswith=department.path
    ).exists():
        raise validation_failed(
            [
                FieldError(
                    "department",
                    "nobody_to_rate",
                    _("Nobody in this department is appraised in the cycle."),
                )
            ]
        )
    batch = CodeBatch.objects.create(
        cycle=cycle,
        department=department,
        group=group,
        size=size,
        created_by_id=actor.user_id,
        form_token=form_token[:64],
        printed_at=timezone.now(),  # the plain codes exist only in the response showing them
    )
    codes: list[str] = []
    hashes: set[str] = set()
    while len(codes) < size:
        code = _new_code()
        h = code_hash(code)
        if h not in hashes:
            hashes.add(h)
            codes.append(code)
    RatingCode.objects.bulk_create([RatingCode(batch=batch, code_hash=h) for h in hashes])
    audit.record(
        actor,
        "appraisals.codes.create",
        cycle,
        {"department": [None, department.pk], "codes": [0, size], "group": [None, group]},
        scope_path=department.path,
    )
    return NewBatch(batch, codes)


def code_lookup(code: str) -> RatingCode:
    """The unused code, or an error that says no more than "this code cannot be used"."""
    found = (
        RatingCode.objects.select_related("batch", "batch__cycle", "batch__department")
        .filter(code_hash=code_hash(code))
        .first()
    )
    if found is None or found.used_at is not None:
        raise DomainError(
            "code_invalid", _("This code is not valid or has already been used."), status=404
        )
    if found.batch.cycle.phase != CyclePhase.RATING:
        raise DomainError("rating_closed", _("Rating is not open in this cycle."), status=409)
    return found


@transaction.atomic(durable=True)
def code_open(*, code: str) -> RatingCode:
    """Start the session of a code (the first opening is kept; a code may be reopened until
    it submits)."""
    found = code_lookup(code)
    if found.opened_at is None:
        RatingCode.objects.filter(pk=found.pk, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )
    return found


def code_ratees(found: RatingCode) -> list[Appraisal]:
    return list(
        Appraisal.objects.filter(
            cycle=found.batch.cycle, department__path__startswith=found.batch.department.path
        )
        .select_related("person", "department", "post")
        .order_by("department__path", "person__employee_no")
    )


@dataclass
class CodeRating:
    appraisal_id: int
    ratings: list[Any]
    comment: str = ""


@transaction.atomic(durable=True)
def code_submit(*, code_id: int, entries: Sequence[CodeRating]) -> int:
    """Submit the code's ratings of the batch's ratees, once. Returns how many people it rated."""
    found = (
        RatingCode.objects.select_related("batch", "batch__cycle", "batch__department")
        .filter(pk=code_id)
        .first()
    )
    if found is None or found.used_at is not None:
        raise DomainError(
            "code_invalid", _("This code is not valid or has already been used."), status=404
        )
    cycle = found.batch.cycle
    if cycle.phase != CyclePhase.RATING:
        raise DomainError("rating_closed", _("Rating is not open in this cycle."), status=409)
    allowed = {a.pk for a in code_ratees(found)}
    if not entries or any(e.appraisal_id not in allowed for e in entries):
        raise validation_failed(
            [FieldError(None, "unknown_ratee", _("Rate the people listed for this code."))]
        )
    if not RatingCode.objects.filter(pk=found.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    ):
        raise DomainError(
            "code_invalid", _("This code is not valid or has already been used."), status=404
        )
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                cycle=cycle,
                appraisal_id=e.appraisal_id,
                group=found.batch.group,
                code=found,
                status=AssignmentStatus.OPEN,
            )
            for e in entries
        ]
    )
    loaded = {
        a.pk: a
        for a in Assignment.objects.filter(pk__in=[a.pk for a in assignments]).select_related(
            "cycle", "cycle__unit", "appraisal", "appraisal__department"
        )
    }
    write_ratings(
        actor=Actor(user_id=None, label="考核码 / rating code", source="web"),
        entries=[
            AssignmentInput(a.pk, 1, e.ratings, e.comment)
            for a, e in zip(assignments, entries, strict=True)
        ],
        assignments=loaded,
        submit=True,
    )
    return len(entries)


def batch_counts(batch: CodeBatch) -> dict[str, int]:
    """What the office sees of a batch: counts, never which code is which."""
    codes = RatingCode.objects.filter(batch=batch)
    return {
        "size": batch.size,
        "opened": codes.filter(opened_at__isnull=False).count(),
        "used": codes.filter(used_at__isnull=False).count(),
    }
