"""Import and export of goals and work plans: the machinery of the organization import
(upload → background task → progress → every bad row listed; exports written by a task), with
the goals workbook. Every row is checked against the importer's planning rights."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import forbidden
from jixiao.imports.forms import GoalExportForm, ImportForm
from jixiao.imports.goal_formats import GOAL_SPECS
from jixiao.imports.models import ImportKind
from jixiao.imports.permissions import can_export_goals, can_import_goals
from jixiao.imports.selectors import export_jobs_visible_to, import_jobs_visible_to
from jixiao.imports.services import import_job_create
from jixiao.imports.template import build_workbook_template
from jixiao.imports.views import RECENT_EXPORTS, XLSX, start_export

RECENT_JOBS = 20


def _require_export(request: HttpRequest) -> None:
    if not can_export_goals(request.user):
        raise forbidden()


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """The page: upload a workbook (planners and people), export the goals one sees."""
    _require_export(request)
    may_import = can_import_goals(request.user)
    if request.method == "POST" and not may_import:
        raise forbidden()
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(
            actor=actor_from_request(request, source="import"),
            owner=request.user,
            upload=form.cleaned_data["file"],
            dry_run=form.cleaned_data["dry_run"],
            kind=ImportKind.GOALS,
        )
        return redirect("imports:job", pk=job.pk)
    jobs = list(import_jobs_visible_to(request.user).filter(kind=ImportKind.GOALS)[:RECENT_JOBS])
    exports = list(
        export_jobs_visible_to(request.user).filter(kind=ImportKind.GOALS)[:RECENT_EXPORTS]
    )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "imports/goals.html",
        {
            "form": form,
            "export_form": GoalExportForm(today=timezone.localdate()),
            "may_import": may_import,
            "jobs": jobs,
            "exports": exports,
        },
        status=status,
    )


@login_required
@require_GET
def template_download(request: HttpRequest) -> HttpResponse:
    _require_export(request)
    lines = [
        _(
            "Fill in the sheet 目标; add 关键结果 for the key results, 工作计划 for tasks and "
            "projects, 里程碑 for their milestones. Any sheet may be left out."
        ),
        _("Red headers are required columns. Do not rename, add or reorder header cells."),
        _(
            "Rows are matched by 目标编码 and 事项编码: new codes are created, stored ones "
            "updated. #123 (written on export) names the stored goal or item number 123."
        ),
        _(
            "The key results listed for a goal replace all of its key results in the order of "
            "序号; the milestones listed for an item replace all of its milestones."
        ),
        _(
            "Only draft and returned goals change; a locked goal changes through a change "
            "request (调整申请). Work plans change until their goal is closed."
        ),
        _("Optional columns left out of a sheet keep what is stored."),
        _("If any row is wrong nothing is imported, and every wrong row is listed."),
    ]
    body = build_workbook_template(GOAL_SPECS, heading=_("Goals import template"), lines=lines)
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="goals-import-template.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def export_xlsx(request: HttpRequest) -> HttpResponseBase:
    """Start an export of the goals the user sees, within the chosen period."""
    _require_export(request)
    form = GoalExportForm(request.POST or request.GET or None, today=timezone.localdate())
    period = form.cleaned_data["period"] if form.is_valid() else ""
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "imports/goals.html",
            {
                "form": ImportForm(),
                "export_form": form,
                "may_import": can_import_goals(request.user),
                "jobs": [],
                "exports": [],
            },
            status=400,
        )
    return start_export(request, ImportKind.GOALS, period=period)
