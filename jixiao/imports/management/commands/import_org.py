"""manage.py import_org FILE [--dry-run]: import departments, posts and people."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm  # type: ignore[import-untyped]

from jixiao.core.actor import Actor
from jixiao.imports.org_import import import_org_file


class Command(BaseCommand):
    help = "Import the organization from an .xlsx workbook or a .csv file (all or nothing)."

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
            outcome = import_org_file(
                path, actor=actor, scope=None, progress=progress, dry_run=options["dry_run"]
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
        for kind in ("departments", "posts", "people"):
            self.stdout.write(
                f"{kind}: created {outcome.created[kind]}, updated {outcome.updated[kind]}, "
                f"unchanged {outcome.unchanged[kind]}"
            )
        if outcome.dry_run:
            self.stdout.write("dry run: nothing was written")
