"""Background entry points of the appraisal office; each takes JSON arguments and calls a
service."""

from __future__ import annotations

import datetime
from typing import Any

from django.tasks import task
from django.utils import timezone

from jixiao.appraisals.jobs import cycle_job_run
from jixiao.appraisals.reminders import rater_reminders_send
from jixiao.appraisals.series import create_due_cycles as series_create_due_cycles


@task()
def run_cycle_job(job_id: int) -> None:
    """Populate a cycle or recompute it in full; a job that already started is left alone."""
    cycle_job_run(job_id=job_id)


@task()
def send_rater_reminders(today: str | None = None) -> int:
    """Remind raters with open assignments as the rating deadline nears (`today` as
    YYYY-MM-DD, default the local date). Idempotent: one reminder per cycle, deadline and
    rater, however often it runs."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return rater_reminders_send(today=day)


@task()
def create_due_cycles(today: str | None = None) -> dict[str, Any]:
    """Create the cycle of every due period of the active recurring series (`today` as
    YYYY-MM-DD, default the local date). Idempotent: a period's cycle is created once, however
    often it runs; a failing series is reported and does not stop the others."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return series_create_due_cycles(today=day).as_json()
