"""Background entry points of the appraisal office; each takes JSON arguments and calls a
service."""

from __future__ import annotations

import datetime

from django.tasks import task
from django.utils import timezone

from jixiao.appraisals.jobs import cycle_job_run
from jixiao.appraisals.reminders import rater_reminders_send


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
