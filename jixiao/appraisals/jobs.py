"""Background work on a cycle: populating a large cycle and the full recompute.

A page (or the API) starts a job; the job row is written in one durable transaction and the
task is queued when it commits. The task runs the job once (compare-and-set queued → running),
reports progress on the row for the page to poll, and keeps what the work returned: for a
recompute, the quota limits, violations and ties the cycle page shows.

One unfinished job of a kind per cycle (a database constraint): pressing the button twice
shows the job already under way. A job left running by a worker that died is given up after
STALE_AFTER, so the button works again.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.appraisals import cycles, scoring
from jixiao.appraisals.models import Cycle, CycleJob, CyclePhase, JobKind, JobStatus
from jixiao.appraisals.permissions import can_manage_cycle
from jixiao.core import audit
from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError, forbidden, not_found

logger = logging.getLogger(__name__)

STALE_AFTER = datetime.timedelta(hours=2)
LARGE_POPULATION = 2000
"""A cycle of more people than this is populated by a background job, not in the request."""
UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)
RECOMPUTE_PHASES = (
    CyclePhase.DRAFT,
    CyclePhase.SELF_ASSESSMENT,
    CyclePhase.RATING,
    CyclePhase.COMPUTING,
)


def populates_later(population: cycles.Population) -> bool:
    """Whether creating a cycle of this population should leave its people and raters to a
    background job (one COUNT query)."""
    return cycles.population_queryset(population).count() > LARGE_POPULATION


def unfinished_job(cycle_id: int, kind: str) -> CycleJob | None:
    return CycleJob.objects.filter(cycle_id=cycle_id, kind=kind, status__in=UNFINISHED).first()


def _give_up_stale(cycle_id: int) -> None:
    CycleJob.objects.filter(
        cycle_id=cycle_id, status__in=UNFINISHED, created_at__lt=timezone.now() - STALE_AFTER
    ).update(
        status=JobStatus.FAILED,
        finished_at=timezone.now(),
        message=_("The background worker did not finish this job; start it again."),
    )


def _queue(job: CycleJob) -> None:
    from jixiao.appraisals.tasks import run_cycle_job

    job_id = job.pk
    transaction.on_commit(lambda: run_cycle_job.enqueue(job_id))


def _start(actor: Actor, cycle: Cycle, kind: str) -> tuple[CycleJob, bool]:
    """The new job (queued at commit), or the unfinished one already there."""
    _give_up_stale(cycle.pk)
    running = unfinished_job(cycle.pk, kind)
    if running is not None:
        return running, False
    try:
        with transaction.atomic():
            job = CycleJob.objects.create(cycle=cycle, kind=kind, created_by_id=actor.user_id)
    except IntegrityError:  # another request started it a moment ago
        running = unfinished_job(cycle.pk, kind)
        if running is None:
            raise
        return running, False
    _queue(job)
    return job, True


@transaction.atomic(durable=True)
def recompute_start(*, actor: Actor, user: Any, cycle_id: int) -> CycleJob:
    """Queue a full recompute of the cycle (scores, ranks, grades, rater statistics)."""
    cycle = Cycle.objects.select_related("unit").filter(pk=cycle_id).first()
    if cycle is None:
        raise not_found()
    if not can_manage_cycle(user, cycle):
        raise forbidden()
    if cycle.phase not in RECOMPUTE_PHASES:
        raise DomainError(
            "cycle_shows_results",
            _("The cycle shows its results; move it back to computing to recompute."),
            status=409,
        )
    if unfinished_job(cycle.pk, JobKind.POPULATE) is not None:
        raise DomainError(
            "cycle_populating",
            _("The cycle's people and raters are still being generated."),
            status=409,
        )
    return recompute_queue(actor=actor, cycle=cycle)


def recompute_queue(*, actor: Actor, cycle: Cycle) -> CycleJob:
    """The full recompute of the cycle, queued when the caller's transaction commits (or the
    unfinished one already there): `recompute_start` and the move into computing."""
    job, created = _start(actor, cycle, JobKind.RECOMPUTE)
    if created:
        audit.record(actor, "appraisals.cycle.recompute", cycle, {"job": [None, job.pk]})
    return job


@transaction.atomic(durable=True)
def populate_start(*, actor: Actor, user: Any, cycle_id: int) -> CycleJob:
    """Queue the population step of a cycle created without it (a large population)."""
    cycle = Cycle.objects.select_related("unit").filter(pk=cycle_id).first()
    if cycle is None:
        raise not_found()
    if not can_manage_cycle(user, cycle):
        raise forbidden()
    if cycle.appraisals.exists():
        raise DomainError(
            "already_populated", _("The cycle's people and raters exist already."), status=409
        )
    return populate_queue(actor=actor, cycle=cycle)


def populate_queue(*, actor: Actor, cycle: Cycle) -> CycleJob:
    """The population job of a cycle just created without its people (inside the caller's
    transaction, queued when it commits): `populate_start` and the recurring series."""
    job, _created = _start(actor, cycle, JobKind.POPULATE)
    return job


# ---------------------------------------------------------------- running


def _progress(job_id: int) -> scoring.Progress:
    def report(stage: str, share: float) -> None:
        CycleJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            stage=stage[:32], progress=max(0.0, min(1.0, float(share)))
        )

    return report


def _populate(job: CycleJob) -> dict[str, Any]:
    report = _progress(job.pk)
    report("populate", 0.1)
    with transaction.atomic(durable=True):
        cycle = Cycle.objects.select_related("scheme", "unit").get(pk=job.cycle_id)
        counts = cycles.populate(cycle)
        actor = Actor(
            user_id=job.created_by_id,
            label=job.created_by.get_username() if job.created_by else "task",
            source="task",
        )
        audit.record(
            actor,
            "appraisals.cycle.populate",
            cycle,
            {
                "appraisals": [0, counts["appraisals"]],
                "assignments": [0, counts["assignments"]],
            },
        )
    return counts


def cycle_job_run(*, job_id: int) -> None:
    """Run a queued job once; a job that already started is left alone (idempotent)."""
    started = CycleJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not started:
        return
    job = CycleJob.objects.select_related("created_by").get(pk=job_id)
    try:
        if job.kind == JobKind.POPULATE:
            summary = _populate(job)
        else:
            summary = scoring.recompute_cycle(job.cycle_id, progress=_progress(job.pk))
    except Exception:
        logger.exception("cycle job %s crashed", job_id)
        CycleJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            message=_("The job stopped because of an internal error."),
        )
        return
    CycleJob.objects.filter(pk=job_id).update(
        status=JobStatus.SUCCEEDED,
        finished_at=timezone.now(),
        progress=1.0,
        stage="done",
        summary=summary,
    )
