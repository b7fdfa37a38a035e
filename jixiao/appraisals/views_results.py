"""Result pages: one person's result with its explanation, the office's and a head's lists of a
cycle's results, the KPI override and comment, the appraisal form as a PDF, and the result
files (Excel workbook, ZIP of forms) made by a background task.

Thin, as everywhere: access helper → form → one service → redirect or render. The selectors
decide what each viewer sees (selectors_results.py); nothing here reads a rater.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jixiao.appraisals import kpi
from jixiao.appraisals.forms_results import KpiCommentForm, KpiOverrideForm, ResultFilterForm
from jixiao.appraisals.models import Appraisal, Cycle, ResultFile, ResultFileKind, SchemeItem
from jixiao.appraisals.pdf import appraisal_form_pdf, form_file_name
from jixiao.appraisals.permissions import can_manage_cycle, can_see_cycle_office, shows_results
from jixiao.appraisals.results_export import result_file_create
from jixiao.appraisals.selectors_results import (
    CycleResults,
    SortedResults,
    cycle_results,
    get_appraisal_for_kpi,
    get_appraisal_for_results,
    get_cycle_for_results,
    grade_explanation,
    is_superior_of,
    my_appraisals,
    result_view,
    results_filtered,
    section_scores,
    team_q,
    tie_text,
)
from jixiao.appraisals.self_assessment import can_read_summary
from jixiao.core.actor import actor_from_request
from jixiao.core.errors import DomainError, forbidden
from jixiao.core.forms import apply_domain_error
from jixiao.org.views import posted_form_status

PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- one person's result


def _summary(request: HttpRequest, appraisal: Appraisal) -> str:
    """The personal summary this reader sees: their own draft, else a submitted one only."""
    return appraisal.summary if can_read_summary(request.user, appraisal) else ""


@login_required
@require_GET
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appraisal, viewer = get_appraisal_for_results(request.user, pk)
    view = result_view(appraisal, viewer, summary=_summary(request, appraisal))
    cycle = appraisal.cycle
    return render(
        request,
        "appraisals/result_detail.html",
        {
            "view": view,
            "a": appraisal,
            "cycle": cycle,
            "can_override": can_manage_cycle(request.user, cycle),
            "can_comment": is_superior_of(request.user, appraisal),
            "office": can_see_cycle_office(request.user, cycle),
        },
    )


@login_required
@require_GET
def result_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The appraisal form, for whoever may read the appraisal; before results show, the
    person's own form carries no scores."""
    appraisal, viewer = get_appraisal_for_results(request.user, pk)
    with_scores = viewer == "office" or shows_results(appraisal.cycle)
    data = appraisal_form_pdf(
        appraisal, with_scores=with_scores, summary=_summary(request, appraisal)
    )
    response = HttpResponse(data, content_type="application/pdf")
    name = form_file_name(appraisal)
    response["Content-Disposition"] = (
        f"attachment; filename=\"form-{appraisal.pk}.pdf\"; filename*=UTF-8''{quote(name)}"
    )
    return response


@login_required
@require_GET
def my_results(request: HttpRequest) -> HttpResponse:
    rows = list(my_appraisals(request.user)[:100])
    return render(
        request,
        "appraisals/result_mine.html",
        {"rows": [(a, shows_results(a.cycle)) for a in rows]},
    )


# ---------------------------------------------------------------- KPI: override and comment


def _kpi_item(appraisal: Appraisal, item_id: int) -> SchemeItem:
    item = (
        SchemeItem.objects.select_related("section")
        .filter(pk=item_id, section__scheme_id=appraisal.cycle.scheme_id, section__kind="kpi")
        .first()
    )
    if item is None:
        raise Http404
    return item


@login_required
@require_http_methods(["GET", "POST"])
def kpi_override(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    appraisal = get_appraisal_for_kpi(request.user, pk, override=True)
    item = _kpi_item(appraisal, item_id)
    row = appraisal.kpi_scores.filter(item=item).select_related("overridden_by").first()
    version = row.version if row is not None else 0
    initial = {"version": version, "score": row.override if row is not None else None}
    form = KpiOverrideForm(request.POST or None, initial=initial)
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            kpi.kpi_score_override(
                actor=actor_from_request(request),
                user=request.user,
                appraisal_id=appraisal.pk,
                item_id=item.pk,
                expected_version=form.cleaned_data["version"],
                score=form.cleaned_data["score"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            error = exc
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The score was saved and the appraisal rescored."))
            return redirect("appraisals:results_detail", pk=appraisal.pk)
    return render(
        request,
        "appraisals/result_kpi_override.html",
        {"a": appraisal, "item": item, "row": row, "form": form},
        status=posted_form_status(request, error),
    )


@login_required
@require_http_methods(["GET", "POST"])
def kpi_comment(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    appraisal = get_appraisal_for_kpi(request.user, pk, override=False)
    item = _kpi_item(appraisal, item_id)
    row = appraisal.kpi_scores.filter(item=item).first()
    initial = {
        "version": row.version if row is not None else 0,
        "comment": row.comment if row else "",
    }
    form = KpiCommentForm(request.POST or None, initial=initial)
    error: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        try:
            kpi.kpi_comment_set(
                actor=actor_from_request(request),
                user=request.user,
                appraisal_id=appraisal.pk,
                item_id=item.pk,
                expected_version=form.cleaned_data["version"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            error = exc
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Your comment was saved."))
            if shows_results(appraisal.cycle) or can_see_cycle_office(
                request.user, appraisal.cycle
            ):
                return redirect("appraisals:results_detail", pk=appraisal.pk)
            return redirect("appraisals:results_kpi_comment", pk=appraisal.pk, item_id=item.pk)
    return render(
        request,
        "appraisals/result_kpi_comment.html",
        {"a": appraisal, "item": item, "row": row, "form": form},
        status=posted_form_status(request, error),
    )


# ---------------------------------------------------------------- lists


def _list_context(
    request: HttpRequest, cycle: Cycle, scope_q: Q | None, results: CycleResults
) -> dict[str, Any]:
    form = ResultFilterForm(request.GET or None, cycle=cycle, user=request.user)
    f = form.to_filter()
    qs = results_filtered(cycle, f, scope_q)
    known = (results.total, results.scored) if f.is_empty and scope_q is None else None
    ordered = SortedResults(
        qs, f.sort, grade_order=[b.code for b in results.bands], known_count=known
    )
    paginator: Paginator[Appraisal] = Paginator(ordered, PER_PAGE)  # type: ignore[arg-type]
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    rows = [
        {
            "a": a,
            "sections": section_scores(a, results.sections),
            "band": results.label(a.band_grade) if a.band_grade else "",
            "suggested": results.label(a.suggested_grade) if a.suggested_grade else "",
            "reason": " ".join(grade_explanation(a, results)),
            "tie": tie_text(a, results),
        }
        for a in page.object_list
    ]
    return {
        "cycle": cycle,
        "form": form,
        "page_obj": page,
        "query_without_page": params.urlencode(),
        "rows": rows,
        "results": results,
    }


@login_required
@require_GET
def cycle_results_office(request: HttpRequest, pk: int) -> HttpResponse:
    """The office's list of a cycle's results, with counts per grade against the quotas."""
    cycle = get_cycle_for_results(request.user, pk)
    results = cycle_results(cycle, with_sections=True)
    context = _list_context(request, cycle, None, results)
    files = list(
        ResultFile.objects.filter(cycle=cycle, owner_id=request.user.pk).order_by("-created_at")[:5]
    )
    return render(
        request,
        "appraisals/result_list.html",
        {**context, "team": False, "files": files},
    )


@login_required
@require_GET
def cycle_results_team(request: HttpRequest, pk: int) -> HttpResponse:
    """A department head's list: the results of the people in their scope, once shown."""
    cycle = get_cycle_for_results(request.user, pk, team=True)
    scope_q = None if can_see_cycle_office(request.user, cycle) else team_q(request.user)
    results = cycle_results(cycle, with_sections=True)
    context = _list_context(request, cycle, scope_q, results)
    if scope_q is not None:
        team_counts = dict(
            Appraisal.objects.filter(Q(cycle=cycle) & scope_q)
            .values_list("suggested_grade")
            .annotate(n=Count("id"))
            .values_list("suggested_grade", "n")
            .order_by()
        )
        context["team_grades"] = [
            (label, team_counts.get("" if code == "-" else code, 0))
            for code, label, _n in results.grade_lines
        ]
    return render(request, "appraisals/result_list.html", {**context, "team": True, "files": []})


# ---------------------------------------------------------------- result files


def _start(request: HttpRequest, pk: int, kind: str) -> HttpResponseBase:
    cycle = get_cycle_for_results(request.user, pk)
    job = result_file_create(
        actor=actor_from_request(request),
        user=request.user,
        cycle_id=cycle.pk,
        kind=kind,
        language=getattr(request, "LANGUAGE_CODE", ""),
    )
    return redirect("appraisals:results_file", pk=job.pk)


@login_required
@require_POST
def results_export(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _start(request, pk, ResultFileKind.XLSX)


@login_required
@require_POST
def results_forms(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _start(request, pk, ResultFileKind.FORMS)


def _file(request: HttpRequest, pk: int) -> ResultFile:
    """A results file: its owner's alone (404 to anybody else), while of the cycle's office."""
    job = (
        ResultFile.objects.select_related("cycle", "cycle__unit")
        .filter(pk=pk, owner_id=request.user.pk)
        .first()
    )
    if job is None:
        raise Http404
    if not can_see_cycle_office(request.user, job.cycle):
        raise forbidden()
    return job


@login_required
@require_GET
def results_file(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "appraisals/result_file.html", {"job": _file(request, pk)})


@login_required
@require_GET
def results_file_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "appraisals/result_file.html#progress", {"job": _file(request, pk)})


@login_required
@require_GET
def results_file_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = _file(request, pk)
    path = Path(job.stored_path) if job.is_downloadable else None
    if path is None or not path.is_file():
        raise Http404
    return FileResponse(
        open(path, "rb"),  # closed by FileResponse
        as_attachment=True,
        filename=job.file_name,
        content_type="application/zip" if job.kind == ResultFileKind.FORMS else XLSX,
    )
