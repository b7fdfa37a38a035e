"""The office's corrections after a cycle is created: the settings a cycle keeps changeable
(its name, the phase deadlines, the unit's own grade, whether a higher share of the top
grade was approved) and one person's eligibility (e.g. 拒不参加考核, which yields the lowest
grade, or a computed "comment only" found wrong on checking the hire date).

What a cycle appraises (its scheme version, unit, period and population) never changes: its
people, eligibility and raters were generated from them. Both writes are compare-and-set on
`version`, audited with the values before and after, for those who run the cycle, and
refused once it is closed.

Grades depend on the unit's grade, the approval and each person's eligibility, but only the
full recompute (scoring.recompute_cycle) grades a cycle; nothing regrades it from stored
totals. A change of any of them therefore stamps `Cycle.grading_changed_at`: while that is
newer than the last full recompute (`Cycle.grades_outdated_since`), the cycle page, the
results list and the result page say the suggested grades are out of date, as they do for
scores changed after it. Totals do not depend on them, so nobody is rescored.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.appraisals.cycles import settings_errors
from jixiao.appraisals.models import Appraisal, Cycle, CyclePhase, Eligibility
from jixiao.appraisals.permissions import can_manage_cycle
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import (
    DomainError,
    FieldError,
    concurrent_edit,
    forbidden,
    not_found,
    validation_failed,
)

GRADING_SETTINGS = ("unit_grade", "higher_quota_approved")
"""The settings the suggested grades depend on (the quota share: scoring._rules)."""
MAX_REASON = Appraisal._meta.get_field("eligibility_reason").max_length or 255


@dataclass
class CycleSettings:
    """What the office may change on a cycle after its creation."""

    name: str
    deadlines: dict[str, str] = field(default_factory=dict)
    """Phase → YYYY-MM-DD."""
    unit_grade: str = ""
    higher_quota_approved: bool = False

    @classmethod
    def of(cls, cycle: Cycle) -> CycleSettings:
        return cls(
            name=cycle.name,
            deadlines={str(k): str(v) for k, v in (cycle.deadlines or {}).items()},
            unit_grade=cycle.unit_grade,
            higher_quota_approved=cycle.higher_quota_approved,
        )

    def as_values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "deadlines": self.deadlines,
            "unit_grade": self.unit_grade,
            "higher_quota_approved": self.higher_quota_approved,
        }


def _refuse_closed(cycle: Cycle) -> None:
    if cycle.phase == CyclePhase.CLOSED:
        raise DomainError(
            "cycle_closed", _("The cycle is closed; it no longer changes."), status=409
        )


def _iso(deadlines: dict[str, str]) -> dict[str, str]:
    """The deadlines as ISO dates (checked valid first)."""
    return {
        phase: datetime.date.fromisoformat(str(day)).isoformat() for phase, day in deadlines.items()
    }


@transaction.atomic(durable=True)
def cycle_update(
    *, actor: Actor, user: Any, cycle_id: int, expected_version: int, settings: CycleSettings
) -> Cycle:
    """Change a cycle's name, deadlines, unit grade or approval of a higher top-grade share,
    checked as at creation (cycles.settings_errors). A change of the unit grade or the
    approval marks the grades out of date until the next full recompute."""
    cycle = Cycle.objects.select_related("unit").filter(pk=cycle_id).first()
    if cycle is None:
        raise not_found()
    if not can_manage_cycle(user, cycle):
        raise forbidden()
    _refuse_closed(cycle)
    settings.name = settings.name.strip()
    errors = settings_errors(
        name=settings.name, unit_grade=settings.unit_grade, deadlines=settings.deadlines
    )
    if errors:
        raise validation_failed(errors)
    settings.deadlines = _iso(settings.deadlines)
    before = CycleSettings.of(cycle).as_values()
    after = settings.as_values()
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if not changes:
        if cycle.version != expected_version:
            raise concurrent_edit()
        return cycle
    values = dict(after)
    if any(k in changes for k in GRADING_SETTINGS):
        values["grading_changed_at"] = timezone.now()
    if not Cycle.objects.filter(pk=cycle.pk, version=expected_version).update(
        **values, version=F("version") + 1
    ):
        raise concurrent_edit()
    audit.record(actor, "appraisals.cycle.update", cycle, changes)
    cycle.refresh_from_db()
    return cycle


@transaction.atomic(durable=True)
def appraisal_set_eligibility(
    *,
    actor: Actor,
    user: Any,
    appraisal_id: int,
    expected_version: int,
    eligibility: str,
    reason: str,
) -> Appraisal:
    """Set a person's eligibility by hand, to any choice, with a reason (which becomes the
    eligibility's reason, marked as the office's). A changed eligibility marks the grades out
    of date until the next full recompute (which gives a refusal the lowest grade)."""
    appraisal = (
        Appraisal.objects.select_related("cycle", "cycle__unit", "department")
        .filter(pk=appraisal_id)
        .first()
    )
    if appraisal is None:
        raise not_found()
    if not can_manage_cycle(user, appraisal.cycle):
        raise forbidden()
    _refuse_closed(appraisal.cycle)
    reason = reason.strip()
    errors: list[FieldError] = []
    if eligibility not in Eligibility.values:
        errors.append(FieldError("eligibility", "invalid_choice", _("Choose the eligibility.")))
    if not reason:
        errors.append(
            FieldError("reason", "reason_required", _("Say why the eligibility is set by hand."))
        )
    elif len(reason) > MAX_REASON:
        errors.append(
            FieldError("reason", "too_long", _("At most %(n)s characters.") % {"n": MAX_REASON})
        )
    if errors:
        raise validation_failed(errors)
    now = timezone.now()
    if not Appraisal.objects.filter(pk=appraisal.pk, version=expected_version).update(
        eligibility=eligibility,
        eligibility_reason=reason,
        eligibility_set_by_id=user.pk,
        eligibility_set_at=now,
        version=F("version") + 1,
    ):
        raise concurrent_edit()
    if eligibility != appraisal.eligibility:
        Cycle.objects.filter(pk=appraisal.cycle_id).update(grading_changed_at=now)
    audit.record(
        actor,
        "appraisals.appraisal.eligibility",
        appraisal,
        {
            "eligibility": [appraisal.eligibility, eligibility],
            "eligibility_reason": [appraisal.eligibility_reason, reason],
            "set_by_office": [appraisal.eligibility_set_at is not None, True],
        },
        reason=reason,
        scope_path=appraisal.department.path,
    )
    appraisal.refresh_from_db()
    return appraisal
