"""manage.py send_rater_reminders: remind raters with open assignments as the rating deadline
nears (for cron; idempotent)."""

from __future__ import annotations

from typing import Any

from jixiao.appraisals.tasks import send_rater_reminders
from jixiao.core.daily_command import DailyCommand


class Command(DailyCommand):
    help = (
        "提醒尚未完成评分的评价人（可重复运行，不重复提醒）/ Remind raters who still have "
        "ratings to give before the rating deadline (safe to run again: nobody is reminded "
        "twice for the same deadline)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        day = self.day(options)
        created = send_rater_reminders.call(day)
        self.stdout.write(f"新提醒 new reminders: {created}")
