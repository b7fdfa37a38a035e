"""Background entry points of the result files; they take ids and call the services."""

from __future__ import annotations

from django.tasks import task

from jixiao.appraisals.results_export import result_file_run


@task()
def run_result_file(file_id: int) -> None:
    """Write one results file (workbook or ZIP of forms); a started file is left alone."""
    result_file_run(file_id=file_id)
