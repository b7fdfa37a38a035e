"""manage.py create_due_cycles: create the cycles of the recurring appraisals that are due
(for cron, daily; idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from jixiao.appraisals.tasks import create_due_cycles
from jixiao.core.daily_command import DailyCommand


class Command(DailyCommand):
    help = (
        "按周期性考核计划创建到期的考核周期（可重复运行，同一期间只创建一次）/ Create the "
        "cycles of the recurring appraisals that are due (safe to run again: a period's cycle "
        "is created once). Exits with status 1 when a series failed; the others still run."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        day = self.day(options)
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
