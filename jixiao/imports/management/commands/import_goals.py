"""manage.py import_goals FILE [--dry-run]: import goals, key results, work plans, milestones."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm  # type: ignore[import-untyped]

from jixiao.core.actor import Actor
from jixiao.imports.goal_formats import GOAL_SPECS
from jixiao.imports.goal_import import import_goal_file


class Command(BaseCommand):
    help = "Import goals and work plans from an .xlsx workbook or a .csv file (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check the file, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        try:
            user = getpass.getuser()
        except Exception:
            user = "unknown"
        actor = Actor(user_id=None, label=f"cli:{user}"[:150], source="import")
        bar = tqdm(
            total=0,
            unit="row",
            desc="import",
            file=sys.stderr,
            leave=False,
            disable=options.get("verbosity", 1) == 0,
        )

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            # The command line is trusted (user None): every goal, every owner.
            outcome = import_goal_file(
                path, actor=actor, user=None, progress=progress, dry_run=options["dry_run"]
            )
        finally:
            bar.close()
        if not outcome.ok:
            for e in outcome.errors:
                where = ":".join(str(x) for x in (e.sheet, e.line or "", e.column) if x != "")
                self.stderr.write(f"{where or path.name}: [{e.code}] {e.message}")
            raise CommandError(
                f"{path.name}: {len(outcome.errors)} problem(s); nothing was written"
            )
        for spec in GOAL_SPECS:
            kind = spec.kind
            removed = outcome.removed[kind]
            self.stdout.write(
                f"{kind}: created {outcome.created[kind]}, updated {outcome.updated[kind]}, "
                f"unchanged {outcome.unchanged[kind]}" + (f", removed {removed}" if removed else "")
            )
        if outcome.dry_run:
            self.stdout.write("dry run: nothing was written")
