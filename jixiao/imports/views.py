"""Import and export pages: thin views over the access helpers, services and exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import forbidden
from jixiao.imports.formats import SPEC_BY_KIND
from jixiao.imports.forms import ImportForm
from jixiao.imports.goal_formats import GOAL_SPECS
from jixiao.imports.indicator_formats import INDICATORS
from jixiao.imports.models import ExportJob, ImportKind
from jixiao.imports.permissions import can_import_goals, can_transfer
from jixiao.imports.selectors import (
    export_jobs_visible_to,
    get_export_job_for_user,
    get_import_job_for_user,
    import_jobs_visible_to,
)
from jixiao.imports.services import (
    EXPORT_PARTS,
    export_file_name,
    export_job_create,
    import_job_create,
)
from jixiao.imports.template import build_template
from jixiao.indicators.permissions import can_manage_library
from jixiao.org.access import scope_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT_JOBS = 20
RECENT_EXPORTS = 5


def _require_import(request: HttpRequest) -> None:
    if not scope_for(request.user).can_import:
        raise forbidden()


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(
            actor=actor_from_request(request, source="import"),
            owner=request.user,
            upload=form.cleaned_data["file"],
            dry_run=form.cleaned_data["dry_run"],
        )
        return redirect("imports:job", pk=job.pk)
    jobs = list(import_jobs_visible_to(request.user)[:RECENT_JOBS])
    exports = list(
        export_jobs_visible_to(request.user).filter(kind=ImportKind.ORG)[:RECENT_EXPORTS]
    )
    kinds = [(kind, spec.sheet) for kind, spec in SPEC_BY_KIND.items()]
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "imports/index.html",
        {"form": form, "jobs": jobs, "exports": exports, "kinds": kinds},
        status=status,
    )


@login_required
@require_GET
def template_download(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    response = HttpResponse(build_template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="org-import-template.xlsx"'
    return response


def start_export(
    request: HttpRequest, kind: str, part: str = "", period: str = ""
) -> HttpResponseBase:
    """POST: queue an export and show its page; the file is written by a task (a whole
    organization takes seconds, too long for a request). GET shows the start button."""
    if not can_transfer(request.user, kind):
        raise forbidden()
    if part and part not in EXPORT_PARTS[kind]:
        raise Http404
    if request.method != "POST":  # an old link or bookmark: offer the button, start nothing
        name = export_file_name(kind, part, period)
        return render(request, "imports/export_start.html", {"file_name": name, **_back(kind)})
    job = export_job_create(owner=request.user, kind=kind, part=part, period=period)
    return redirect("imports:export_job", pk=job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def export_xlsx(request: HttpRequest) -> HttpResponseBase:
    return start_export(request, ImportKind.ORG)


@login_required
@require_http_methods(["GET", "POST"])
def export_csv(request: HttpRequest, kind: str) -> HttpResponseBase:
    if kind not in SPEC_BY_KIND:
        _require_import(request)
        raise Http404
    return start_export(request, ImportKind.ORG, kind)


def _export_job(request: HttpRequest, pk: int) -> ExportJob:
    job = get_export_job_for_user(request.user, pk)
    if not can_transfer(request.user, job.kind):
        raise forbidden()
    return job


def _back(kind: str) -> dict[str, str]:
    if kind == ImportKind.GOALS:
        return {"back_url": "imports:goals", "back_title": _("Import and export goals")}
    if kind == ImportKind.INDICATORS:
        return {
            "back_url": "imports:indicators",
            "back_title": _("Import and export the indicator library"),
        }
    return {"back_url": "imports:index", "back_title": _("Import / export")}


def _export_context(job: ExportJob) -> dict[str, Any]:
    return {"job": job, **_back(job.kind)}


@login_required
@require_GET
def export_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _export_job(request, pk)
    return render(request, "imports/export_job.html", _export_context(job))


@login_required
@require_GET
def export_job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = _export_job(request, pk)
    return render(request, "imports/export_job.html#progress", _export_context(job))


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The file, to its owner only (404 to anybody else), while they may still export."""
    job = _export_job(request, pk)
    path = Path(job.stored_path) if job.is_downloadable else None
    if path is None or not path.is_file():
        raise Http404
    content_type = "text/csv; charset=utf-8" if job.part else XLSX
    return FileResponse(
        open(path, "rb"),  # closed by FileResponse
        as_attachment=True,
        filename=job.file_name,
        content_type=content_type,
    )


def _job_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    job = get_import_job_for_user(request.user, pk)
    if job.kind == ImportKind.GOALS:
        if not can_import_goals(request.user):
            raise forbidden()
        sheets = [(spec.kind, spec.sheet) for spec in GOAL_SPECS]
    elif job.kind == ImportKind.INDICATORS:
        if not can_manage_library(request.user):
            raise forbidden()
        sheets = [(INDICATORS.kind, INDICATORS.sheet)]
    else:
        _require_import(request)
        sheets = [(k, s.sheet) for k, s in SPEC_BY_KIND.items()]
    summary = job.summary or {}
    counts = [
        (
            sheet,
            summary.get("created", {}).get(kind, 0),
            summary.get("updated", {}).get(kind, 0),
            summary.get("unchanged", {}).get(kind, 0),
        )
        for kind, sheet in sheets
    ]
    new_versions = sum((summary.get("new_versions") or {}).values())
    removed = sum((summary.get("removed") or {}).values())
    return {"job": job, "counts": counts, "new_versions": new_versions, "removed": removed}


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "imports/job.html", _job_context(request, pk))


@login_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "imports/job.html#progress", _job_context(request, pk))
