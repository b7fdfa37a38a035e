"""Writes on KPI scores: the office's override of a computed score, and the superior's comment.

A KPI score is computed from goals and indicator actuals (scoring.compute_kpis). Nobody
retypes it: the performance office may set a score by hand with a reason (or remove the score
set by hand again), audited with the score before and after, and the appraisal is rescored at
once; the person's superior may comment on an item, which changes no score. Both are
compare-and-set on KpiScore.version; an item that was never computed has version 0.
"""

from __future__ import annotations

import math
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jixiao.appraisals.models import Appraisal, CyclePhase, KpiScore, SchemeItem, SectionKind
from jixiao.appraisals.permissions import can_manage_cycle
from jixiao.appraisals.scoring import recompute_appraisals
from jixiao.appraisals.selectors_results import is_superior_of
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

MAX_REASON = 2000
MAX_COMMENT = 2000


def _load(appraisal_id: int, item_id: int) -> tuple[Appraisal, SchemeItem]:
    appraisal = (
        Appraisal.objects.select_related("cycle", "cycle__unit", "department", "person")
        .filter(pk=appraisal_id)
        .first()
    )
    if appraisal is None:
        raise not_found()
    item = (
        SchemeItem.objects.select_related("section")
        .filter(
            pk=item_id,
            section__scheme_id=appraisal.cycle.scheme_id,
            section__kind=SectionKind.KPI,
        )
        .first()
    )
    if item is None:
        raise DomainError(
            "unknown_item", _("This is not a KPI item of the appraisal."), field="item"
        )
    if appraisal.cycle.phase == CyclePhase.CLOSED:
        raise DomainError(
            "cycle_closed", _("The cycle is closed; its scores no longer change."), status=409
        )
    return appraisal, item


def _store(
    appraisal: Appraisal, item: SchemeItem, expected_version: int, values: dict[str, Any]
) -> KpiScore:
    """Compare-and-set the row (or create it when it was never computed)."""
    if expected_version == 0:
        if KpiScore.objects.filter(appraisal=appraisal, item=item).exists():
            raise concurrent_edit()
        try:
            with transaction.atomic():
                return KpiScore.objects.create(appraisal=appraisal, item=item, **values)
        except IntegrityError:
            raise concurrent_edit() from None
    updated = KpiScore.objects.filter(
        appraisal=appraisal, item=item, version=expected_version
    ).update(**values, version=F("version") + 1)
    if not updated:
        raise concurrent_edit()
    return KpiScore.objects.get(appraisal=appraisal, item=item)


def _effective(row: KpiScore | None) -> float | None:
    return None if row is None else row.score


@transaction.atomic(durable=True)
def kpi_score_override(
    *,
    actor: Actor,
    user: Any,
    appraisal_id: int,
    item_id: int,
    expected_version: int,
    score: float | None,
    reason: str,
) -> KpiScore:
    """Set a KPI item's score by hand (in the item's points), or remove the score set by hand
    with `score=None`; a reason is required either way. Rescore the appraisal."""
    appraisal, item = _load(appraisal_id, item_id)
    if not can_manage_cycle(user, appraisal.cycle):
        raise forbidden()
    reason = reason.strip()
    errors: list[FieldError] = []
    if not reason:
        errors.append(
            FieldError("reason", "reason_required", _("Say why the score is set by hand."))
        )
    elif len(reason) > MAX_REASON:
        errors.append(
            FieldError("reason", "too_long", _("At most %(n)s characters.") % {"n": MAX_REASON})
        )
    full = float(item.max_score)
    if score is not None and (not math.isfinite(score) or score < 0 or score > full):
        errors.append(
            FieldError(
                "score",
                "out_of_range",
                _("The score lies between 0 and the item's full score, %(max)s.")
                % {"max": f"{full:g}"},
            )
        )
    before = KpiScore.objects.filter(appraisal=appraisal, item=item).first()
    if score is None and (before is None or before.override is None):
        errors.append(
            FieldError("score", "nothing_to_remove", _("Enter the score to set by hand."))
        )
    if errors:
        raise validation_failed(errors)
    total_before = appraisal.total
    row = _store(
        appraisal,
        item,
        expected_version,
        {
            "override": score,
            "override_reason": reason if score is not None else "",
            "overridden_by_id": user.pk if score is not None else None,
        },
    )
    recompute_appraisals([appraisal.pk])
    total_after = Appraisal.objects.values_list("total", flat=True).get(pk=appraisal.pk)
    audit.record(
        actor,
        "appraisals.kpi.override" if score is not None else "appraisals.kpi.override_removed",
        appraisal,
        {
            "item": [item.code, item.code],
            "score": [_effective(before), row.score],
            "override": [None if before is None else before.override, row.override],
            "computed": [None if before is None else before.computed, row.computed],
            "total": [total_before, total_after],
        },
        reason=reason,
        scope_path=appraisal.department.path,
    )
    return row


@transaction.atomic(durable=True)
def kpi_comment_set(
    *,
    actor: Actor,
    user: Any,
    appraisal_id: int,
    item_id: int,
    expected_version: int,
    comment: str,
) -> KpiScore:
    """The superior's comment on a KPI item. It changes no score: a superior never retypes
    a computed score."""
    appraisal, item = _load(appraisal_id, item_id)
    if not is_superior_of(user, appraisal):
        raise forbidden()
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise validation_failed(
            [FieldError("comment", "too_long", _("At most %(n)s characters.") % {"n": MAX_COMMENT})]
        )
    before = KpiScore.objects.filter(appraisal=appraisal, item=item).first()
    old = "" if before is None else before.comment
    row = _store(appraisal, item, expected_version, {"comment": comment})
    if old != comment:
        audit.record(
            actor,
            "appraisals.kpi.comment",
            appraisal,
            {"item": [item.code, item.code], "comment": [old, comment]},
            scope_path=appraisal.department.path,
        )
    return row
