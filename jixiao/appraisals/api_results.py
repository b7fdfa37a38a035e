"""API of appraisal results: a cycle's results and grade counts (the office), one appraisal's
result with its explanation (the same visibility as the page), my results, and the KPI
override (the office) and comment (the superior).

Anonymity: results carry rater groups with their counts and means, never a rater; a group
below its minimum number of responses shows no detail except to the office. Comments follow
the result page's rules (result_comments.py).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from jixiao.accounts.api_auth import api_user
from jixiao.accounts.models import User
from jixiao.appraisals import corrections, kpi
from jixiao.appraisals.models import Appraisal, Eligibility, KpiScore
from jixiao.appraisals.permissions import shows_results
from jixiao.appraisals.selectors_results import (
    CycleResults,
    ResultFilter,
    ResultView,
    SortedResults,
    cycle_results,
    get_appraisal_for_kpi,
    get_appraisal_for_results,
    get_cycle_for_results,
    grade_explanation,
    my_appraisals,
    result_view,
    results_filtered,
    section_scores,
)
from jixiao.core.actor import Actor, client_ip
from jixiao.core.api_errors import ERROR_RESPONSES, ErrorOut
from jixiao.core.api_pagination import PageParams

router = Router(tags=["appraisal: results"])

WRITE_RESPONSES: dict[int, type[ErrorOut]] = {**ERROR_RESPONSES, 409: ErrorOut}


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor.for_user(user, source="api", ip=client_ip(request))


# ---------------------------------------------------------------- schemas


class ResultRowOut(Schema):
    appraisal_id: int
    cycle_id: int
    person_id: int
    employee_no: str
    name: str
    department_id: int
    department: str
    post: str
    eligibility: str
    eligibility_reason: str
    version: int = Field(
        0, description="The appraisal's version, the `expected_version` of a correction."
    )
    eligibility_set_at: datetime.datetime | None = Field(
        None,
        description="When the office set the eligibility by hand (the reason is then the "
        "office's); null when it was computed from the person's status history.",
    )
    shown: bool = Field(description="False while the person's result is not published to them.")
    sections: dict[str, float | None] = Field(description="Section code → score (0–100).")
    total: float | None
    raw_total: float | None = Field(description="The total before the correction for rater bias.")
    rank_department: int | None
    rank_unit: int | None
    band_grade: str
    suggested_grade: str
    suggested_label: str
    grade_reason: str = Field(
        description='"band", "quota_down", "quota_up", "tie", "no_score", "not_graded" or "refused".'
    )
    reason: list[str] = Field(description="The suggested grade's reason in plain words.")
    tie: bool
    tie_places: int | None = Field(description="For a tie: places left for the tied people.")
    tied: int | None = Field(description="For a tie: how many share the score.")

    @classmethod
    def of(cls, a: Appraisal, results: CycleResults, *, shown: bool = True) -> ResultRowOut:
        tie = results.tie_of(a)
        codes = [s.code for s in results.sections]
        scores = section_scores(a, results.sections) if shown else [None] * len(codes)
        return cls(
            appraisal_id=a.pk,
            cycle_id=a.cycle_id,
            person_id=a.person_id,
            employee_no=a.person.employee_no,
            name=a.person.name,
            department_id=a.department_id,
            department=a.department.name,
            post=a.post.name if a.post is not None else "",
            eligibility=a.eligibility,
            eligibility_reason=a.eligibility_reason,
            eligibility_set_at=a.eligibility_set_at,
            version=a.version,
            shown=shown,
            sections=dict(zip(codes, scores, strict=True)),
            total=a.total if shown else None,
            raw_total=a.raw_total if shown else None,
            rank_department=a.rank_department if shown else None,
            rank_unit=a.rank_unit if shown else None,
            band_grade=a.band_grade if shown else "",
            suggested_grade=a.suggested_grade if shown else "",
            suggested_label=results.label(a.suggested_grade) if shown and a.suggested_grade else "",
            grade_reason=a.grade_reason if shown else "",
            reason=grade_explanation(a, results) if shown else [],
            tie=a.tie if shown else False,
            tie_places=tie.places if shown and tie is not None else None,
            tied=tie.tied if shown and tie is not None else None,
        )


class ResultPage(Schema):
    items: list[ResultRowOut]
    count: int
    page: int
    page_size: int


class ResultFilters(Schema):
    department_id: int | None = Field(None, description="Includes its sub-departments.")
    grade: str = Field("", description='A grade code, or "-" for no suggested grade.')
    eligibility: str = Field("", description="One of " + ", ".join(Eligibility.values) + ".")
    ties: bool = Field(False, description="Only people tied at a quota boundary.")
    q: str = Field("", description="Part of a name or an employee number.")
    sort: str = Field("score", description='"score", "rank", "department", "grade" or "number".')


class GradeCountOut(Schema):
    grade: str
    label: str
    people: int


class QuotaOut(Schema):
    label: str
    grades: list[str]
    op: str
    share: float
    enforced: bool
    department_id: int | None
    population: int
    limit: int
    actual: int
    broken: bool


class GradesOut(Schema):
    cycle_id: int
    appraised: int
    scored: int
    grades: list[GradeCountOut]
    quota: list[QuotaOut]
    ties: int
    stale: bool = Field(description="Scores changed after the last full computation.")


class GroupOut(Schema):
    group: str
    label: str
    weight: float
    anonymous: bool
    min_responses: int
    hidden: bool = Field(description="Below the minimum number of responses: no detail shown.")
    respondents: int | None
    used: bool | None
    score: float | None
    raw: float | None = Field(description="The group's mean before the correction for rater bias.")
    corrected: bool


class KpiOut(Schema):
    item_id: int
    code: str
    name: str
    weight: float
    max_score: float
    version: int
    actual: float | None
    target: float | None
    computed: float | None
    override: float | None
    override_reason: str
    score: float | None
    comment: str


class SectionOut(Schema):
    code: str
    name: str
    kind: str
    weight: float
    score: float | None
    raw: float | None
    groups: list[GroupOut]
    kpis: list[KpiOut]


class CommentOut(Schema):
    group: str = Field(description="The rater group's label.")
    group_code: str
    anonymous: bool = Field(
        description="From an anonymous group or a one-time code: no rater, and listed in no "
        "order of raters or time."
    )
    rater: str = Field(description="The named rater; empty for an anonymous comment.")
    text: str


class ResultOut(ResultRowOut):
    cycle: str
    phase: str
    department_size: int | None
    unit_size: int | None
    stale: bool
    result_sections: list[SectionOut]
    comments: list[CommentOut] = Field(
        description="Group by group. Anonymous groups and codes only once rating is over and "
        "the group has its minimum number of responses; named groups below their minimum only "
        "to the office."
    )
    comments_waiting: bool = Field(
        description="Anonymous comments are held back until rating is over."
    )

    @classmethod
    def of_view(cls, view: ResultView, results: CycleResults) -> ResultOut:
        a = view.appraisal
        row = ResultRowOut.of(a, results, shown=view.shown)
        return cls(
            **row.model_dump(),
            cycle=a.cycle.name,
            phase=a.cycle.phase,
            department_size=view.department_size if view.shown else None,
            unit_size=view.unit_size if view.shown else None,
            stale=view.stale,
            result_sections=[
                SectionOut(
                    code=s.code,
                    name=s.name,
                    kind=s.kind,
                    weight=s.weight,
                    score=s.score,
                    raw=s.raw,
                    groups=[
                        GroupOut(
                            group=g.code,
                            label=g.label,
                            weight=g.weight,
                            anonymous=g.anonymous,
                            min_responses=g.min_responses,
                            hidden=g.hidden,
                            respondents=None if g.hidden else g.respondents,
                            used=None if g.hidden else g.used,
                            score=g.score,
                            raw=g.raw,
                            corrected=g.corrected,
                        )
                        for g in s.groups
                    ],
                    kpis=[_kpi_out(k.item, k.row) for k in s.kpis],
                )
                for s in view.sections
            ],
            comments=[
                CommentOut(
                    group=c.group,
                    group_code=c.group_code,
                    anonymous=c.anonymous,
                    rater=c.rater,
                    text=c.text,
                )
                for c in view.comments
            ],
            comments_waiting=view.comments_waiting,
        )


def _kpi_out(item: Any, row: KpiScore | None) -> KpiOut:
    return KpiOut(
        item_id=item.pk,
        code=item.code,
        name=item.name,
        weight=float(item.weight),
        max_score=float(item.max_score),
        version=row.version if row is not None else 0,
        actual=row.actual if row is not None else None,
        target=row.target if row is not None else None,
        computed=row.computed if row is not None else None,
        override=row.override if row is not None else None,
        override_reason=row.override_reason if row is not None else "",
        score=row.score if row is not None else None,
        comment=row.comment if row is not None else "",
    )


class MyResultOut(ResultRowOut):
    cycle: str
    phase: str
    start: datetime.date
    end: datetime.date


class OverrideIn(Schema):
    model_config = ConfigDict(extra="forbid")
    expected_version: int = Field(ge=0, description="The KPI score's version; 0 if never computed.")
    score: float | None = Field(
        description="In the item's points; null removes the score set by hand."
    )
    reason: str = Field(description="Required; recorded in the audit trail.")


class CommentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    expected_version: int = Field(ge=0)
    comment: str = Field(max_length=2000)


class KpiResultOut(Schema):
    kpi: KpiOut
    total: float | None


# ---------------------------------------------------------------- endpoints


@router.get(
    "/appraisals/cycles/{int:cycle_id}/results",
    response={200: ResultPage, **ERROR_RESPONSES},
    summary="A cycle's results (the office)",
)
def cycle_result_list(
    request: HttpRequest, cycle_id: int, filters: Query[ResultFilters], paging: Query[PageParams]
) -> dict[str, Any]:
    """Every appraisal of the cycle with its scores, ranks and suggested grade, sorted by
    score (best first, those without a score last) unless `sort` says otherwise."""
    user = api_user(request)
    cycle = get_cycle_for_results(user, cycle_id)
    results = cycle_results(cycle, with_sections=True)
    f = ResultFilter(
        department_id=filters.department_id,
        grade=filters.grade,
        eligibility=filters.eligibility,
        ties=filters.ties,
        q=filters.q,
        sort=filters.sort,
    )
    known = (results.total, results.scored) if f.is_empty else None
    ordered = SortedResults(
        results_filtered(cycle, f),
        f.sort,
        grade_order=[b.code for b in results.bands],
        known_count=known,
    )
    offset = (paging.page - 1) * paging.page_size
    rows = ordered[offset : offset + paging.page_size]
    return {
        "items": [ResultRowOut.of(a, results) for a in rows],
        "count": ordered.count(),
        "page": paging.page,
        "page_size": paging.page_size,
    }


@router.get(
    "/appraisals/cycles/{int:cycle_id}/grades",
    response={200: GradesOut, **ERROR_RESPONSES},
    summary="A cycle's suggested grades against its quota limits (the office)",
)
def cycle_grades(request: HttpRequest, cycle_id: int) -> GradesOut:
    user = api_user(request)
    cycle = get_cycle_for_results(user, cycle_id)
    results = cycle_results(cycle)
    return GradesOut(
        cycle_id=cycle.pk,
        appraised=results.total,
        scored=results.scored,
        grades=[GradeCountOut(grade=c, label=lbl, people=n) for c, lbl, n in results.grade_lines],
        quota=[
            QuotaOut(
                label=q.label,
                grades=list(q.grades),
                op=q.op,
                share=q.share,
                enforced=q.enforced,
                department_id=q.department_id,
                population=q.population,
                limit=q.limit,
                actual=q.actual,
                broken=q.broken,
            )
            for q in results.quota
        ],
        ties=results.tied_people,
        stale=results.stale,
    )


def _result(user: User, appraisal_id: int) -> ResultOut:
    appraisal, viewer = get_appraisal_for_results(user, appraisal_id)
    view = result_view(appraisal, viewer)
    results = view.results or cycle_results(appraisal.cycle, with_sections=True)
    return ResultOut.of_view(view, results)


@router.get(
    "/appraisals/results/{int:appraisal_id}",
    response={200: ResultOut, **ERROR_RESPONSES},
    summary="One appraisal's result with its explanation",
)
def result_detail(request: HttpRequest, appraisal_id: int) -> ResultOut:
    """The same as the result page: the office always; the person and their heads once the
    cycle shows results (before that the person gets `shown: false` and no scores)."""
    return _result(api_user(request), appraisal_id)


@router.get(
    "/appraisals/my/results",
    response={200: list[MyResultOut], **ERROR_RESPONSES},
    summary="My appraisal results",
)
def my_results(request: HttpRequest) -> list[MyResultOut]:
    """Every cycle I was appraised in; scores only where the results are published."""
    user = api_user(request)
    out: list[MyResultOut] = []
    cache: dict[int, CycleResults] = {}
    for a in my_appraisals(user)[:100]:
        shown = shows_results(a.cycle)
        if a.cycle_id not in cache:
            cache[a.cycle_id] = cycle_results(a.cycle, with_sections=True)
        row = ResultRowOut.of(a, cache[a.cycle_id], shown=shown)
        out.append(
            MyResultOut(
                **row.model_dump(),
                cycle=a.cycle.name,
                phase=a.cycle.phase,
                start=a.cycle.start,
                end=a.cycle.end,
            )
        )
    return out


def _kpi_result(appraisal_id: int, row: KpiScore) -> KpiResultOut:
    total = Appraisal.objects.values_list("total", flat=True).get(pk=appraisal_id)
    return KpiResultOut(kpi=_kpi_out(row.item, row), total=total)


@router.post(
    "/appraisals/results/{int:appraisal_id}/kpi/{int:item_id}/override",
    response={200: KpiResultOut, **WRITE_RESPONSES},
    summary="Set a KPI score by hand (the office)",
)
def kpi_override(
    request: HttpRequest, appraisal_id: int, item_id: int, payload: OverrideIn
) -> KpiResultOut:
    """Set the item's score by hand with a reason (or remove it with `score: null`); audited
    with the score before and after, and the appraisal is rescored at once."""
    user = api_user(request)
    get_appraisal_for_results(user, appraisal_id)  # 404 to those who may not read it
    row = kpi.kpi_score_override(
        actor=_actor(request, user),
        user=user,
        appraisal_id=appraisal_id,
        item_id=item_id,
        expected_version=payload.expected_version,
        score=payload.score,
        reason=payload.reason,
    )
    return _kpi_result(appraisal_id, row)


@router.put(
    "/appraisals/results/{int:appraisal_id}/kpi/{int:item_id}/comment",
    response={200: KpiResultOut, **WRITE_RESPONSES},
    summary="Comment on a KPI item (the person's superior)",
)
def kpi_comment(
    request: HttpRequest, appraisal_id: int, item_id: int, payload: CommentIn
) -> KpiResultOut:
    """The superior comments; the computed score stays as it is."""
    user = api_user(request)
    get_appraisal_for_kpi(user, appraisal_id, override=False)
    row = kpi.kpi_comment_set(
        actor=_actor(request, user),
        user=user,
        appraisal_id=appraisal_id,
        item_id=item_id,
        expected_version=payload.expected_version,
        comment=payload.comment,
    )
    return _kpi_result(appraisal_id, row)


class EligibilityIn(Schema):
    model_config = ConfigDict(extra="forbid")
    expected_version: int = Field(ge=0, description="The appraisal's version.")
    eligibility: str = Field(description="One of " + ", ".join(Eligibility.values) + ".")
    reason: str = Field(description="Required; shown with the eligibility and audited.")


@router.post(
    "/appraisals/results/{int:appraisal_id}/eligibility",
    response={200: ResultOut, **WRITE_RESPONSES},
    summary="Set a person's eligibility by hand (the office)",
)
def eligibility_set(request: HttpRequest, appraisal_id: int, payload: EligibilityIn) -> ResultOut:
    """Any eligibility, with a reason: e.g. "refused" (拒不参加考核, the lowest grade), or
    "graded" over a computed "comment_only". Audited; the suggested grades follow at the next
    full recompute (`grades_outdated_since` on the cycle until then)."""
    user = api_user(request)
    get_appraisal_for_kpi(user, appraisal_id, override=True)  # 404 outsiders, 403 readers
    corrections.appraisal_set_eligibility(
        actor=_actor(request, user),
        user=user,
        appraisal_id=appraisal_id,
        expected_version=payload.expected_version,
        eligibility=payload.eligibility,
        reason=payload.reason,
    )
    return _result(user, appraisal_id)
