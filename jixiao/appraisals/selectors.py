"""Reads shared by the appraisal pages and API: which cycles a user sees, one cycle with the
404/403 rule, schemes, assignments, rater workload and code batches (counts only).

Who sees a cycle (`cycles_visible_to`): system administrators; the performance
administrators, unit leaders and auditors whose grant covers the cycle's unit (the office);
and users whose read scope lies inside the unit (department heads), who read their part of it
on the result pages. Everybody else (staff, raters) reaches a cycle only through their own
appraisal or assignments, on the rater's and result pages, never through these selectors.

Anonymity: nothing here lists a rating's value with its rater, and assignments given through
one-time codes are counted, never listed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    CodeBatch,
    Cycle,
    CycleJob,
    CyclePhase,
    CycleSeries,
    Scheme,
    SchemeGroup,
    SchemeItem,
    SchemeSection,
)
from jixiao.appraisals.permissions import (
    can_manage_cycle,
    can_manage_series,
    can_see_cycle_office,
    office_paths,
)
from jixiao.core.errors import forbidden
from jixiao.engine import periods
from jixiao.indicators.models import BarsLevel
from jixiao.org.access import scope_for

OPEN_STATUSES = (AssignmentStatus.OPEN, AssignmentStatus.DRAFT)


# ---------------------------------------------------------------- cycles


def _cycle_q(user: Any) -> Q | None:
    """The filter of the cycles a user sees, or None for all of them."""
    scope = scope_for(user)
    if scope.is_system_admin:
        return None
    q = Q(pk__in=[])
    for path in office_paths(user):
        q |= Q(unit__path__startswith=path)
    # A read scope inside a unit (a department head): the unit's cycles. A unit path is a
    # prefix of the scope's path, so match the unit against each prefix of the path.
    prefixes: set[str] = set()
    for path in scope.read_paths:
        parts = [p for p in path.split("/") if p]
        prefixes.update("/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts)))
    if prefixes:
        q |= Q(unit__path__in=sorted(prefixes))
    return q


def cycles_visible_to(user: Any) -> QuerySet[Cycle]:
    """The cycles a user sees, with their unit and scheme (two joins, no more queries)."""
    if user is None or not user.is_authenticated:
        return Cycle.objects.none()
    qs = Cycle.objects.select_related("unit", "scheme")
    q = _cycle_q(user)
    return qs if q is None else qs.filter(q)


def get_cycle_for_user(user: Any, pk: int, *, office: bool = False, write: bool = False) -> Cycle:
    """The cycle if visible (else 404). With `office`, 403 unless the user is of the office
    (performance administrators, unit leaders, auditors); with `write`, 403 unless they may
    run the cycle."""
    cycle = cycles_visible_to(user).filter(pk=pk).first()
    if cycle is None:
        raise Http404
    if (office or write) and not can_see_cycle_office(user, cycle):
        raise forbidden()
    if write and not can_manage_cycle(user, cycle):
        raise forbidden()
    return cycle


@dataclass(frozen=True)
class CycleFilter:
    q: str = ""
    unit_id: int | None = None
    phase: str = ""
    kind: str = ""


def cycles_filtered(user: Any, f: CycleFilter) -> QuerySet[Cycle]:
    qs = cycles_visible_to(user)
    if f.q.strip():
        qs = qs.filter(name__icontains=f.q.strip())
    if f.unit_id is not None:
        qs = qs.filter(unit_id=f.unit_id)
    if f.phase:
        qs = qs.filter(phase=f.phase)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    return qs.annotate(appraisal_count=Count("appraisals", distinct=True)).order_by("-start", "-id")


@dataclass(frozen=True)
class CycleCounts:
    appraisals: int
    by_eligibility: dict[str, int]
    assignments: int
    by_status: dict[str, int]
    by_group: dict[str, dict[str, int]]
    """group → status → count (named raters and codes alike)."""
    ties: int
    computed: int


def cycle_counts(cycle: Cycle) -> CycleCounts:
    """Appraisals by eligibility and assignments by group and status: two grouped queries."""
    by_eligibility: dict[str, int] = {}
    ties = computed = 0
    for eligibility, tie, is_computed, n in (
        Appraisal.objects.filter(cycle=cycle)
        .values_list("eligibility", "tie")
        .annotate(computed=Count("computed_at"))
        .annotate(n=Count("id"))
        .values_list("eligibility", "tie", "computed", "n")
        .order_by()
    ):
        by_eligibility[eligibility] = by_eligibility.get(eligibility, 0) + n
        ties += n if tie else 0
        computed += is_computed
    by_status: dict[str, int] = {}
    by_group: dict[str, dict[str, int]] = {}
    for group, status, n in (
        Assignment.objects.filter(cycle=cycle)
        .values_list("group", "status")
        .annotate(n=Count("id"))
        .values_list("group", "status", "n")
        .order_by()
    ):
        by_status[status] = by_status.get(status, 0) + n
        by_group.setdefault(group, {})[status] = n
    return CycleCounts(
        appraisals=sum(by_eligibility.values()),
        by_eligibility=by_eligibility,
        assignments=sum(by_status.values()),
        by_status=by_status,
        by_group=by_group,
        ties=ties,
        computed=computed,
    )


def tied_appraisals(cycle: Cycle, limit: int = 50) -> list[Appraisal]:
    """People at a quota boundary with equal scores (flagged, never broken silently)."""
    return list(
        Appraisal.objects.filter(cycle=cycle, tie=True)
        .select_related("person", "department")
        .order_by("-total", "person__employee_no")[:limit]
    )


# ---------------------------------------------------------------- jobs


def latest_job(cycle: Cycle, kind: str) -> CycleJob | None:
    return CycleJob.objects.filter(cycle=cycle, kind=kind).order_by("-created_at", "-id").first()


def get_job_for_user(user: Any, pk: int) -> CycleJob:
    """A cycle's background job: for the office of its cycle (404 to anybody else)."""
    job = CycleJob.objects.select_related("cycle", "cycle__unit").filter(pk=pk).first()
    if job is None or not cycles_visible_to(user).filter(pk=job.cycle_id).exists():
        raise Http404
    if not can_see_cycle_office(user, job.cycle):
        raise forbidden()
    return job


# ---------------------------------------------------------------- schemes


@dataclass(frozen=True)
class SchemeFilter:
    q: str = ""
    preset: str = ""
    active: str = "1"
    latest_only: bool = True


def schemes_filtered(f: SchemeFilter) -> QuerySet[Scheme]:
    """The latest version of each scheme (or, without `latest_only`, every version, newest
    first within a code); schemes are readable by every signed-in user."""
    qs = Scheme.objects.filter(is_latest=True) if f.latest_only else Scheme.objects.all()
    if f.q.strip():
        term = f.q.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(code__icontains=term))
    if f.preset:
        qs = qs.filter(preset=f.preset)
    if f.active in ("0", "1"):
        qs = qs.filter(is_active=f.active == "1")
    return qs.order_by("code", "-revision")


def scheme_version_counts(codes: list[str]) -> dict[str, int]:
    """code → number of versions, in one grouped query."""
    return dict(
        Scheme.objects.filter(code__in=codes)
        .values_list("code")
        .annotate(n=Count("id"))
        .values_list("code", "n")
        .order_by()
    )


def get_scheme(pk: int) -> Scheme:
    scheme = Scheme.objects.filter(pk=pk).first()
    if scheme is None:
        raise Http404
    return scheme


def scheme_versions(scheme: Scheme) -> list[Scheme]:
    return list(
        Scheme.objects.filter(code=scheme.code)
        .select_related("created_by")
        .annotate(cycle_count=Count("cycles"))
        .order_by("-revision")
    )


@dataclass
class SchemeItemView:
    item: SchemeItem
    levels: list[BarsLevel]


@dataclass
class SchemeSectionView:
    section: SchemeSection
    items: list[SchemeItemView]
    rated_by: list[str]


def scheme_structure(scheme: Scheme) -> tuple[list[SchemeSectionView], list[SchemeGroup]]:
    """Sections with their items, each item's indicator and BARS levels, and the rater
    groups: four queries whatever the size of the scheme."""
    sections = list(scheme.sections.order_by("position", "id"))
    items = list(
        SchemeItem.objects.filter(section__scheme=scheme)
        .select_related("indicator")
        .order_by("position", "id")
    )
    groups = list(scheme.groups.order_by("id"))
    levels: dict[int, list[BarsLevel]] = {}
    for level in BarsLevel.objects.filter(
        indicator_id__in={i.indicator_id for i in items if i.indicator_id}
    ).order_by("indicator_id", "-level"):
        levels.setdefault(level.indicator_id, []).append(level)
    by_section: dict[int, list[SchemeItemView]] = {}
    for item in items:
        by_section.setdefault(item.section_id, []).append(
            SchemeItemView(item, levels.get(item.indicator_id or 0, []))
        )
    return [
        SchemeSectionView(
            s,
            by_section.get(s.pk, []),
            [g.get_group_display() for g in groups if s.code in g.sections],
        )
        for s in sections
    ], groups


# ---------------------------------------------------------------- assignments and workload


@dataclass(frozen=True)
class AssignmentFilter:
    appraisal_id: int | None = None
    rater_id: int | None = None
    department_id: int | None = None
    group: str = ""
    status: str = ""
    q: str = ""


def anonymous_groups(cycle: Cycle) -> set[str]:
    """The rater groups of the cycle's scheme whose raters nobody may see."""
    return set(cycle.scheme.groups.filter(anonymous=True).values_list("group", flat=True))


def assignments_filtered(cycle: Cycle, f: AssignmentFilter) -> QuerySet[Assignment]:
    """Named raters' assignments of the cycle (codes are counted elsewhere, never listed).

    Rows of anonymous groups are listed for their status, with the rater masked by the pages
    and the API (see `rater_shown`); a search or filter by rater leaves them out entirely, so
    nobody can find out whom an anonymous rater rates.
    """
    qs = Assignment.objects.filter(cycle=cycle, rater__isnull=False).select_related(
        "rater", "rater__department", "appraisal__person", "appraisal__department"
    )
    if f.rater_id is not None or f.q.strip():
        qs = qs.exclude(group__in=anonymous_groups(cycle))
    if f.appraisal_id is not None:
        qs = qs.filter(appraisal_id=f.appraisal_id)
    if f.rater_id is not None:
        qs = qs.filter(rater_id=f.rater_id)
    if f.department_id is not None:
        from jixiao.org.models import Department

        path = Department.objects.filter(pk=f.department_id).values_list("path", flat=True).first()
        qs = qs.filter(appraisal__department__path__startswith=path or "-")
    if f.group:
        qs = qs.filter(group=f.group)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.q.strip():
        term = f.q.strip()
        qs = qs.filter(
            Q(appraisal__person__name__icontains=term)
            | Q(appraisal__person__employee_no__icontains=term)
            | Q(rater__name__icontains=term)
            | Q(rater__employee_no__icontains=term)
        )
    return qs.order_by("appraisal__department__path", "appraisal__person__employee_no", "group")


def rater_shown(assignment: Assignment, anonymous: set[str]) -> bool:
    return assignment.group not in anonymous


def anonymous_counts_of_rater(cycle: Cycle, rater_id: int) -> dict[str, dict[str, int]]:
    """group → status → count of a rater's assignments in anonymous groups (no ratees)."""
    out: dict[str, dict[str, int]] = {}
    for group, status, n in (
        Assignment.objects.filter(cycle=cycle, rater_id=rater_id, group__in=anonymous_groups(cycle))
        .values_list("group", "status")
        .annotate(n=Count("id"))
        .values_list("group", "status", "n")
    ):
        out.setdefault(group, {})[status] = n
    return out


def code_assignment_counts(cycle: Cycle, appraisal_id: int | None = None) -> dict[str, int]:
    """group → ratings submitted through one-time codes (counts only)."""
    qs = Assignment.objects.filter(cycle=cycle, code__isnull=False)
    if appraisal_id is not None:
        qs = qs.filter(appraisal_id=appraisal_id)
    return dict(
        qs.values_list("group").annotate(n=Count("id")).values_list("group", "n").order_by()
    )


def get_appraisal_in_cycle(cycle: Cycle, pk: int) -> Appraisal:
    appraisal = (
        Appraisal.objects.select_related("person", "department", "post")
        .filter(cycle=cycle, pk=pk)
        .first()
    )
    if appraisal is None:
        raise Http404
    return appraisal


@dataclass
class WorkloadRow:
    rater_id: int
    name: str
    employee_no: str
    department: str
    assigned: int
    submitted: int
    open: int
    by_group: dict[str, tuple[int, int]]
    """group → (assigned, submitted); cancelled and unapproved nominations left out."""
    cells: list[tuple[int, int] | None] = field(default_factory=list)
    """The by_group values in the order of the scheme's groups, for a table."""

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.assigned) if self.assigned else 100


def rater_workload(
    cycle: Cycle, *, q: str = "", only_open: bool = False, limit: int | None = None
) -> list[WorkloadRow]:
    """Per named rater: assigned, submitted and open assignments, by group. One aggregate
    query grouped by rater and group, whatever the number of raters."""
    qs = Assignment.objects.filter(cycle=cycle, rater__isnull=False).exclude(
        status__in=[AssignmentStatus.CANCELLED, AssignmentStatus.PENDING]
    )
    if q.strip():
        term = q.strip()
        qs = qs.filter(Q(rater__name__icontains=term) | Q(rater__employee_no__icontains=term))
    rows = (
        qs.values_list(
            "rater_id", "rater__name", "rater__employee_no", "rater__department__name", "group"
        )
        .annotate(
            assigned=Count("id"),
            submitted=Count("id", filter=Q(status=AssignmentStatus.SUBMITTED)),
        )
        .values_list(
            "rater_id",
            "rater__name",
            "rater__employee_no",
            "rater__department__name",
            "group",
            "assigned",
            "submitted",
        )
        .order_by("rater__employee_no", "group")
    )
    out: dict[int, WorkloadRow] = {}
    for rater_id, name, number, dept, group, assigned, submitted in rows:
        row = out.get(rater_id)
        if row is None:
            row = out[rater_id] = WorkloadRow(rater_id, name, number, dept, 0, 0, 0, {})
        row.assigned += assigned
        row.submitted += submitted
        row.open += assigned - submitted
        row.by_group[group] = (assigned, submitted)
    result = list(out.values())
    if only_open:
        result = [r for r in result if r.open]
    result.sort(key=lambda r: (-r.open, r.employee_no))
    return result[:limit] if limit is not None else result


# ---------------------------------------------------------------- code batches


def code_batches(cycle: Cycle) -> list[CodeBatch]:
    """The cycle's code batches with `opened` and `used` counts: one query."""
    return list(
        CodeBatch.objects.filter(cycle=cycle)
        .select_related("department", "created_by")
        .annotate(
            opened=Count("codes", filter=Q(codes__opened_at__isnull=False)),
            used=Count("codes", filter=Q(codes__used_at__isnull=False)),
        )
        .order_by("-created_at", "-id")
    )


# ---------------------------------------------------------------- recurring series


def series_visible_to(user: Any) -> QuerySet[CycleSeries]:
    """The recurring series of the units whose office the user is of (system administrators:
    all), with their unit and scheme."""
    if user is None or not user.is_authenticated:
        return CycleSeries.objects.none()
    qs = CycleSeries.objects.select_related("unit", "scheme")
    if scope_for(user).is_system_admin:
        return qs
    q = Q(pk__in=[])
    for path in office_paths(user):
        q |= Q(unit__path__startswith=path)
    return qs.filter(q)


def get_series_for_user(user: Any, pk: int, *, write: bool = False) -> CycleSeries:
    """The series if the user is of its unit's office (else 404); with `write`, 403 unless
    they may change it."""
    series = series_visible_to(user).filter(pk=pk).first()
    if series is None:
        raise Http404
    if write and not can_manage_series(user, series):
        raise forbidden()
    return series


@dataclass(frozen=True)
class SeriesCycle:
    id: int
    name: str
    period_start: datetime.date
    phase: str

    @property
    def phase_label(self) -> str:
        return str(dict(CyclePhase.choices).get(self.phase, self.phase))


@dataclass(frozen=True)
class SeriesOverview:
    cycles: list[SeriesCycle]
    """Newest period first."""
    next_period: periods.Period | None
    """The first period still without its cycle (due already when its creation day passed)."""
    next_creation_day: datetime.date | None

    def is_overdue(self, today: datetime.date) -> bool:
        return self.next_creation_day is not None and self.next_creation_day <= today


def series_overview(series: list[CycleSeries]) -> dict[int, SeriesOverview]:
    """Each series' cycles and its next period, in one query for all of them."""
    made: dict[int, list[SeriesCycle]] = defaultdict(list)
    for series_id, pk, name, start, phase in (
        Cycle.objects.filter(series_id__in=[s.pk for s in series])
        .order_by("series_id", "-period_start")
        .values_list("series_id", "id", "name", "period_start", "phase")
    ):
        if series_id is not None and start is not None:  # the check constraint: both set
            made[series_id].append(SeriesCycle(pk, name, start, phase))
    out = {}
    for s in series:
        starts = {c.period_start for c in made[s.pk]}
        try:
            upcoming = periods.next_missing(s.kind, s.first_start, starts, not_before=s.resume_from)
        except periods.PeriodError:
            upcoming = None
        out[s.pk] = SeriesOverview(
            cycles=made[s.pk],
            next_period=upcoming,
            next_creation_day=upcoming.creation_day(s.lead_days) if upcoming else None,
        )
    return out
