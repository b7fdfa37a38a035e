"""The organization benchmark: build a large organization, then time what people wait for.

Figures, not assertions: the people list filtered by a department, a person page, and a
round trip of a 100,000-person workbook through export and import. Pages are timed in-process
through Django's test client (server time, no network), median of several runs.
"""

from __future__ import annotations

import datetime
import importlib
import statistics
import tempfile
import time
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from jixiao.accounts.models import User
from jixiao.core.actor import Actor
from jixiao.org import demo
from jixiao.org.models import Department, Person

DEFAULT_PEOPLE = 100_000
RUNS = 7


class BenchRefused(Exception):
    """The database holds data; the benchmark would overwrite it."""


@dataclass
class Figure:
    name: str
    label: str
    seconds: float
    runs: int = 1
    queries: int | None = None
    note: str = ""


@dataclass
class BenchResult:
    people: int
    database: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"people": self.people, "database": self.database}
        out.update({f"{f.name}_seconds": round(f.seconds, 6) for f in self.figures})
        out["notes"] = self.notes
        return out


def database_has_data() -> bool:
    """Organization rows, or users other than the demo accounts."""
    return (
        Department.objects.exists()
        or Person.objects.exists()
        or User.objects.exclude(username__in=demo.demo_usernames()).exists()
    )


def _migrate_if_needed(say: Callable[[str], None]) -> None:
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        from django.core.management import call_command

        say("应用数据库迁移 / applying migrations")
        call_command("migrate", verbosity=0, interactive=False)


def _median_seconds(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: caches, connection, compiled templates
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _count_queries(fn: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _time_page(
    result: BenchResult,
    client: Client,
    name: str,
    label: str,
    url: str,
    fallback: Callable[[], object],
    runs: int,
) -> None:
    """Time a page; if the page is not there yet, time the selector work behind it instead."""
    response = client.get(url, secure=True)
    if response.status_code == 200:

        def fetch() -> None:
            r = client.get(url, secure=True)
            assert r.status_code == 200, r.status_code

        seconds = _median_seconds(fetch, runs)
        result.figures.append(Figure(name, label, seconds, runs, _count_queries(fetch), url))
        return
    seconds = _median_seconds(fallback, runs)
    note = f"selector (page {url} answered {response.status_code})"
    result.figures.append(Figure(name, label, seconds, runs, _count_queries(fallback), note))
    result.notes.append(f"{name}: page not ready ({response.status_code}); timed the selectors")


def _modified_copy(source: Path, target: Path) -> int:
    """Copy an exported workbook, changing the phone number of every tenth person."""
    import openpyxl
    import xlsxwriter

    changed = 0
    src = openpyxl.load_workbook(source, read_only=True, data_only=True)
    out = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    date_format = out.add_format({"num_format": "yyyy-mm-dd"})
    try:
        for ws in src.worksheets:
            dst = out.add_worksheet(ws.title)
            phone_col: int | None = None
            for r, row in enumerate(ws.iter_rows(values_only=True)):
                values = list(row)
                if r == 0:
                    phone_col = next(
                        (i for i, v in enumerate(values) if v in ("电话", "手机", "phone")), None
                    )
                elif phone_col is not None and r % 10 == 0:
                    values[phone_col] = f"139{r:08d}"
                    changed += 1
                for c, v in enumerate(values):
                    if isinstance(v, datetime.datetime | datetime.date):
                        when = (
                            v
                            if isinstance(v, datetime.datetime)
                            else (datetime.datetime.combine(v, datetime.time()))
                        )
                        dst.write_datetime(r, c, when, date_format)
                    elif v is not None and v != "":
                        dst.write(r, c, v)
    finally:
        src.close()
        out.close()
    return changed


def _time_workbook(result: BenchResult, say: Callable[[str], None]) -> None:
    try:
        export_mod = importlib.import_module("jixiao.imports.org_export")
        import_mod = importlib.import_module("jixiao.imports.org_import")
    except ImportError as exc:
        result.notes.append(f"workbook round trip skipped: import/export not available ({exc})")
        return
    actor = Actor.system(label="jixiao bench", source="cli")
    with tempfile.TemporaryDirectory(prefix="jixiao-bench-") as tmp:
        exported = Path(tmp) / "org.xlsx"
        modified = Path(tmp) / "org-modified.xlsx"
        say("导出工作簿 / exporting the workbook")
        started = time.perf_counter()
        export_mod.export_org_workbook(exported, user=None)
        result.figures.append(
            Figure("export", "导出工作簿 export workbook", time.perf_counter() - started)
        )
        say("准备修改后的副本 / preparing a modified copy")
        started = time.perf_counter()
        changed = _modified_copy(exported, modified)
        prepare = time.perf_counter() - started
        result.notes.append(
            f"modified copy: {changed} phone numbers changed, prepared in {prepare:.1f} s "
            f"(openpyxl read + xlsxwriter write, not part of the import figure); "
            f"file {modified.stat().st_size / 1e6:.1f} MB"
        )
        for dry_run in (True, False):
            say("导入（试运行）/ importing (dry run)" if dry_run else "导入 / importing")
            started = time.perf_counter()
            outcome = import_mod.import_org_file(modified, actor=actor, scope=None, dry_run=dry_run)
            seconds = time.perf_counter() - started
            summary = outcome.summary() if hasattr(outcome, "summary") else {}
            ok = getattr(outcome, "ok", None)
            errors = len(getattr(outcome, "errors", []) or [])
            name, label = (
                ("import_dry_run", "导入（试运行）import, dry run")
                if dry_run
                else ("import", "导入 import")
            )
            result.figures.append(
                Figure(name, label, seconds, note=f"ok={ok} errors={errors} {summary}")
            )


def run(
    *,
    people: int = DEFAULT_PEOPLE,
    force: bool = False,
    runs: int = RUNS,
    seed: int = demo.DEFAULT_SEED,
    say: Callable[[str], None] = print,
) -> BenchResult:
    """Build the organization and measure. Refuses a database with data unless forced."""
    _migrate_if_needed(say)
    had_data = database_has_data()
    if had_data and not force:
        raise BenchRefused()
    result = BenchResult(people=people, database=connection.vendor)

    say(f"生成 {people} 人的组织 / building an organization of {people} people")
    started = time.perf_counter()
    demo.build_demo(seed=seed, people=people, reset=had_data)
    result.figures.append(
        Figure("build", "生成组织 build organization", time.perf_counter() - started)
    )

    perfadmin = User.objects.get(username="perfadmin")
    client = Client()
    client.force_login(perfadmin)
    biggest = (
        Department.objects.filter(depth=1)
        .annotate(n=Count("people"))
        .order_by("-n", "code")
        .first()
    )
    hotline = Department.objects.filter(name="12345热线中心").first() or biggest
    assert hotline is not None
    person = (
        Person.objects.filter(department__path__startswith=hotline.path, superior__isnull=False)
        .order_by("employee_no")
        .first()
    )
    assert person is not None

    from jixiao.org.selectors import PeopleFilter, get_person_for_user, people_filtered

    def list_selector(dept_id: int | None) -> Callable[[], object]:
        def work() -> object:
            qs = people_filtered(perfadmin, PeopleFilter(department_id=dept_id))
            return qs.count(), list(qs[:50])

        return work

    def person_selector() -> object:
        return get_person_for_user(perfadmin, person.pk)

    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(ALLOWED_HOSTS=hosts), warnings.catch_warnings():
        # WhiteNoise warns when static files have not been collected; pages do not need them.
        warnings.filterwarnings("ignore", message="No directory at")
        say("计时：人员列表 / timing the people list")
        _time_page(
            result,
            client,
            "people_list_department",
            f"人员列表（按部门：{hotline.name}）people list by department",
            f"/org/people/?department={hotline.pk}",
            list_selector(hotline.pk),
            runs,
        )
        _time_page(
            result,
            client,
            "people_list_all",
            "人员列表（全部）people list, whole unit",
            "/org/people/",
            list_selector(None),
            runs,
        )
        say("计时：人员页面 / timing a person page")
        _time_page(
            result,
            client,
            "person_page",
            "人员页面 person page",
            f"/org/people/{person.pk}/",
            person_selector,
            runs,
        )
    _time_workbook(result, say)
    return result


def _pad(text: str, width: int) -> str:
    """Left-justify for a terminal, where CJK characters take two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def figures_table(result: BenchResult, title: str, width: int, ms_decimals: int = 1) -> str:
    """A benchmark's figures as a terminal table (label, time, runs, SQL), then their notes."""
    lines = [
        f"{title}: {result.people} 人 people, {result.database}",
        f"{_pad('项目 / measure', width)} {'time':>12} {'runs':>5} {'SQL':>5}",
    ]
    for f in result.figures:
        shown = f"{f.seconds * 1000:.{ms_decimals}f} ms" if f.seconds < 1 else f"{f.seconds:.2f} s"
        queries = "" if f.queries is None else str(f.queries)
        lines.append(f"{_pad(f.label, width)} {shown:>12} {f.runs:>5} {queries:>5}")
    for f in result.figures:
        if f.note:
            lines.append(f"  {f.name}: {f.note}")
    lines.extend(f"  note: {n}" for n in result.notes)
    return "\n".join(lines)


def format_table(result: BenchResult) -> str:
    return figures_table(result, "组织基准 / organization benchmark", 52)
