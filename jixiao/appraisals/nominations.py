"""Peer nominations: an appraisee proposes colleagues of their department to rate them, and
their direct superior approves or declines each one.

A nomination is a peer assignment with `nominated` set in the "pending" status: it is nobody's
to fill in and counts for nothing until approved, when it becomes an open assignment like the
generated ones; a declined one is cancelled (and may be proposed again). Nominations are taken
while the self group may rate (self-assessment and rating phases). Every step is audited on
the appraisal; the trail says who may rate, never what anyone rated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from jixiao.appraisals.cycles import rater_change
from jixiao.appraisals.models import Appraisal, Assignment, AssignmentStatus, RaterGroup
from jixiao.appraisals.self_assessment import SELF_PHASES
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import (
    DomainError,
    FieldError,
    concurrent_edit,
    forbidden,
    validation_failed,
)
from jixiao.core.notifications import NotificationEntry, notify_many
from jixiao.org.access import scope_for
from jixiao.org.models import Person, PersonStatus

MAX_NOMINATIONS = 10
ACTIVE = (
    AssignmentStatus.OPEN,
    AssignmentStatus.DRAFT,
    AssignmentStatus.SUBMITTED,
    AssignmentStatus.PENDING,
)


def _closed() -> DomainError:
    return DomainError(
        "nominations_closed",
        _("Peers are nominated during self-assessment and rating only."),
        status=409,
    )


def nomination_candidates(appraisal: Appraisal) -> QuerySet[Person]:
    """Colleagues of the appraisal's department who do not rate the person as peers yet."""
    taken = Assignment.objects.filter(
        appraisal_id=appraisal.pk,
        group=RaterGroup.PEER,
        status__in=ACTIVE,
        rater__isnull=False,  # code ratings have no rater; a NULL would empty the NOT IN
    ).values("rater_id")
    return (
        Person.objects.filter(department_id=appraisal.department_id, is_active=True)
        .exclude(status=PersonStatus.LEFT)
        .exclude(pk=appraisal.person_id)
        .exclude(pk__in=taken)
        .select_related("post")
        .order_by("employee_no")
    )


def nominations_of(appraisal: Appraisal) -> list[Assignment]:
    """The appraisee's own nominations, newest first, with their outcome."""
    return list(
        Assignment.objects.filter(appraisal_id=appraisal.pk, nominated=True)
        .select_related("rater")
        .order_by("-id")
    )


@transaction.atomic(durable=True)
def nominations_create(
    *, actor: Actor, user: Any, appraisal_id: int, person_ids: Sequence[int]
) -> list[Assignment]:
    """Propose peers for one's own appraisal; they wait for the direct superior."""
    me = scope_for(user).person_id
    appraisal = (
        Appraisal.objects.select_related("cycle", "cycle__scheme", "department", "person")
        .filter(pk=appraisal_id, person_id=me)
        .first()
        if me is not None
        else None
    )
    if appraisal is None:
        raise DomainError("not_found", _("Not found."), status=404)
    if appraisal.cycle.phase not in SELF_PHASES:
        raise _closed()
    if not appraisal.cycle.scheme.groups.filter(group=RaterGroup.PEER).exists():
        raise DomainError("no_peer_group", _("This cycle's scheme has no peer raters."), status=409)
    superior_id = appraisal.person.superior_id
    ids = list(dict.fromkeys(int(i) for i in person_ids))
    allowed = set(nomination_candidates(appraisal).filter(pk__in=ids).values_list("id", flat=True))
    errors: list[FieldError] = []
    if not ids:
        errors.append(FieldError("people", "required", _("Choose at least one colleague.")))
    if any(i not in allowed for i in ids):
        errors.append(
            FieldError(
                "people",
                "not_a_candidate",
                _("Choose colleagues of your department who do not rate you yet."),
            )
        )
    already = Assignment.objects.filter(
        appraisal_id=appraisal.pk, nominated=True, status__in=ACTIVE
    ).count()
    if already + len(ids) > MAX_NOMINATIONS:
        errors.append(
            FieldError(
                "people",
                "too_many",
                _("At most %(n)s nominations (you have %(m)s).")
                % {"n": MAX_NOMINATIONS, "m": already},
            )
        )
    if superior_id is None:
        errors.append(
            FieldError(
                None, "no_superior", _("You have no direct superior to approve nominations.")
            )
        )
    if errors:
        raise validation_failed(errors)
    assert superior_id is not None
    cancelled = {
        a.rater_id: a
        for a in Assignment.objects.filter(
            appraisal_id=appraisal.pk,
            group=RaterGroup.PEER,
            rater_id__in=ids,
            status=AssignmentStatus.CANCELLED,
        )
    }
    if cancelled:
        Assignment.objects.filter(pk__in=[a.pk for a in cancelled.values()]).update(
            status=AssignmentStatus.PENDING, nominated=True, version=F("version") + 1
        )
    Assignment.objects.bulk_create(
        [
            Assignment(
                cycle_id=appraisal.cycle_id,
                appraisal_id=appraisal.pk,
                group=RaterGroup.PEER,
                rater_id=i,
                status=AssignmentStatus.PENDING,
                nominated=True,
            )
            for i in ids
            if i not in cancelled
        ]
    )
    audit.record(
        actor,
        "appraisals.nomination.create",
        appraisal,
        (
            {"nominated": [None, ids]}
            if "rater" in rater_change(appraisal.cycle, RaterGroup.PEER, None, 0)
            else {"nominated": [0, len(ids)]}
        ),
        scope_path=appraisal.department.path,
    )
    superior_user = Person.objects.filter(pk=superior_id).values_list("user_id", flat=True).first()
    if superior_user is not None:
        entry = NotificationEntry(
            user_id=superior_user,
            key=f"appraisals.nomination:{appraisal.pk}:{'-'.join(map(str, sorted(ids)))}",
            title=_("%(name)s nominated %(n)s peers to rate them in %(cycle)s")
            % {"name": appraisal.person.name, "n": len(ids), "cycle": appraisal.cycle.name},
            url=reverse("appraisals:nomination_list"),
        )
        transaction.on_commit(lambda: notify_many([entry]))
    return list(
        Assignment.objects.filter(
            appraisal_id=appraisal.pk, group=RaterGroup.PEER, rater_id__in=ids
        ).order_by("id")
    )


def nominations_to_decide(user: Any) -> QuerySet[Assignment]:
    """Pending nominations of the user's direct reports."""
    me = scope_for(user).person_id
    if me is None:
        return Assignment.objects.none()
    return (
        Assignment.objects.filter(
            status=AssignmentStatus.PENDING, nominated=True, appraisal__person__superior_id=me
        )
        .select_related(
            "cycle", "rater", "rater__post", "appraisal__person", "appraisal__department"
        )
        .order_by("cycle_id", "appraisal__person__employee_no", "id")
    )


@transaction.atomic(durable=True)
def nomination_decide(
    *, actor: Actor, user: Any, assignment_id: int, expected_version: int, approve: bool
) -> Assignment:
    """The direct superior approves a nomination (an open assignment) or declines it."""
    me = scope_for(user).person_id
    found = (
        Assignment.objects.select_related(
            "cycle", "appraisal", "appraisal__person", "appraisal__department"
        )
        .filter(pk=assignment_id, nominated=True)
        .first()
    )
    if found is None or me is None:
        raise DomainError("not_found", _("Not found."), status=404)
    if found.appraisal.person.superior_id != me:
        if found.appraisal.person_id == me:
            raise forbidden()
        raise DomainError("not_found", _("Not found."), status=404)
    if found.status != AssignmentStatus.PENDING:
        raise DomainError("already_decided", _("This nomination was already decided."), status=409)
    if found.cycle.phase not in SELF_PHASES:
        raise _closed()
    status = AssignmentStatus.OPEN if approve else AssignmentStatus.CANCELLED
    if not Assignment.objects.filter(
        pk=found.pk, version=expected_version, status=AssignmentStatus.PENDING
    ).update(status=status, version=F("version") + 1):
        raise concurrent_edit()
    audit.record(
        actor,
        "appraisals.nomination.approve" if approve else "appraisals.nomination.decline",
        found.appraisal,
        {
            **rater_change(found.cycle, found.group, None, found.rater_id),
            "status": [AssignmentStatus.PENDING, status],
        },
        scope_path=found.appraisal.department.path,
    )
    person_user = found.appraisal.person.user_id
    if person_user is not None:
        entry = NotificationEntry(
            user_id=person_user,
            key=f"appraisals.nomination-decided:{found.pk}:{found.version + 1}",
            title=(
                _("Your nomination of a peer was approved")
                if approve
                else _("Your nomination of a peer was declined")
            ),
            url=reverse("appraisals:self", args=[found.cycle_id]),
        )
        transaction.on_commit(lambda: notify_many([entry]))
    found.refresh_from_db()
    return found
