"""manage.py send_checkin_reminders: remind everyone who owes a check-in (for cron; idempotent)."""

from __future__ import annotations

from typing import Any

from jixiao.core.daily_command import DailyCommand
from jixiao.goals.tasks import send_checkin_reminders


class Command(DailyCommand):
    help = (
        "提醒到期的目标进展填报（可重复运行，不重复提醒）/ Remind everyone who owes a goal "
        "check-in (safe to run again: nobody is reminded twice for the same due date)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        day = self.day(options)
        created = send_checkin_reminders.call(day)
        self.stdout.write(f"新提醒 new reminders: {created}")
