"""Background entry points; they take ids and call services."""

from __future__ import annotations

from django.tasks import task

from jixiao.imports.services import import_job_run


@task()
def run_import_job(job_id: int) -> None:
    """Run one import job; a job that already started is left alone (idempotent)."""
    import_job_run(job_id=job_id)
