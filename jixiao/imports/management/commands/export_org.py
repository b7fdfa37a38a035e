"""manage.py export_org FILE [--kind departments|posts|people]: export the whole organization."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm  # type: ignore[import-untyped]

from jixiao.imports.formats import KINDS
from jixiao.imports.org_export import export_org_csv, export_org_workbook


class Command(BaseCommand):
    help = "Export departments, posts and people as .xlsx (one workbook) or .csv (one kind)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", choices=KINDS, help="what a .csv file holds (default people)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        suffix = path.suffix.lower()
        bar = tqdm(
            total=0,
            unit="row",
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
            if suffix == ".xlsx":
                if options["kind"]:
                    raise CommandError("--kind applies to .csv files only")
                export_org_workbook(path, user=None, progress=progress)
            elif suffix == ".csv":
                export_org_csv(path, options["kind"] or "people", user=None, progress=progress)
            else:
                raise CommandError("the file name must end in .xlsx or .csv")
        finally:
            bar.close()
        self.stdout.write(f"wrote {path}")
