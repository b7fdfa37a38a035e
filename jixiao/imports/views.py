"""Import and export pages: thin views over the access helpers, services and exports."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from jixiao.core.actor import actor_from_request
from jixiao.core.errors import forbidden
from jixiao.imports.formats import SPEC_BY_KIND
from jixiao.imports.forms import ImportForm
from jixiao.imports.indicator_formats import INDICATORS
from jixiao.imports.models import ImportKind
from jixiao.imports.org_export import export_org_csv, export_org_workbook
from jixiao.imports.selectors import get_import_job_for_user, import_jobs_visible_to
from jixiao.imports.services import import_job_create
from jixiao.imports.template import build_template
from jixiao.indicators.permissions import can_manage_library
from jixiao.org.access import scope_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT_JOBS = 20


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
    kinds = [(kind, spec.sheet) for kind, spec in SPEC_BY_KIND.items()]
    status = 400 if request.method == "POST" else 200
    return render(
        request, "imports/index.html", {"form": form, "jobs": jobs, "kinds": kinds}, status=status
    )


@login_required
@require_GET
def template_download(request: HttpRequest) -> HttpResponse:
    _require_import(request)
    response = HttpResponse(build_template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="org-import-template.xlsx"'
    return response


def _temp_file(suffix: str) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)  # noqa: SIM115
    handle.close()
    return Path(handle.name)


def _send(path: Path, filename: str, content_type: str) -> HttpResponseBase:
    fh = open(path, "rb")  # noqa: SIM115 - closed by FileResponse
    path.unlink(missing_ok=True)  # the open handle keeps the data readable on POSIX
    return FileResponse(fh, as_attachment=True, filename=filename, content_type=content_type)


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponseBase:
    _require_import(request)
    path = _temp_file(".xlsx")
    export_org_workbook(path, user=request.user)
    return _send(path, f"org-{timezone.localdate():%Y%m%d}.xlsx", XLSX)


@login_required
@require_GET
def export_csv(request: HttpRequest, kind: str) -> HttpResponseBase:
    _require_import(request)
    if kind not in SPEC_BY_KIND:
        raise Http404
    path = _temp_file(".csv")
    export_org_csv(path, kind, user=request.user)
    return _send(path, f"{kind}-{timezone.localdate():%Y%m%d}.csv", "text/csv; charset=utf-8")


def _job_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    job = get_import_job_for_user(request.user, pk)
    if job.kind == ImportKind.INDICATORS:
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
    return {"job": job, "counts": counts, "new_versions": new_versions}


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "imports/job.html", _job_context(request, pk))


@login_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "imports/job.html#progress", _job_context(request, pk))
