"""Background entry points of the goals app; each takes JSON arguments and calls a service."""

from __future__ import annotations

import datetime

from django.tasks import task
from django.utils import timezone

from jixiao.goals.reminders import checkin_reminders_send


@task()
def send_checkin_reminders(today: str | None = None) -> int:
    """Remind everyone who owes a check-in (`today` as YYYY-MM-DD, default the local date).

    Idempotent: one notification per goal, due date and recipient, however often it runs.
    """
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    return checkin_reminders_send(today=day)
