"""manage.py export_goals FILE [--period 2026]: export goals with their key results, work
items and milestones as an .xlsx workbook in the import format."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm  # type: ignore[import-untyped]

from jixiao.goals.periods import parse_period
from jixiao.imports.goal_export import export_goal_workbook


class Command(BaseCommand):
    help = "Export goals and work plans as an .xlsx workbook (every goal; --period narrows it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--period",
            default="",
            help="only goals within this period: 2026, 2026-H1, 2026-Q3 or 2026-03",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        period: str = options["period"].strip()
        if path.suffix.lower() != ".xlsx":
            raise CommandError("the file name must end in .xlsx")
        if period and parse_period(period) is None:
            raise CommandError(f"{period!r} is not a period (2026, 2026-H1, 2026-Q3, 2026-03)")
        bar = tqdm(
            total=0,
            unit="goal",
            desc="export",
            file=sys.stderr,
            leave=False,
            disable=options.get("verbosity", 1) == 0,
        )

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            count = export_goal_workbook(path, user=None, period=period, progress=progress)
        finally:
            bar.close()
        self.stdout.write(f"wrote {path}: {count} goals")
