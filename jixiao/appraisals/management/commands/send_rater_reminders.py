"""manage.py send_rater_reminders: remind raters with open assignments as the rating deadline
nears (for cron; idempotent)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jixiao.appraisals.tasks import send_rater_reminders


class Command(BaseCommand):
    help = (
        "提醒尚未完成评分的评价人（可重复运行，不重复提醒）/ Remind raters who still have "
        "ratings to give before the rating deadline (safe to run again: nobody is reminded "
        "twice for the same deadline)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            default="",
            help="按这一天计算（YYYY-MM-DD，默认今天）/ the day to compute for (default today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day: str | None = options["date"] or None
        if day is not None:
            try:
                datetime.date.fromisoformat(day)
            except ValueError:
                raise CommandError(f"日期无效 invalid date: {day}") from None
        created = send_rater_reminders.call(day)
        self.stdout.write(f"新提醒 new reminders: {created}")
