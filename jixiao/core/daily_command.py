"""The base of the management commands cron runs once a day (reminders, due cycles): an
optional `--date` to compute for, checked before the work starts."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class DailyCommand(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            default="",
            help="按这一天计算（YYYY-MM-DD，默认今天）/ the day to compute for (default today)",
        )

    def day(self, options: dict[str, Any]) -> str | None:
        """The `--date` given (YYYY-MM-DD), or None for today; a bad date stops the command."""
        day: str | None = options["date"] or None
        if day is not None:
            try:
                datetime.date.fromisoformat(day)
            except ValueError:
                raise CommandError(f"日期无效 invalid date: {day}") from None
        return day
