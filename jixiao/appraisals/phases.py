"""Moving a cycle between its phases, and what a move needs.

A cycle moves forwards, or back one phase to reopen it; a closed cycle stays closed. Two moves
do more than change the phase:

- into **computing** (rating is over): the full recompute is queued at once, so the office
  sees its progress on the cycle page instead of having to remember to start it;
- into **results** (the people see their results): only once a full recompute has finished
  and nothing it depends on changed since (no newer score, no corrected eligibility), so
  that nobody is shown ranks and grades older than their scores.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from jixiao.appraisals import jobs
from jixiao.appraisals.models import PHASE_ORDER, Appraisal, Cycle, CyclePhase, JobKind
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


def results_not_ready(cycle: Cycle) -> DomainError | None:
    """Why the cycle may not show its results yet; None when it may (two queries at most)."""
    if jobs.unfinished_job(cycle.pk, JobKind.RECOMPUTE) is not None:
        return DomainError(
            "recompute_running",
            _("The scores are being recomputed; show the results once the recompute has finished."),
            status=409,
        )
    if cycle.computed_at is None:
        return DomainError(
            "not_computed",
            _("Recompute the scores before showing the results: ranks and grades are not set yet."),
            status=409,
        )
    changed = (
        cycle.grades_outdated_since is not None
        or Appraisal.objects.filter(cycle=cycle, computed_at__gt=cycle.computed_at).exists()
    )
    if changed:
        return DomainError(
            "recompute_needed",
            _(
                "Scores or eligibilities changed after the last full recompute; recompute so "
                "that ranks and grades are up to date before showing the results."
            ),
            status=409,
        )
    return None


@transaction.atomic(durable=True)
def cycle_set_phase(
    *, actor: Actor, user: Any, cycle_id: int, expected_version: int, phase: str
) -> Cycle:
    """Move the cycle to another phase (forwards, or back one step to reopen)."""
    cycle = Cycle.objects.select_related("unit").filter(pk=cycle_id).first()
    if cycle is None:
        raise not_found()
    if not can_manage_cycle(user, cycle):
        raise forbidden()
    if phase not in PHASE_ORDER:
        raise validation_failed([FieldError("phase", "invalid_choice", _("Choose a phase."))])
    here, there = PHASE_ORDER.index(cycle.phase), PHASE_ORDER.index(phase)
    if there < here - 1 or cycle.phase == CyclePhase.CLOSED:
        raise DomainError(
            "phase_not_allowed",
            _(
                "A cycle moves forwards, or back one phase to reopen it; a closed cycle stays closed."
            ),
            status=409,
        )
    if cycle.version != expected_version:
        raise concurrent_edit()
    results_index = PHASE_ORDER.index(CyclePhase.RESULTS)
    if here < results_index <= there:
        refused = results_not_ready(cycle)
        if refused is not None:
            raise refused
    if not Cycle.objects.filter(pk=cycle.pk, version=expected_version, phase=cycle.phase).update(
        phase=phase, version=F("version") + 1
    ):
        raise concurrent_edit()
    audit.record(actor, "appraisals.cycle.phase", cycle, {"phase": [cycle.phase, phase]})
    entering_computing = phase == CyclePhase.COMPUTING and there > here
    if entering_computing and jobs.unfinished_job(cycle.pk, JobKind.POPULATE) is None:
        jobs.recompute_queue(actor=actor, cycle=cycle)
    cycle.refresh_from_db()
    return cycle
