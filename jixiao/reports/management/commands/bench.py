"""manage.py bench org|goals|cycle: figures for the organization, its goals and an appraisal
cycle at scale (never asserts timings)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jixiao.reports import bench_cycle, bench_goals, bench_org


class Command(BaseCommand):
    help = (
        "性能基准 / benchmarks. `bench org` builds a large organization and times pages and "
        "imports; `bench goals` adds 500,000 goals and times the goal pages, the roll-up and "
        "a bulk assignment; `bench cycle` times an appraisal cycle (--shape org or per-person)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", choices=["org", "goals", "cycle"])
        parser.add_argument("--people", type=int, default=bench_org.DEFAULT_PEOPLE)
        parser.add_argument("--runs", type=int, default=bench_org.RUNS, help="runs per page")
        parser.add_argument("--json", action="store_true", help="print a JSON object of seconds")
        parser.add_argument(
            "--shape", choices=bench_cycle.SHAPES, default="org", help="bench cycle: the workload"
        )
        parser.add_argument(
            "--sample",
            type=int,
            default=bench_cycle.PER_PERSON_SAMPLE,
            help="bench cycle --shape per-person: appraisals whose forms are submitted one by one",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even though the database has data (its organization is deleted)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_json: bool = options["json"]

        def say(message: str) -> None:
            if not as_json:
                self.stdout.write(message)
            else:
                self.stderr.write(message)

        bench: Any = {"goals": bench_goals, "cycle": bench_cycle}.get(options["target"], bench_org)
        extra = (
            {"shape": options["shape"], "sample": max(1, options["sample"])}
            if options["target"] == "cycle"
            else {}
        )
        try:
            result = bench.run(
                people=options["people"],
                force=options["force"],
                runs=max(1, options["runs"]),
                say=say,
                **extra,
            )
        except bench_org.BenchRefused:
            raise CommandError(
                "数据库中已有数据，基准测试会覆盖组织数据。请将 DATABASE_URL 指向一个空的 PostgreSQL 数据库，"
                "或使用 --force。\n"
                "The database already has data and the benchmark would overwrite the organization. "
                "Point DATABASE_URL at an empty PostgreSQL database, e.g.\n"
                "  createdb -h 127.0.0.1 -U postgres jixiao_bench\n"
                "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/jixiao_bench "
                f"jixiao bench {options['target']}\n"
                "or pass --force to delete its organization data."
            ) from None
        if as_json:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(bench.format_table(result))
