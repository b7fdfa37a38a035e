"""Reads for import and export jobs: a user sees only their own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from jixiao.imports.models import ExportJob, ImportJob


def import_jobs_visible_to(user: Any) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(owner_id=user.pk).defer("errors")


def get_import_job_for_user(user: Any, pk: int) -> ImportJob:
    job = ImportJob.objects.filter(owner_id=user.pk, pk=pk).first()
    if job is None:
        raise Http404
    return job


def export_jobs_visible_to(user: Any) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(owner_id=user.pk)


def get_export_job_for_user(user: Any, pk: int) -> ExportJob:
    """Only the owner sees an export job (and its file); everybody else gets 404."""
    job = ExportJob.objects.filter(owner_id=user.pk, pk=pk).first()
    if job is None:
        raise Http404
    return job
