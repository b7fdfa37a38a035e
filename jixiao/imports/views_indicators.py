"""Import and export of the indicator library: the same machinery as the organization import
(upload → background task → progress → every bad row listed; exports written by a task too),
with the library's own format."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import forbidden
from jixiao.imports.forms import ImportForm
from jixiao.imports.indicator_formats import INDICATOR_SPEC_BY_KIND, INDICATOR_SPECS
from jixiao.imports.models import ImportKind
from jixiao.imports.selectors import export_jobs_visible_to, import_jobs_visible_to
from jixiao.imports.services import import_job_create
from jixiao.imports.template import build_workbook_template
from jixiao.imports.views import RECENT_EXPORTS, XLSX, start_export
from jixiao.indicators.permissions import can_manage_library

RECENT_JOBS = 20


def _require_manage(request: HttpRequest) -> None:
    if not can_manage_library(request.user):
        raise forbidden()


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(
            actor=actor_from_request(request, source="import"),
            owner=request.user,
            upload=form.cleaned_data["file"],
            dry_run=form.cleaned_data["dry_run"],
            kind=ImportKind.INDICATORS,
        )
        return redirect("imports:job", pk=job.pk)
    jobs = list(
        import_jobs_visible_to(request.user).filter(kind=ImportKind.INDICATORS)[:RECENT_JOBS]
    )
    exports = list(
        export_jobs_visible_to(request.user).filter(kind=ImportKind.INDICATORS)[:RECENT_EXPORTS]
    )
    kinds = [(kind, spec.sheet) for kind, spec in INDICATOR_SPEC_BY_KIND.items()]
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "imports/indicators.html",
        {"form": form, "jobs": jobs, "exports": exports, "kinds": kinds},
        status=status,
    )


@login_required
@require_GET
def template_download(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    lines = [
        _("Fill in the sheet 指标; add rows to 行为锚定等级 for rated items (德能勤绩廉)."),
        _("Red headers are required columns. Do not rename, add or reorder header cells."),
        _(
            "Rows are matched by 编码: new codes are created; a changed indicator is updated, "
            "or gets a new version when it is in use."
        ),
        _(
            "计分规则 is the scoring rule as JSON; export the library to see an example of each kind."
        ),
        _("The levels listed for an indicator replace all of its levels."),
        _("If any row is wrong nothing is imported, and every wrong row is listed."),
    ]
    body = build_workbook_template(
        INDICATOR_SPECS, heading=_("Indicator library import template"), lines=lines
    )
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="indicator-import-template.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def export_xlsx(request: HttpRequest) -> HttpResponseBase:
    return start_export(request, ImportKind.INDICATORS)


@login_required
@require_http_methods(["GET", "POST"])
def export_csv(request: HttpRequest, kind: str) -> HttpResponseBase:
    if kind not in INDICATOR_SPEC_BY_KIND:
        _require_manage(request)
        raise Http404
    return start_export(request, ImportKind.INDICATORS, kind)
