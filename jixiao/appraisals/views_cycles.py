"""The performance office's cycle pages: list, create, the cycle's page (phases, counts,
recompute with progress, quota limits and ties), rater assignments, reassignment, workload,
rater statistics, reminders and one-time code sheets.

Access: every page goes through selectors.get_cycle_for_user: a cycle outside the user's
view answers 404; a department head who sees the cycle (for its results) gets 403 on these
office pages, so the list links their cycles to the team results instead (once shown);
auditors and unit leaders read them; the unit's performance administrators (and system
administrators) change things.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jixiao.appraisals import codes, cycles, jobs, phases, reminders
from jixiao.appraisals.forms_office import (
    CYCLE_FIELD_MAP,
    AssignmentAddForm,
    AssignmentFilterForm,
    CancelForm,
    CodeBatchForm,
    CycleFilterForm,
    CycleForm,
    PhaseForm,
    ReassignForm,
    period_attrs,
)
from jixiao.appraisals.models import (
    PHASE_ORDER,
    AssignmentStatus,
    CodeBatch,
    Cycle,
    CyclePhase,
    Eligibility,
    JobKind,
    JobStatus,
    RaterGroup,
)
from jixiao.appraisals.permissions import (
    can_create_cycles,
    can_manage_cycle,
    can_see_cycle_office,
    can_see_series_pages,
    shows_results,
)
from jixiao.appraisals.scoring import stale_since
from jixiao.appraisals.selectors import (
    AssignmentFilter,
    CycleFilter,
    anonymous_counts_of_rater,
    anonymous_groups,
    assignments_filtered,
    code_assignment_counts,
    code_batches,
    cycle_counts,
    cycles_filtered,
    cycles_visible_to,
    get_appraisal_in_cycle,
    get_cycle_for_user,
    get_job_for_user,
    latest_job,
    rater_workload,
    tied_appraisals,
)
from jixiao.appraisals.selectors_raters import (
    FLAGS,
    RaterStatFilter,
    counts_shown,
    rater_stat_summary,
    rater_stats_filtered,
)
from jixiao.appraisals.selectors_results import team_cycles
from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError, forbidden
from jixiao.core.forms import apply_domain_error
from jixiao.org.models import Department, Person
from jixiao.org.selectors import departments_visible_to, people_visible_to
from jixiao.org.views import is_htmx, paginate

CYCLES_PER_PAGE = 50
ASSIGNMENTS_PER_PAGE = 100
WORKLOAD_PER_PAGE = 100
RATER_STATS_PER_PAGE = 50

# The flags of rater statistics: label and the rule behind it (jixiao/engine/appraisal/
# rater_stats.py, with the top score of 95 set by scoring._rater_stat_rows).
RATER_FLAGS: dict[str, tuple[Any, Any]] = {
    "lenient": (
        gettext_lazy("Lenient"),
        gettext_lazy(
            "The rater's mean is more than 2 standard deviations (of the group's rater means) "
            "above the group's average; groups of 3 or more raters."
        ),
    ),
    "severe": (
        gettext_lazy("Severe"),
        gettext_lazy(
            "The rater's mean is more than 2 standard deviations (of the group's rater means) "
            "below the group's average; groups of 3 or more raters."
        ),
    ),
    "central": (
        gettext_lazy("Central tendency"),
        gettext_lazy(
            "The rater's spread is below a third of the group's median spread; "
            "3 or more people rated."
        ),
    ),
    "halo": (
        gettext_lazy("Halo"),
        gettext_lazy(
            "The mean correlation between items is 0.9 or more: one impression coloured "
            "every item (3 or more people rated on two or more items)."
        ),
    ),
    "top_heavy": (
        gettext_lazy("Top-heavy"),
        gettext_lazy(
            "Half or more of the rater's scores are top scores (95 or more); "
            "3 or more people rated."
        ),
    ),
}


def _office_cycle(request: HttpRequest, pk: int, *, write: bool = False) -> Cycle:
    return get_cycle_for_user(request.user, pk, office=True, write=write)


def _phase_steps(cycle: Cycle) -> list[dict[str, Any]]:
    here = PHASE_ORDER.index(cycle.phase)
    labels = dict(CyclePhase.choices)
    return [
        {
            "code": code,
            "label": labels[code],
            "deadline": (cycle.deadlines or {}).get(code, ""),
            "done": i < here,
            "current": i == here,
        }
        for i, code in enumerate(PHASE_ORDER)
    ]


# ---------------------------------------------------------------- cycles


@login_required
@require_GET
def cycle_list(request: HttpRequest) -> HttpResponse:
    visible = cycles_visible_to(request.user)
    units = Department.objects.filter(pk__in=visible.values("unit_id")).order_by("path")
    form = CycleFilterForm(request.GET or None, units=units)
    cd = form.cleaned_data if form.is_bound and form.is_valid() else {}
    f = CycleFilter(
        q=cd.get("q", ""),
        unit_id=cd["unit"].pk if cd.get("unit") else None,
        phase=cd.get("phase", ""),
        kind=cd.get("kind", ""),
    )
    context = paginate(request, cycles_filtered(request.user, f), CYCLES_PER_PAGE)
    return render(
        request,
        "appraisals/cycle_list.html",
        {
            "form": form,
            "can_create": can_create_cycles(request.user),
            "can_see_series": can_see_series_pages(request.user),
            "rows": _cycle_rows(request.user, list(context["page_obj"].object_list)),
            **context,
        },
    )


def _cycle_rows(user: Any, page: list[Cycle]) -> list[tuple[Cycle, str]]:
    """Each cycle of the page with what its name links to for this user: "office" (the
    cycle's page), "team" (the team results of a department head, once results show),
    "later" (their team's results, not shown yet) or "" (nothing they may open)."""
    office = {c.pk for c in page if can_see_cycle_office(user, c)}
    team = team_cycles(user, [c for c in page if c.pk not in office])
    rows: list[tuple[Cycle, str]] = []
    for c in page:
        if c.pk in office:
            rows.append((c, "office"))
        elif c.pk in team:
            rows.append((c, "team" if shows_results(c) else "later"))
        else:
            rows.append((c, ""))
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def cycle_new(request: HttpRequest) -> HttpResponse:
    if not can_create_cycles(request.user):
        raise forbidden()
    people = people_visible_to(request.user).select_related(None)
    form = CycleForm(request.POST or None, user=request.user, people_qs=people)
    if request.method == "POST" and form.is_valid():
        data = form.to_data()
        large = jobs.populates_later(data.population)
        actor = actor_from_request(request)
        try:
            cycle = cycles.cycle_create(
                actor=actor, user=request.user, data=data, populate_now=not large
            )
        except DomainError as e:
            apply_domain_error(form, e, CYCLE_FIELD_MAP)
            form.mark_invalid()
        else:
            if large:
                job = jobs.populate_start(actor=actor, user=request.user, cycle_id=cycle.pk)
                messages.info(
                    request,
                    _(
                        "Cycle created. Its people and raters are being generated in the background."
                    ),
                )
                return redirect("appraisals:cycle_job", pk=cycle.pk, job_id=job.pk)
            messages.success(request, _("Cycle “%(name)s” created.") % {"name": cycle.name})
            return redirect("appraisals:cycle_detail", pk=cycle.pk)
    return render(
        request,
        "appraisals/cycle_form.html",
        {"form": form, "periods": period_attrs(timezone.localdate())},
    )


def _detail_context(request: HttpRequest, cycle: Cycle) -> dict[str, Any]:
    recompute = latest_job(cycle, JobKind.RECOMPUTE)
    populate = latest_job(cycle, JobKind.POPULATE)
    last_summary = (
        recompute.summary
        if recompute is not None and recompute.status == JobStatus.SUCCEEDED
        else None
    )
    if last_summary is None and cycle.computed_at is not None:
        done = (
            cycle.jobs.filter(kind=JobKind.RECOMPUTE, status=JobStatus.SUCCEEDED)
            .order_by("-finished_at")
            .first()
        )
        last_summary = done.summary if done is not None else None
    counts = cycle_counts(cycle)
    groups = list(cycle.scheme.groups.order_by("id"))
    statuses = AssignmentStatus.choices
    can_manage = can_manage_cycle(request.user, cycle)
    here = PHASE_ORDER.index(cycle.phase)
    labels = dict(CyclePhase.choices)
    return {
        "cycle": cycle,
        "series": cycle.series if cycle.series_id else None,
        "steps": _phase_steps(cycle),
        "next_phase": PHASE_ORDER[here + 1] if here + 1 < len(PHASE_ORDER) else None,
        "results_waiting": phases.results_not_ready(cycle)
        if can_manage and here + 1 == PHASE_ORDER.index(CyclePhase.RESULTS)
        else None,
        "previous_phase": PHASE_ORDER[here - 1]
        if here > 0 and cycle.phase != CyclePhase.CLOSED
        else None,
        "next_label": labels.get(PHASE_ORDER[here + 1], "") if here + 1 < len(PHASE_ORDER) else "",
        "previous_label": labels.get(PHASE_ORDER[here - 1], "") if here > 0 else "",
        "counts": counts,
        "eligibility_rows": [
            (code, label, counts.by_eligibility[code])
            for code, label in Eligibility.choices
            if counts.by_eligibility.get(code)
        ],
        "group_rows": [
            {
                "group": g,
                "cells": [counts.by_group.get(g.group, {}).get(code, 0) for code, _l in statuses],
                "total": sum(counts.by_group.get(g.group, {}).values()),
            }
            for g in groups
        ],
        "has_recipients": any(g.group == RaterGroup.RECIPIENT for g in groups),
        "statuses": statuses,
        "status_totals": [counts.by_status.get(code, 0) for code, _l in statuses],
        "recompute": recompute,
        "populate": populate,
        "populating": populate is not None and not populate.is_finished,
        "summary": last_summary,
        "stale": stale_since(cycle),
        "ties": tied_appraisals(cycle, 20) if counts.ties else [],
        "can_manage": can_manage,
        "can_recompute": can_manage and cycle.phase in jobs.RECOMPUTE_PHASES,
        "can_remind": can_manage and cycle.phase in reminders.REMIND_PHASES,
        "rating_deadline": reminders.rating_deadline(cycle),
    }


def _detail(request: HttpRequest, cycle: Cycle, error: DomainError | None = None) -> HttpResponse:
    context = _detail_context(request, cycle)
    context["error"] = error
    return render(
        request,
        "appraisals/cycle_detail.html",
        context,
        status=error.status if error is not None else 200,
    )


@login_required
@require_GET
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _office_cycle(request, pk))


@login_required
@require_POST
def cycle_phase(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _office_cycle(request, pk, write=True)
    form = PhaseForm(request.POST)
    if not form.is_valid():
        return _detail(
            request, cycle, DomainError("validation_failed", _("Choose a phase."), status=400)
        )
    try:
        moved = phases.cycle_set_phase(
            actor=actor_from_request(request),
            user=request.user,
            cycle_id=cycle.pk,
            expected_version=form.cleaned_data["version"],
            phase=form.cleaned_data["phase"],
        )
    except DomainError as e:
        cycle.refresh_from_db()
        return _detail(request, cycle, e)
    messages.success(
        request,
        _("The cycle is now in the phase “%(phase)s”.") % {"phase": moved.get_phase_display()},
    )
    return redirect("appraisals:cycle_detail", pk=cycle.pk)


@login_required
@require_POST
def cycle_recompute(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _office_cycle(request, pk, write=True)
    try:
        jobs.recompute_start(actor=actor_from_request(request), user=request.user, cycle_id=pk)
    except DomainError as e:
        return _detail(request, cycle, e)
    return redirect(reverse("appraisals:cycle_detail", args=[pk]) + "#recompute")


@login_required
@require_POST
def cycle_populate(request: HttpRequest, pk: int) -> HttpResponse:
    """Generate the people and raters of a cycle whose population task did not finish."""
    cycle = _office_cycle(request, pk, write=True)
    try:
        job = jobs.populate_start(actor=actor_from_request(request), user=request.user, cycle_id=pk)
    except DomainError as e:
        return _detail(request, cycle, e)
    return redirect("appraisals:cycle_job", pk=pk, job_id=job.pk)


@login_required
@require_GET
def cycle_job(request: HttpRequest, pk: int, job_id: int) -> HttpResponse:
    """A job's progress: the whole page, or (htmx) the bar the page polls."""
    job = get_job_for_user(request.user, job_id)
    if job.cycle_id != pk:
        raise Http404
    context = {"job": job, "cycle": job.cycle}
    if not is_htmx(request):
        return render(request, "appraisals/cycle_job.html", context)
    response = render(request, "appraisals/cycle_job.html#progress", context)
    if job.is_finished:  # the poll that sees the end reloads the page around it
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def cycle_remind(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _office_cycle(request, pk, write=True)
    try:
        sent = reminders.rater_reminders_send_now(
            actor=actor_from_request(request),
            user=request.user,
            cycle_id=pk,
            today=timezone.localdate(),
        )
    except DomainError as e:
        return _detail(request, cycle, e)
    if sent:
        messages.success(request, _("%(n)s raters reminded.") % {"n": sent})
    else:
        messages.info(
            request, _("Nobody new to remind: raters with open ratings were reminded today.")
        )
    return redirect("appraisals:cycle_detail", pk=pk)


# ---------------------------------------------------------------- raters


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _code_count_rows(cycle: Cycle, appraisal_id: int | None = None) -> list[tuple[str, int]]:
    labels = dict(RaterGroup.choices)
    counts = code_assignment_counts(cycle, appraisal_id)
    return [(str(labels.get(g, g)), n) for g, n in sorted(counts.items())]


def _anonymous_groups(cycle: Cycle) -> set[str]:
    return anonymous_groups(cycle)


@login_required
@require_GET
def cycle_assignments(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _office_cycle(request, pk)
    form = AssignmentFilterForm(request.GET or None)
    cd = form.cleaned_data if form.is_bound and form.is_valid() else {}
    f = AssignmentFilter(
        appraisal_id=cd.get("appraisal"),
        rater_id=cd.get("rater"),
        group=cd.get("group", ""),
        status=cd.get("status", ""),
        q=cd.get("q", ""),
    )
    rater = (
        Person.objects.filter(pk=f.rater_id).select_related("department").first()
        if f.rater_id
        else None
    )
    appraisal = get_appraisal_in_cycle(cycle, f.appraisal_id) if f.appraisal_id else None
    context = paginate(request, assignments_filtered(cycle, f), ASSIGNMENTS_PER_PAGE)
    return render(
        request,
        "appraisals/cycle_assignments.html",
        {
            "cycle": cycle,
            "form": form,
            "rater": rater,
            "appraisal": appraisal,
            "anonymous_groups": _anonymous_groups(cycle),
            "anonymous_of_rater": anonymous_counts_of_rater(cycle, rater.pk) if rater else {},
            "code_counts": _code_count_rows(cycle),
            "can_manage": can_manage_cycle(request.user, cycle)
            and cycle.phase not in (CyclePhase.RESULTS, CyclePhase.CLOSED),
            "cancellable": (
                AssignmentStatus.OPEN,
                AssignmentStatus.DRAFT,
                AssignmentStatus.PENDING,
            ),
            "here": request.get_full_path(),
            **context,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cycle_appraisal_raters(request: HttpRequest, pk: int, appraisal_id: int) -> HttpResponse:
    """One person's raters, with a form to add one."""
    cycle = _office_cycle(request, pk, write=request.method == "POST")
    appraisal = get_appraisal_in_cycle(cycle, appraisal_id)
    people = people_visible_to(request.user).select_related(None)
    form = AssignmentAddForm(request.POST or None, cycle=cycle, people=people)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            cycles.assignment_add(
                actor=actor_from_request(request),
                user=request.user,
                appraisal_id=appraisal.pk,
                group=form.cleaned_data["group"],
                rater_id=form.cleaned_data["rater"].pk,
            )
        except DomainError as e:
            apply_domain_error(form, e)
            form.mark_invalid()
            status = 409 if e.status == 409 else 200
        else:
            messages.success(request, _("Rater added."))
            return redirect("appraisals:cycle_appraisal_raters", pk=pk, appraisal_id=appraisal.pk)
    assignments = list(assignments_filtered(cycle, AssignmentFilter(appraisal_id=appraisal.pk)))
    return render(
        request,
        "appraisals/cycle_raters.html",
        {
            "cycle": cycle,
            "appraisal": appraisal,
            "assignments": assignments,
            "form": form,
            "anonymous_groups": _anonymous_groups(cycle),
            "code_counts": _code_count_rows(cycle, appraisal.pk),
            "can_manage": can_manage_cycle(request.user, cycle)
            and cycle.phase not in (CyclePhase.RESULTS, CyclePhase.CLOSED),
            "cancellable": (
                AssignmentStatus.OPEN,
                AssignmentStatus.DRAFT,
                AssignmentStatus.PENDING,
            ),
            "here": request.get_full_path(),
        },
        status=status,
    )


@login_required
@require_POST
def assignment_cancel(request: HttpRequest, pk: int, assignment_id: int) -> HttpResponse:
    cycle = _office_cycle(request, pk, write=True)
    if not cycle.assignments.filter(pk=assignment_id, rater__isnull=False).exists():
        raise Http404
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    back = _back(request, reverse("appraisals:cycle_assignments", args=[pk]))
    try:
        cycles.assignment_cancel(
            actor=actor_from_request(request),
            user=request.user,
            assignment_id=assignment_id,
            reason=reason,
        )
    except DomainError as e:
        messages.error(request, str(e.message))
    else:
        messages.success(request, _("Assignment cancelled."))
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def cycle_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _office_cycle(request, pk, write=True)
    people = people_visible_to(request.user).select_related(None)
    initial = {"from_rater": request.GET.get("from")} if request.GET.get("from") else None
    form = ReassignForm(request.POST or None, people=people, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            moved = cycles.assignments_reassign(
                actor=actor_from_request(request),
                user=request.user,
                cycle_id=pk,
                from_rater_id=form.cleaned_data["from_rater"].pk,
                to_rater_id=form.cleaned_data["to_rater"].pk,
            )
        except DomainError as e:
            apply_domain_error(form, e, {"to_rater": "to_rater"})
            form.mark_invalid()
            status = 409 if e.status == 409 else 200
        else:
            messages.success(request, _("%(n)s unfinished ratings moved.") % {"n": moved})
            return redirect("appraisals:cycle_workload", pk=pk)
    return render(
        request, "appraisals/cycle_reassign.html", {"cycle": cycle, "form": form}, status=status
    )


@login_required
@require_GET
def cycle_workload(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _office_cycle(request, pk)
    q = request.GET.get("q", "")[:100]
    only_open = request.GET.get("open") == "1"
    rows = rater_workload(cycle, q=q, only_open=only_open)
    page = Paginator(rows, WORKLOAD_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    groups = list(cycle.scheme.groups.order_by("id"))
    for row in page.object_list:
        row.cells = [row.by_group.get(g.group) for g in groups]
    return render(
        request,
        "appraisals/cycle_workload.html",
        {
            "cycle": cycle,
            "groups": groups,
            "page_obj": page,
            "query_without_page": params.urlencode(),
            "q": q,
            "only_open": only_open,
            "totals": {
                "raters": len(rows),
                "assigned": sum(r.assigned for r in rows),
                "submitted": sum(r.submitted for r in rows),
                "open": sum(r.open for r in rows),
            },
            "code_counts": _code_count_rows(cycle),
            "can_manage": can_manage_cycle(request.user, cycle)
            and cycle.phase not in (CyclePhase.RESULTS, CyclePhase.CLOSED),
            "self_group": RaterGroup.SELF,
        },
    )


@login_required
@require_GET
def cycle_rater_stats(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _office_cycle(request, pk)
    groups = list(cycle.scheme.groups.order_by("id"))
    codes_ = {g.group for g in groups}
    group = request.GET.get("group", "")
    flag = request.GET.get("flag", "")
    f = RaterStatFilter(group=group if group in codes_ else "", flag=flag if flag in FLAGS else "")
    context = paginate(request, rater_stats_filtered(cycle, f), RATER_STATS_PER_PAGE)
    rows = [
        {
            "stat": stat,
            "counts_shown": counts_shown(stat),
            "badges": [(name, *RATER_FLAGS[name]) for name in stat.flags if name in RATER_FLAGS],
        }
        for stat in context["page_obj"].object_list
    ]
    return render(
        request,
        "appraisals/cycle_rater_stats.html",
        {
            "cycle": cycle,
            "groups": groups,
            "group": f.group,
            "flag": f.flag,
            "flags": [(name, *RATER_FLAGS[name]) for name in FLAGS],
            "rows": rows,
            "summary": rater_stat_summary(cycle),
            "anonymous_groups": {g.group for g in groups if g.anonymous},
            "can_recompute": can_manage_cycle(request.user, cycle)
            and cycle.phase in jobs.RECOMPUTE_PHASES,
            **context,
        },
    )


# ---------------------------------------------------------------- one-time codes


def _code_departments(request: HttpRequest) -> Any:
    return departments_visible_to(request.user).order_by("path")


def _no_store(response: HttpResponseBase) -> HttpResponseBase:
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def cycle_codes(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The code batches (counts only) and the form that makes a batch. A successful POST
    answers with the printable sheet: the only time the plain codes exist outside the
    printed paper."""
    cycle = _office_cycle(request, pk, write=request.method == "POST")
    form = CodeBatchForm(request.POST or None, cycle=cycle, departments=_code_departments(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        try:
            made = codes.code_batch_create(
                actor=actor_from_request(request),
                user=request.user,
                cycle_id=pk,
                department_id=form.cleaned_data["department"].pk,
                size=form.cleaned_data["size"],
                group=form.cleaned_data["group"],
                form_token=token,
            )
        except DomainError as e:
            if e.code == "codes_already_shown":
                batch = CodeBatch.objects.filter(cycle=cycle, form_token=token).first()
                return _no_store(_batch_page(request, cycle, batch, status=409))
            apply_domain_error(form, e)
            form.mark_invalid()
        else:
            response = render(
                request,
                "appraisals/code_sheet.html",
                {
                    "cycle": cycle,
                    "batch": made.batch,
                    "codes": made.codes,
                    "code_url": request.build_absolute_uri(reverse("appraisals:code_enter")),
                },
            )
            return _no_store(response)
    return render(
        request,
        "appraisals/cycle_codes.html",
        {
            "cycle": cycle,
            "form": form,
            "batches": code_batches(cycle),
            "can_manage": can_manage_cycle(request.user, cycle)
            and cycle.phase not in (CyclePhase.RESULTS, CyclePhase.CLOSED),
        },
        status=status,
    )


def _batch_page(
    request: HttpRequest, cycle: Cycle, batch: CodeBatch | None, status: int = 200
) -> HttpResponse:
    counts = codes.batch_counts(batch) if batch is not None else None
    return render(
        request,
        "appraisals/cycle_code_batch.html",
        {"cycle": cycle, "batch": batch, "counts": counts},
        status=status,
    )


@login_required
@require_GET
def cycle_code_batch(request: HttpRequest, pk: int, batch_id: int) -> HttpResponseBase:
    """A batch after its sheet was shown: counts, and never the codes again."""
    cycle = _office_cycle(request, pk)
    batch = CodeBatch.objects.select_related("department").filter(cycle=cycle, pk=batch_id).first()
    if batch is None:
        raise Http404
    return _no_store(_batch_page(request, cycle, batch))
