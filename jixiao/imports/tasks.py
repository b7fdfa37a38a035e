"""Background entry points; they take ids and call services."""

from __future__ import annotations

from django.tasks import task

from jixiao.imports.services import export_job_run, import_job_run


@task()
def run_import_job(job_id: int) -> None:
    """Run one import job; a job that already started is left alone (idempotent)."""
    import_job_run(job_id=job_id)


@task()
def run_export_job(job_id: int) -> None:
    """Write one export file; a job that already started is left alone (idempotent)."""
    export_job_run(job_id=job_id)
