"""manage.py send_checkin_reminders: remind everyone who owes a check-in (for cron; idempotent)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jixiao.goals.tasks import send_checkin_reminders


class Command(BaseCommand):
    help = (
        "提醒到期的目标进展填报（可重复运行，不重复提醒）/ Remind everyone who owes a goal "
        "check-in (safe to run again: nobody is reminded twice for the same due date)."
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
        created = send_checkin_reminders.call(day)
        self.stdout.write(f"新提醒 new reminders: {created}")
