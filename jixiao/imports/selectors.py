"""Reads for import jobs: a user sees only their own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from jixiao.imports.models import ImportJob


def import_jobs_visible_to(user: Any) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(owner_id=user.pk).defer("errors")


def get_import_job_for_user(user: Any, pk: int) -> ImportJob:
    job = ImportJob.objects.filter(owner_id=user.pk, pk=pk).first()
    if job is None:
        raise Http404
    return job
