"""manage.py create_due_cycles: create the cycles of the recurring appraisals that are due
(for cron, daily; idempotent)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jixiao.appraisals.tasks import create_due_cycles


class Command(BaseCommand):
    help = (
        "按周期性考核计划创建到期的考核周期（可重复运行，同一期间只创建一次）/ Create the "
        "cycles of the recurring appraisals that are due (safe to run again: a period's cycle "
        "is created once). Exits with status 1 when a series failed; the others still run."
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
        report = create_due_cycles.call(day)
        for made in report["created"]:
            self.stdout.write(
                f"已创建 created: {made['name']} (cycle {made['cycle_id']}, "
                f"series {made['series_id']})"
            )
        for failed in report["failed"]:
            self.stderr.write(
                f"失败 failed: {failed['series_name']} (series {failed['series_id']}, "
                f"{failed['period_start']}): {failed['message']}"
            )
        self.stdout.write(
            f"新建周期 cycles created: {len(report['created'])}; "
            f"已存在 already there: {report['skipped']}; 失败 failed: {len(report['failed'])}"
        )
        if report["failed"]:
            raise CommandError(f"{len(report['failed'])} 个计划失败 series failed")
