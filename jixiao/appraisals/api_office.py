"""The performance office's appraisal API: cycles (list, detail, create, change, phase), rater
assignments (list, add, cancel), rater statistics, the full recompute as a background job and
the job's status.

Same rules as the pages: selectors decide what the caller sees (a cycle outside it answers
404; a department head who sees a cycle gets 403 on its office data), the services decide
what they may do (403) and what is valid (400); a stale version answers 409. Assignments made
through one-time codes are never listed; no endpoint returns a rating's value.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from jixiao.accounts.api_auth import api_user
from jixiao.accounts.models import User
from jixiao.appraisals import corrections, cycles, jobs, phases
from jixiao.appraisals.models import Assignment, Cycle, CycleJob, JobKind, RaterStat
from jixiao.appraisals.permissions import can_create_cycles
from jixiao.appraisals.scoring import stale_since
from jixiao.appraisals.selectors import (
    AssignmentFilter,
    CycleFilter,
    anonymous_groups,
    assignments_filtered,
    cycle_counts,
    cycles_filtered,
    get_cycle_for_user,
    get_job_for_user,
    latest_job,
)
from jixiao.appraisals.selectors_raters import (
    FLAGS,
    RaterStatFilter,
    counts_shown,
    rater_stats_filtered,
)
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.core.api_pagination import Page, PageParams, paginate
from jixiao.core.errors import DomainError, forbidden
from jixiao.org.schemas import InputSchema

router = Router(tags=["appraisal office"])

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor.for_user(user, source="api", ip=client_ip(request))


# ---------------------------------------------------------------- schemas


class JobOut(Schema):
    id: int
    cycle_id: int
    kind: str
    status: str
    stage: str
    percent: int
    summary: dict[str, Any] = Field(
        description="For a recompute: appraisals, ratings, ties, quota limits and violations."
    )
    message: str
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None

    @classmethod
    def of(cls, job: CycleJob) -> JobOut:
        return cls(
            id=job.pk,
            cycle_id=job.cycle_id,
            kind=job.kind,
            status=job.status,
            stage=job.stage,
            percent=job.percent,
            summary=dict(job.summary),
            message=job.message,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )


class CycleOut(Schema):
    id: int
    name: str
    kind: str
    unit_id: int
    unit_name: str
    scheme_id: int
    phase: str
    start: datetime.date
    end: datetime.date
    appraisal_count: int

    @classmethod
    def of(cls, cycle: Cycle) -> CycleOut:
        return cls(
            id=cycle.pk,
            name=cycle.name,
            kind=cycle.kind,
            unit_id=cycle.unit_id,
            unit_name=cycle.unit.name,
            scheme_id=cycle.scheme_id,
            phase=cycle.phase,
            start=cycle.start,
            end=cycle.end,
            appraisal_count=getattr(cycle, "appraisal_count", 0),
        )


class CountsOut(Schema):
    appraisals: int
    by_eligibility: dict[str, int]
    assignments: int
    by_status: dict[str, int]
    by_group: dict[str, dict[str, int]]
    ties: int


class CycleDetailOut(Schema):
    id: int
    name: str
    kind: str
    unit_id: int
    unit_name: str
    scheme_id: int
    scheme_code: str
    scheme_revision: int
    phase: str
    start: datetime.date
    end: datetime.date
    deadlines: dict[str, str]
    population: dict[str, Any]
    unit_grade: str
    higher_quota_approved: bool
    seed: int
    version: int
    computed_at: datetime.datetime | None
    stale_since: datetime.datetime | None = Field(
        description="When scores changed after the last full recompute (ranks and grades are "
        "then older), or null."
    )
    grades_outdated_since: datetime.datetime | None = Field(
        None,
        description="When the unit's grade, the approval of a higher top-grade share or a "
        "person's eligibility changed after the last full recompute (the suggested grades do "
        "not reflect it until the next one), or null.",
    )
    counts: CountsOut
    last_recompute: JobOut | None
    populate_job: JobOut | None = Field(
        description="The background job generating a large cycle's people and raters."
    )

    @classmethod
    def of(cls, cycle: Cycle) -> CycleDetailOut:
        counts = cycle_counts(cycle)
        recompute = latest_job(cycle, JobKind.RECOMPUTE)
        populate = latest_job(cycle, JobKind.POPULATE)
        return cls(
            id=cycle.pk,
            name=cycle.name,
            kind=cycle.kind,
            unit_id=cycle.unit_id,
            unit_name=cycle.unit.name,
            scheme_id=cycle.scheme_id,
            scheme_code=cycle.scheme.code,
            scheme_revision=cycle.scheme.revision,
            phase=cycle.phase,
            start=cycle.start,
            end=cycle.end,
            deadlines={str(k): str(v) for k, v in (cycle.deadlines or {}).items()},
            population=dict(cycle.population),
            unit_grade=cycle.unit_grade,
            higher_quota_approved=cycle.higher_quota_approved,
            seed=cycle.seed,
            version=cycle.version,
            computed_at=cycle.computed_at,
            stale_since=stale_since(cycle),
            grades_outdated_since=cycle.grades_outdated_since,
            counts=CountsOut(
                appraisals=counts.appraisals,
                by_eligibility=counts.by_eligibility,
                assignments=counts.assignments,
                by_status=counts.by_status,
                by_group=counts.by_group,
                ties=counts.ties,
            ),
            last_recompute=JobOut.of(recompute) if recompute else None,
            populate_job=JobOut.of(populate) if populate else None,
        )


class CycleFilters(Schema):
    q: str = ""
    unit_id: int | None = None
    phase: str = ""
    kind: str = ""


class PopulationIn(InputSchema):
    department_ids: list[int] = []
    include_subdepartments: bool = True
    post_categories: list[str] = []
    person_ids: list[int] = []


class CycleIn(InputSchema):
    name: str
    kind: str = Field(description="monthly, quarterly, half_year, annual, special or term.")
    unit_id: int
    scheme_id: int = Field(description="The latest version of an active scheme.")
    start: datetime.date
    end: datetime.date
    population: PopulationIn
    deadlines: dict[str, datetime.date] = Field(
        {}, description='Phase → last day, e.g. {"rating": "2026-12-20"}.'
    )
    unit_grade: str = ""
    higher_quota_approved: bool = False
    seed: int = Field(2026, ge=0, le=2**31 - 1)

    def to_data(self) -> cycles.CycleData:
        return cycles.CycleData(
            name=self.name,
            kind=self.kind,
            unit_id=self.unit_id,
            scheme_id=self.scheme_id,
            start=self.start,
            end=self.end,
            population=cycles.Population(
                department_ids=list(self.population.department_ids),
                include_subdepartments=self.population.include_subdepartments,
                post_categories=list(self.population.post_categories),
                person_ids=list(self.population.person_ids),
            ),
            deadlines={k: v.isoformat() for k, v in self.deadlines.items()},
            unit_grade=self.unit_grade,
            higher_quota_approved=self.higher_quota_approved,
            seed=self.seed,
        )


class CyclePatch(InputSchema):
    """Fields not sent keep their values. The scheme, unit, period and population are fixed
    once the cycle exists (sending them is refused)."""

    expected_version: int = Field(description="The cycle's current version.")
    name: str | None = None
    deadlines: dict[str, datetime.date] | None = Field(
        None, description='Phase → last day; replaces all deadlines, e.g. {"rating": "2026-12-20"}.'
    )
    unit_grade: str | None = Field(None, description='"", "excellent" or "failed".')
    higher_quota_approved: bool | None = None

    def to_settings(self, cycle: Cycle) -> corrections.CycleSettings:
        current = corrections.CycleSettings.of(cycle)
        return corrections.CycleSettings(
            name=current.name if self.name is None else self.name,
            deadlines=current.deadlines
            if self.deadlines is None
            else {k: v.isoformat() for k, v in self.deadlines.items()},
            unit_grade=current.unit_grade if self.unit_grade is None else self.unit_grade,
            higher_quota_approved=current.higher_quota_approved
            if self.higher_quota_approved is None
            else self.higher_quota_approved,
        )


class PhaseIn(InputSchema):
    phase: str
    version: int


class AssignmentOut(Schema):
    id: int
    appraisal_id: int
    person_id: int
    person_name: str
    group: str
    rater_id: int | None = Field(description="Empty in anonymous groups: nobody sees who rates.")
    rater_name: str | None
    status: str
    nominated: bool
    version: int

    @classmethod
    def of(cls, a: Assignment, anonymous: frozenset[str] = frozenset()) -> AssignmentOut:
        assert a.rater is not None
        shown = a.group not in anonymous
        return cls(
            id=a.pk,
            appraisal_id=a.appraisal_id,
            person_id=a.appraisal.person_id,
            person_name=a.appraisal.person.name,
            group=a.group,
            rater_id=a.rater.pk if shown else None,
            rater_name=a.rater.name if shown else None,
            status=a.status,
            nominated=a.nominated,
            version=a.version,
        )


class AssignmentFilters(Schema):
    appraisal_id: int | None = None
    rater_id: int | None = None
    group: str = ""
    status: str = ""
    q: str = ""


class AssignmentIn(InputSchema):
    appraisal_id: int
    group: str
    rater_id: int


class CancelIn(InputSchema):
    reason: str = ""


class RaterStatOut(Schema):
    group: str
    rater_id: int | None = Field(description="Empty in anonymous groups and for one-time codes.")
    rater_name: str | None
    employee_no: str | None
    alias: str = Field(description='In anonymous groups: "#7", linked to nobody; else empty.')
    ratings: int | None = Field(description="Empty for an alias: it would tell who rated.")
    ratees: int | None = Field(description="People rated; empty for an alias.")
    mean: float
    sd: float
    halo: float | None = Field(description="Mean correlation between items; empty if unknown.")
    top_share: float = Field(description="Share of top scores (95 or more), from 0 to 1.")
    flags: list[str] = Field(description=f"Any of: {', '.join(FLAGS)}.")

    @classmethod
    def of(cls, s: RaterStat) -> RaterStatOut:
        named = s.rater if counts_shown(s) else None
        return cls(
            group=s.group,
            rater_id=named.pk if named is not None else None,
            rater_name=named.name if named is not None else None,
            employee_no=named.employee_no if named is not None else None,
            alias="" if named is not None else s.alias,
            ratings=s.ratings if named is not None else None,
            ratees=s.ratees if named is not None else None,
            mean=s.mean,
            sd=s.sd,
            halo=s.halo,
            top_share=s.top_share,
            flags=[flag for flag in s.flags if flag in FLAGS],
        )


class RaterStatFilters(Schema):
    group: str = ""
    flag: str = Field("", description=f"One of: {', '.join(FLAGS)}.")


class JobStarted(Schema):
    job_id: int
    status: str


# ---------------------------------------------------------------- cycles


@router.get(
    "/appraisals/cycles",
    response={200: Page[CycleOut], **ERROR_RESPONSES},
    summary="List appraisal cycles",
)
def cycle_list(
    request: HttpRequest, filters: Query[CycleFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """The cycles the caller sees, newest first."""
    user = api_user(request)
    f = CycleFilter(q=filters.q, unit_id=filters.unit_id, phase=filters.phase, kind=filters.kind)
    return paginate(cycles_filtered(user, f), paging, CycleOut.of)


@router.post(
    "/appraisals/cycles",
    response={201: CycleDetailOut, **WRITE_RESPONSES},
    summary="Create a cycle",
)
def cycle_create(request: HttpRequest, payload: CycleIn) -> Status[CycleDetailOut]:
    """A cycle in its set-up phase with its people, eligibility and raters. A population of
    more than 2,000 people is generated by a background job (`populate_job`)."""
    user = api_user(request)
    if not can_create_cycles(user):
        raise forbidden()
    data = payload.to_data()
    large = jobs.populates_later(data.population)
    actor = _actor(request, user)
    cycle = cycles.cycle_create(actor=actor, user=user, data=data, populate_now=not large)
    if large:
        jobs.populate_start(actor=actor, user=user, cycle_id=cycle.pk)
    return Status(201, CycleDetailOut.of(get_cycle_for_user(user, cycle.pk, office=True)))


@router.get(
    "/appraisals/cycles/{int:cycle_id}",
    response={200: CycleDetailOut, **ERROR_RESPONSES},
    summary="A cycle with its counts",
)
def cycle_detail(request: HttpRequest, cycle_id: int) -> CycleDetailOut:
    return CycleDetailOut.of(get_cycle_for_user(api_user(request), cycle_id, office=True))


@router.patch(
    "/appraisals/cycles/{int:cycle_id}",
    response={200: CycleDetailOut, **WRITE_RESPONSES},
    summary="Change a cycle's name, deadlines, unit grade or quota approval",
)
def cycle_update(request: HttpRequest, cycle_id: int, payload: CyclePatch) -> CycleDetailOut:
    """Deadlines are checked as at creation. A change of the unit's grade or of the approval
    of a higher top-grade share marks the suggested grades out of date
    (`grades_outdated_since`) until the next full recompute. Audited; refused once closed."""
    user = api_user(request)
    cycle = get_cycle_for_user(user, cycle_id, office=True, write=True)
    corrections.cycle_update(
        actor=_actor(request, user),
        user=user,
        cycle_id=cycle_id,
        expected_version=payload.expected_version,
        settings=payload.to_settings(cycle),
    )
    return CycleDetailOut.of(get_cycle_for_user(user, cycle_id, office=True))


@router.post(
    "/appraisals/cycles/{int:cycle_id}/phase",
    response={200: CycleDetailOut, **WRITE_RESPONSES},
    summary="Move a cycle to another phase",
)
def cycle_phase(request: HttpRequest, cycle_id: int, payload: PhaseIn) -> CycleDetailOut:
    """Forwards, or back one phase to reopen; `version` is the cycle's current version.

    Moving into computing queues the full recompute. Moving into results is refused (409)
    until a full recompute has finished with nothing changed since: `recompute_running`,
    `not_computed` or `recompute_needed`."""
    user = api_user(request)
    get_cycle_for_user(user, cycle_id, office=True)
    phases.cycle_set_phase(
        actor=_actor(request, user),
        user=user,
        cycle_id=cycle_id,
        expected_version=payload.version,
        phase=payload.phase,
    )
    return CycleDetailOut.of(get_cycle_for_user(user, cycle_id, office=True))


@router.post(
    "/appraisals/cycles/{int:cycle_id}/recompute",
    response={202: JobStarted, **WRITE_RESPONSES},
    summary="Recompute a cycle's scores",
)
def cycle_recompute(request: HttpRequest, cycle_id: int) -> Status[JobStarted]:
    """Starts a full recompute (scores, ranks, grades, rater statistics) as a background job
    and returns its id; poll GET /api/appraisals/jobs/{job_id}. A recompute already under way
    is returned instead of a second one."""
    user = api_user(request)
    get_cycle_for_user(user, cycle_id, office=True)
    job = jobs.recompute_start(actor=_actor(request, user), user=user, cycle_id=cycle_id)
    job.refresh_from_db()
    return Status(202, JobStarted(job_id=job.pk, status=job.status))


@router.get(
    "/appraisals/jobs/{int:job_id}",
    response={200: JobOut, **ERROR_RESPONSES},
    summary="A cycle job's progress",
)
def job_detail(request: HttpRequest, job_id: int) -> JobOut:
    return JobOut.of(get_job_for_user(api_user(request), job_id))


# ---------------------------------------------------------------- assignments


@router.get(
    "/appraisals/cycles/{int:cycle_id}/assignments",
    response={200: Page[AssignmentOut], **ERROR_RESPONSES},
    summary="A cycle's rater assignments",
)
def assignment_list(
    request: HttpRequest,
    cycle_id: int,
    filters: Query[AssignmentFilters],
    paging: Query[PageParams],
) -> dict[str, Any]:
    """Named raters' assignments, with their status (never a rating's value). Ratings given
    through one-time codes belong to nobody and are not listed."""
    cycle = get_cycle_for_user(api_user(request), cycle_id, office=True)
    f = AssignmentFilter(
        appraisal_id=filters.appraisal_id,
        rater_id=filters.rater_id,
        group=filters.group,
        status=filters.status,
        q=filters.q,
    )
    hidden = frozenset(anonymous_groups(cycle))
    return paginate(assignments_filtered(cycle, f), paging, lambda a: AssignmentOut.of(a, hidden))


@router.get(
    "/appraisals/cycles/{int:cycle_id}/rater-stats",
    response={200: Page[RaterStatOut], **ERROR_RESPONSES},
    summary="A cycle's rater statistics",
)
def rater_stat_list(
    request: HttpRequest,
    cycle_id: int,
    filters: Query[RaterStatFilters],
    paging: Query[PageParams],
) -> dict[str, Any]:
    """Per rater and group, from the last full recompute, by group then mean descending:
    mean, spread, halo index and share of top scores, with their flags. Raters of anonymous
    groups and one-time codes carry only an alias, linked to nobody."""
    cycle = get_cycle_for_user(api_user(request), cycle_id, office=True)
    f = RaterStatFilter(group=filters.group, flag=filters.flag)
    return paginate(rater_stats_filtered(cycle, f), paging, RaterStatOut.of)


def _assignment(cycle: Cycle, assignment_id: int) -> AssignmentOut:
    found = assignments_filtered(cycle, AssignmentFilter()).filter(pk=assignment_id).first()
    if found is None:
        raise DomainError("not_found", _("Not found."), status=404)
    return AssignmentOut.of(found, frozenset(anonymous_groups(cycle)))


@router.post(
    "/appraisals/cycles/{int:cycle_id}/assignments",
    response={201: AssignmentOut, **WRITE_RESPONSES},
    summary="Add a rater",
)
def assignment_add(
    request: HttpRequest, cycle_id: int, payload: AssignmentIn
) -> Status[AssignmentOut]:
    user = api_user(request)
    cycle = get_cycle_for_user(user, cycle_id, office=True)
    if not cycle.appraisals.filter(pk=payload.appraisal_id).exists():
        raise DomainError(
            "unknown_appraisal",
            _("Nobody with this appraisal is in the cycle."),
            field="appraisal_id",
        )
    made = cycles.assignment_add(
        actor=_actor(request, user),
        user=user,
        appraisal_id=payload.appraisal_id,
        group=payload.group,
        rater_id=payload.rater_id,
    )
    return Status(201, _assignment(cycle, made.pk))


@router.post(
    "/appraisals/cycles/{int:cycle_id}/assignments/{int:assignment_id}/cancel",
    response={200: AssignmentOut, **WRITE_RESPONSES},
    summary="Cancel a rater assignment",
)
def assignment_cancel(
    request: HttpRequest, cycle_id: int, assignment_id: int, payload: CancelIn
) -> AssignmentOut:
    """Open and draft assignments only; submitted ratings stay."""
    user = api_user(request)
    cycle = get_cycle_for_user(user, cycle_id, office=True)
    _assignment(cycle, assignment_id)
    cycles.assignment_cancel(
        actor=_actor(request, user),
        user=user,
        assignment_id=assignment_id,
        reason=payload.reason,
    )
    return _assignment(cycle, assignment_id)
