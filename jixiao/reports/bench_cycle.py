"""The appraisal benchmark (issue 5): `jixiao bench cycle --people N [--shape org|per-person]`.

Figures, never assertions.

`--shape org` (the whole organization, N = 100,000): a scheme with 12 KPI items and 8 rated
behaviour items, rated by the direct superior, the leader in charge, 3 peers and the people
one leads (≈ 6 raters a person, ≈ 4.8 million ratings and 1.2 million KPI scores). It times
creating the cycle with every rater assignment (`cycles.cycle_create`), the full recompute
end to end (`scoring.recompute_cycle`, in a fresh process so that its peak memory is its
own), the first page of the results list sorted by score, the Excel export of every result,
and a rater's grid of 30 colleagues: rendering it and submitting it.

`--shape per-person` (N = 2,000 and 100,000, the workload used to compare with other
systems): a scheme with 5 KPI items and 3 rated criteria; for each appraisal three peers
submit their form one by one through `rating.ratings_save` (the service the form calls,
including the ratee's rescoring and the audit record) and the person submits a
self-assessment; then the cycle's overview. Above `PER_PERSON_SAMPLE` appraisals the forms of
a random sample are submitted one by one and the others' ratings are loaded in bulk
beforehand, so the timed submissions run against a database of the full size.

Pages are timed in-process through Django's test client (server time, no network), median
of several runs after a warm-up, with their SQL query counts. Setup (the organization, the
ratings of the org shape, users for the raters) is not timed.
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Field, Model
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse

from jixiao.accounts.models import User
from jixiao.appraisals import cycles, rating, schemes, scoring
from jixiao.appraisals import demo as appraisals_demo
from jixiao.appraisals.models import (
    Appraisal,
    Assignment,
    AssignmentStatus,
    Cycle,
    CyclePhase,
    KpiScore,
    KpiSource,
    RaterGroup,
    Rating,
    Scheme,
    SchemeItem,
    SchemePreset,
    SectionKind,
)
from jixiao.appraisals.presets import PRESETS
from jixiao.core.actor import Actor
from jixiao.core.bulk import insert_rows
from jixiao.goals import demo as goals_demo
from jixiao.org import demo
from jixiao.org.models import Department, Person, PersonStatusChange, Post
from jixiao.reports.bench_org import (
    BenchRefused,
    BenchResult,
    Figure,
    _median_seconds,
    _migrate_if_needed,
    figures_table,
)
from jixiao.reports.bench_org import database_has_data as org_has_data

DEFAULT_PEOPLE = 100_000
RUNS = 7
SHAPES = ("org", "per-person")
GRID_RATEES = 30
GRID_RATERS = 5
PER_PERSON_SAMPLE = 2_000
BENCH_USER_PREFIX = "bench-"
ORG_KPI_ITEMS = 12
ORG_RATED_ITEMS = 8
PER_PERSON_KPI_ITEMS = 5
PER_PERSON_CRITERIA = ("DN-01", "DN-02", "DN-03")
GiB = 1024**3

__all__ = ["SHAPES", "BenchRefused", "format_table", "run"]


@dataclass
class CycleBenchResult(BenchResult):
    shape: str = "org"
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out = super().as_json()
        out["shape"] = self.shape
        out.update(self.extra)
        return out


def database_has_data() -> bool:
    return org_has_data() or appraisals_demo.appraisals_exist()


# ---------------------------------------------------------------- schemes


def _grades() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    spec = PRESETS[SchemePreset.CIVIL_SERVANT]
    return [dict(g) for g in spec["grades"]], [dict(r) for r in spec["quota_rules"]]


def _split_weights(n: int) -> list[Decimal]:
    """n weights with two decimals that add up to exactly 100."""
    each = (Decimal(100) / n).quantize(Decimal("0.01"))
    return [each] * (n - 1) + [Decimal(100) - each * (n - 1)]


def _kpi_section(items: int, weight: Decimal) -> schemes.SectionData:
    """`items` KPI items of equal weight whose scores the office enters (loaded in bulk)."""
    return schemes.SectionData(
        code="kpi",
        name="关键绩效指标",
        kind=SectionKind.KPI,
        weight=weight,
        items=[
            schemes.ItemData(
                code=f"k{n + 1}", name=f"KPI {n + 1}", weight=w, kpi_source=KpiSource.MANUAL
            )
            for n, w in enumerate(_split_weights(items))
        ],
    )


def org_scheme_data() -> schemes.SchemeData:
    grades, quotas = _grades()
    return schemes.SchemeData(
        code="BENCH-ORG",
        name="基准：全组织年度考核",
        grades=grades,
        quota_rules=quotas,
        sections=[
            _kpi_section(ORG_KPI_ITEMS, Decimal(60)),
            schemes.SectionData(
                code="behaviour",
                name="行为与能力",
                kind=SectionKind.RATING,
                weight=Decimal(40),
                items=[
                    schemes.ItemData(code=f"b{n + 1}", name=f"行为 {n + 1}", weight=w)
                    for n, w in enumerate(_split_weights(ORG_RATED_ITEMS))
                ],
            ),
        ],
        groups=[
            schemes.GroupData(RaterGroup.SUPERIOR, Decimal(40), ["behaviour"]),
            schemes.GroupData(RaterGroup.LEADER, Decimal(20), ["behaviour"]),
            schemes.GroupData(
                RaterGroup.PEER,
                Decimal(25),
                ["behaviour"],
                min_responses=3,
                anonymous=True,
                standardize=True,
                count=3,
            ),
            schemes.GroupData(
                RaterGroup.SUBORDINATE,
                Decimal(15),
                ["behaviour"],
                min_responses=3,
                anonymous=True,
                standardize=True,
            ),
        ],
    )


def per_person_scheme_data() -> schemes.SchemeData:
    grades, quotas = _grades()
    return schemes.SchemeData(
        code="BENCH-PP",
        name="基准：逐人考核模板",
        grades=grades,
        quota_rules=quotas,
        sections=[
            _kpi_section(PER_PERSON_KPI_ITEMS, Decimal(50)),
            schemes.SectionData(
                code="criteria",
                name="评价维度",
                kind=SectionKind.RATING,
                weight=Decimal(50),
                items=[
                    schemes.ItemData(code=f"c{n + 1}", name=code, weight=w, indicator_code=code)
                    for n, (code, w) in enumerate(
                        zip(
                            PER_PERSON_CRITERIA,
                            _split_weights(len(PER_PERSON_CRITERIA)),
                            strict=True,
                        )
                    )
                ],
            ),
        ],
        groups=[
            schemes.GroupData(RaterGroup.SELF, Decimal(0), ["criteria"]),
            schemes.GroupData(
                RaterGroup.PEER,
                Decimal(100),
                ["criteria"],
                min_responses=3,
                standardize=True,
                count=3,
            ),
        ],
    )


def _cycle_data(scheme: Scheme, unit: Department, name: str) -> cycles.CycleData:
    year = datetime.date.today().year
    return cycles.CycleData(
        name=name,
        kind="annual",
        unit_id=unit.pk,
        scheme_id=scheme.pk,
        start=datetime.date(year, 1, 1),
        end=datetime.date(year, 12, 31),
        population=cycles.Population(department_ids=[unit.pk]),
    )


# ---------------------------------------------------------------- fast loading


_PG_BINARY = {"bigint": ">i8", "integer": ">i4", "smallint": ">i2", "double precision": ">f8"}


def copy_columns(model: type[Model], columns: dict[str, Any]) -> int:
    """Insert rows given as numpy columns (or constants) into `model`.

    PostgreSQL gets them as one binary COPY built by numpy (fixed-width integers, floats and
    constant empty strings), tens of times faster than row by row; SQLite through
    insert_rows. Benchmark setup only: values are not validated."""
    sizes = [np.asarray(v).size for v in columns.values() if np.ndim(v) > 0]
    n = max(sizes) if sizes else 0
    if n == 0:
        return 0
    meta = model._meta
    fields: list[Field[Any, Any]] = [meta.get_field(name) for name in columns]  # type: ignore[misc]
    if connection.vendor != "postgresql":
        data = [np.asarray(v).tolist() if np.ndim(v) > 0 else [v] * n for v in columns.values()]
        rows = list(zip(*data, strict=True))
        for start in range(0, n, 100_000):
            insert_rows(model, list(columns), rows[start : start + 100_000])
        return n
    layout: list[tuple[str, Any]] = [("count", ">i2")]
    values: dict[str, Any] = {"count": len(fields)}
    for k, (f, v) in enumerate(zip(fields, columns.values(), strict=True)):
        db_type = str(f.db_type(connection))
        code = _PG_BINARY.get(db_type)
        if code is None:  # text: only the empty string (length 0, no bytes)
            assert v == "", f"{f.name}: only empty strings for {db_type}"
            layout.append((f"len{k}", ">i4"))
            values[f"len{k}"] = 0
            continue
        layout.append((f"len{k}", ">i4"))
        layout.append((f"v{k}", code))
        values[f"len{k}"] = np.dtype(code).itemsize
        values[f"v{k}"] = v
    table = np.zeros(n, dtype=layout)
    for name, v in values.items():
        table[name] = v
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            f"COPY {connection.ops.quote_name(meta.db_table)} ({names}) FROM STDIN WITH (FORMAT binary)"
        ) as copy:
            copy.write(header)
            step = 500_000
            for start in range(0, n, step):
                copy.write(table[start : start + step].tobytes())
            copy.write(struct.pack(">h", -1))
    return n


def _analyze(*models: type[Model]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _truth(ratees: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    people = np.unique(ratees)
    return rng.normal(0.0, 1.0, people.size)[np.searchsorted(people, ratees)]


def load_org_ratings(cycle: Cycle, rng: np.random.Generator) -> tuple[int, int]:
    """Every assignment submitted with a score for each rated item, and every KPI item
    scored (as if computed): (ratings, KPI scores)."""
    a = appraisals_demo.CycleAssignments.read(cycle.pk)
    items = list(
        SchemeItem.objects.filter(section__scheme=cycle.scheme)
        .order_by("section__position", "position")
        .values_list("id", "section__kind")
    )
    rated = np.array([i for i, kind in items if kind == SectionKind.RATING], dtype=np.int64)
    kpi = np.array([i for i, kind in items if kind == SectionKind.KPI], dtype=np.int64)
    truth = _truth(a.ratee, rng)
    raters = np.unique(a.rater)
    bias = rng.normal(0.0, 5.0, raters.size)[np.searchsorted(raters, a.rater)]
    base = 76.0 + 9.0 * truth + bias
    n = a.ids.size
    values = np.clip(
        np.rint(np.repeat(base, rated.size) + rng.normal(0.0, 6.0, n * rated.size)), 0, 100
    )
    ratings = copy_columns(
        Rating,
        {
            "assignment": np.repeat(a.ids, rated.size),
            "item": np.tile(rated, n),
            "value": values.astype(np.float64),
        },
    )
    Assignment.objects.filter(cycle=cycle).update(status=AssignmentStatus.SUBMITTED, version=2)
    appraisal_ids = np.array(
        Appraisal.objects.filter(cycle=cycle).order_by("id").values_list("id", flat=True),
        dtype=np.int64,
    )
    kpis = copy_columns(
        KpiScore,
        {
            "appraisal": np.repeat(appraisal_ids, kpi.size),
            "item": np.tile(kpi, appraisal_ids.size),
            "computed": np.clip(rng.normal(84.0, 9.0, appraisal_ids.size * kpi.size), 0, 100),
            "override_reason": "",
            "source_note": "",
            "comment": "",
            "version": 1,
        },
    )
    _analyze(Assignment, Rating, KpiScore, Appraisal)
    return ratings, kpis


# ---------------------------------------------------------------- users for raters


def ensure_users(person_ids: Sequence[int]) -> dict[int, int]:
    """A sign-in account for each of these people (made once, reused by later runs):
    person → user id."""
    wanted = sorted(set(person_ids))
    linked = dict(
        Person.objects.filter(pk__in=wanted, user__isnull=False).values_list("id", "user_id")
    )
    missing = [p for p in wanted if p not in linked]
    if missing:
        numbers = dict(Person.objects.filter(pk__in=missing).values_list("id", "employee_no"))
        names = {p: f"{BENCH_USER_PREFIX}{numbers[p]}" for p in missing}
        existing = dict(
            User.objects.filter(username__in=list(names.values())).values_list("username", "id")
        )
        new = [n for n in names.values() if n not in existing]
        now = datetime.datetime.now(datetime.UTC)
        User.objects.bulk_create(
            [User(username=n, password="!", is_active=True, date_joined=now) for n in new],
            batch_size=5000,
        )
        existing = dict(
            User.objects.filter(username__in=list(names.values())).values_list("username", "id")
        )
        Person.objects.bulk_update(
            [Person(pk=p, user_id=existing[names[p]]) for p in missing], ["user"], batch_size=5000
        )
        linked.update({p: existing[names[p]] for p in missing})
    return linked


def _fresh_user(user_id: int) -> User:
    """The user as a request would carry it (its scope is computed again inside)."""
    return User.objects.get(pk=user_id)


# ---------------------------------------------------------------- timing helpers


def _time_page_or(
    result: BenchResult,
    client: Client,
    name: str,
    label: str,
    url: str | None,
    fallback: Callable[[], object],
    fallback_note: str,
    runs: int,
) -> None:
    """Time a page through the test client; if it does not exist (yet), the reads behind it."""
    if url is not None:
        response = client.get(url, secure=True)
        if response.status_code == 200:

            def fetch() -> None:
                r = client.get(url, secure=True)
                assert r.status_code == 200, r.status_code

            seconds = _median_seconds(fetch, runs)
            size = len(response.content)
            result.figures.append(
                Figure(name, label, seconds, runs, _queries(fetch), f"{url} ({size / 1000:.0f} kB)")
            )
            return
        result.notes.append(f"{name}: {url} answered {response.status_code}; timed the reads")
    seconds = _median_seconds(fallback, runs)
    result.figures.append(Figure(name, label, seconds, runs, _queries(fallback), fallback_note))


def _url(names: Sequence[str], **kwargs: Any) -> str | None:
    for name in names:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


class QueryCounter:
    """Counts the queries run inside it (Django's query log stops growing at 9,000
    entries, so CaptureQueriesContext reads 0 after a long benchmark)."""

    def __init__(self) -> None:
        self.count = 0
        self._wrapper: Any = None

    def _count(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> QueryCounter:
        self._wrapper = connection.execute_wrapper(self._count)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._wrapper.__exit__(*exc)


def _queries(fn: Callable[[], object]) -> int:
    with QueryCounter() as counter:
        fn()
    return counter.count


def _percentile(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q)) if samples else float("nan")


# ---------------------------------------------------------------- the full recompute


CHILD = """
import json, resource, sys, time
import django
django.setup()
from jixiao.reports.bench_cycle import child_recompute
print("JSON:" + json.dumps(child_recompute(int(sys.argv[1]))))
"""


def child_recompute(cycle_id: int) -> dict[str, Any]:
    """Run in a fresh process: the recompute's time, stages and peak memory."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()

    def progress(stage: str, _share: float) -> None:
        if marks and marks[-1][0] == stage:
            marks[-1] = (stage, time.perf_counter() - started)  # the last of a stage
        else:
            marks.append((stage, time.perf_counter() - started))

    summary = scoring.recompute_cycle(cycle_id, progress=progress)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rss_before_kib": before,
        "marks": marks,
        "summary": {k: v for k, v in summary.items() if k in ("appraisals", "ratings", "ties")},
    }


def time_recompute(cycle_id: int, say: Callable[[str], None]) -> dict[str, Any]:
    """The full recompute in a fresh Python process (its peak RSS is then its own); in this
    process when that is impossible (an in-memory SQLite database)."""
    name = str(connection.settings_dict.get("NAME", ""))
    if connection.vendor == "sqlite" and (":memory:" in name or "mode=memory" in name):
        here = child_recompute(cycle_id)
        here["in_process"] = True
        return here
    connection.close()  # the child commits; nothing of ours may hold a transaction open
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(cycle_id)],
        cwd=str(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [x for x in proc.stdout.splitlines() if x.startswith("JSON:")]
    if proc.returncode != 0 or not lines:
        say(proc.stderr[-2000:])
        raise RuntimeError("the recompute process failed")
    out: dict[str, Any] = json.loads(lines[-1][5:])
    out["in_process"] = False
    return out


def _recompute_figure(result: CycleBenchResult, cycle: Cycle, say: Callable[[str], None]) -> None:
    say("计时：全部重算 / timing the full recompute")
    out = time_recompute(cycle.pk, say)
    stages: list[str] = []
    last = 0.0
    # recompute_cycle reports the stage it starts; name each interval by what it did
    done_by = {"read": "KPI scores", "compute": "read", "write": "compute", "done": "write"}
    for stage, at in out["marks"]:
        stages.append(f"{done_by.get(stage, stage)} {at - last:.2f} s")
        last = at
    peak = out["peak_rss_kib"] * 1024
    result.figures.append(
        Figure(
            "recompute",
            "全部重算 full recompute (read, compute, write)",
            out["seconds"],
            note=(
                f"peak RSS {peak / GiB:.2f} GiB (process at start "
                f"{out['rss_before_kib'] * 1024 / GiB:.2f} GiB"
                f"{', in this process' if out['in_process'] else ', fresh process'}); "
                f"{out['summary']}; " + ", ".join(stages)
            ),
        )
    )
    result.extra["recompute_peak_rss_mib"] = round(peak / 1024**2, 1)


# ---------------------------------------------------------------- results list and export


def _results_page(result: CycleBenchResult, client: Client, cycle: Cycle, runs: int) -> None:
    url = _url(
        ["appraisals:results_cycle", "appraisals:cycle_results", "appraisals:results"], pk=cycle.pk
    )
    if url is not None:
        url += "?sort=score"

    def reads() -> object:
        qs = Appraisal.objects.filter(cycle=cycle).select_related("person", "department", "post")
        page = list(qs.filter(total__isnull=False).order_by("-total", "id")[:50])
        return qs.count(), page

    _time_page_or(
        result,
        client,
        "results_first_page",
        "结果列表首页（按得分）results list, first page by score",
        url,
        reads,
        "ORM: count + first 50 by score (the results page was not there)",
        runs,
    )


def _export_with_xlsxwriter(cycle: Cycle, path: Path) -> int:
    """Stand-in export (the results export was not there): every result, constant memory."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("results")
    header = ["工号", "姓名", "部门", "得分", "修正前", "部门排名", "单位排名", "建议等次"]
    for c, h in enumerate(header):
        sheet.write(0, c, h)
    rows = (
        Appraisal.objects.filter(cycle=cycle)
        .order_by("-total", "id")
        .values_list(
            "person__employee_no",
            "person__name",
            "department__name",
            "total",
            "raw_total",
            "rank_department",
            "rank_unit",
            "suggested_grade",
        )
        .iterator(chunk_size=5000)
    )
    n = 0
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is not None:
                sheet.write(r, c, v)
        n += 1
    book.close()
    return n


def _export_figure(
    result: CycleBenchResult, cycle: Cycle, user: User, say: Callable[[str], None]
) -> None:
    say("计时：导出全部结果 / timing the Excel export of every result")
    with tempfile.TemporaryDirectory(prefix="jixiao-bench-") as tmp:
        path = Path(tmp) / "results.xlsx"
        exporter = _results_exporter()
        started = time.perf_counter()
        if exporter is not None:
            note = exporter(cycle, user, path)
        else:
            rows = _export_with_xlsxwriter(cycle, path)
            note = (
                f"stand-in: xlsxwriter constant_memory in the benchmark, {rows} rows "
                "(no results export was there)"
            )
        seconds = time.perf_counter() - started
        size = path.stat().st_size if path.exists() else 0
        result.figures.append(
            Figure(
                "export",
                "导出全部结果 Excel export of every result",
                seconds,
                note=f"{note}; {size / 1e6:.1f} MB",
            )
        )


def _results_exporter() -> Callable[[Cycle, User, Path], str] | None:
    """The results export of the results pages (the work of its background task), when it
    exists."""
    try:
        module = importlib.import_module("jixiao.appraisals.results_export")
    except ImportError:
        return None
    fn = getattr(module, "write_results_workbook", None)
    if fn is None:
        return None

    def run_export(cycle: Cycle, _user: User, path: Path) -> str:
        rows = fn(path, cycle)
        return f"results_export.write_results_workbook (the export task's work), {rows} rows"

    return run_export


# ---------------------------------------------------------------- the grid


def _grid_raters(cycle: Cycle, count: int) -> list[tuple[int, list[int]]]:
    """Raters, each with GRID_RATEES colleagues of their own top-level department that they
    do not rate yet as peers: (rater, appraisal ids)."""
    rows = list(
        Appraisal.objects.filter(cycle=cycle)
        .order_by("id")
        .values_list("id", "person_id", "department__path")
    )
    by_top: dict[str, list[tuple[int, int]]] = {}
    for appraisal_id, person_id, path in rows:
        top = "/".join(path.split("/")[:3])
        by_top.setdefault(top, []).append((appraisal_id, person_id))
    rated = set(
        Assignment.objects.filter(cycle=cycle, group=RaterGroup.PEER).values_list(
            "rater_id", "appraisal_id"
        )
    )
    chosen: list[tuple[int, list[int]]] = []
    for _top, members in sorted(by_top.items(), key=lambda kv: -len(kv[1])):
        if len(chosen) >= count:
            break
        if len(members) < GRID_RATEES + 10:
            continue
        rater = members[len(members) // 2][1]
        ratees = [a for a, p in members if p != rater and (rater, a) not in rated][:GRID_RATEES]
        if len(ratees) == GRID_RATEES:
            chosen.append((rater, ratees))
    return chosen


def _grid_figures(
    result: CycleBenchResult, cycle: Cycle, runs: int, say: Callable[[str], None]
) -> None:
    say("计时：评分表（30 人）/ timing a rater's grid of 30 colleagues")
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.RATING)
    raters = _grid_raters(cycle, GRID_RATERS)
    if not raters:
        result.notes.append("grid: no department large enough for a grid of 30; not timed")
        return
    insert_rows(
        Assignment,
        ["cycle", "appraisal", "group", "rater", "status", "comment", "nominated", "version"],
        [
            (cycle.pk, a, RaterGroup.PEER, rater, AssignmentStatus.OPEN, "", False, 1)
            for rater, ratees in raters
            for a in ratees
        ],
    )
    users = ensure_users([r for r, _ in raters])
    items = sorted(rating.items_for_groups(cycle.scheme_id)[RaterGroup.PEER].items())
    rng = np.random.default_rng(7)
    url = _url(["appraisals:rate_grid"], cycle_id=cycle.pk, group=RaterGroup.PEER)
    first = _fresh_user(users[raters[0][0]])
    client = Client()
    client.force_login(first)

    def service_reads() -> object:
        user = _fresh_user(users[raters[0][0]])
        own = list(
            Assignment.objects.filter(cycle=cycle, rater__user=user, group=RaterGroup.PEER)
            .select_related("appraisal", "appraisal__person", "appraisal__department")
            .order_by("appraisal__department__path", "appraisal__person__employee_no")
        )
        ratings = list(Rating.objects.filter(assignment__in=[a.pk for a in own]))
        return own, ratings, rating.items_for_groups(cycle.scheme_id)

    _time_page_or(
        result,
        client,
        "grid_render",
        f"评分表页面（{GRID_RATEES} 人）rater's grid, render",
        url,
        service_reads,
        "service-level reads (the grid page was not there)",
        runs,
    )
    page = url is not None and client.get(url, secure=True).status_code == 200
    samples: list[float] = []
    queries: list[int] = []
    for rater, _ratees in raters:
        own = list(
            Assignment.objects.filter(
                cycle=cycle, rater_id=rater, group=RaterGroup.PEER, status=AssignmentStatus.OPEN
            ).values_list("id", "version")
        )
        scores = {
            (aid, item_id): float(np.clip(np.rint(rng.normal(78, 10)), 0, item.max_score))
            for aid, _v in own
            for item_id, item in items
        }
        user = _fresh_user(users[rater])
        if page:
            assert url is not None
            poster = Client()
            poster.force_login(user)
            data: dict[str, str] = {"action": "submit"}
            for aid, version in own:
                data[f"r{aid}-version"] = str(version)
                for item_id, _item in items:
                    data[f"r{aid}-{item_id}"] = f"{scores[(aid, item_id)]:g}"
            with QueryCounter() as ctx:
                started = time.perf_counter()
                # urlencoded, as the page's form posts it (the test client's default,
                # multipart, costs the server several milliseconds more to parse)
                response = poster.post(
                    url,
                    urlencode(data),
                    content_type="application/x-www-form-urlencoded",
                    secure=True,
                )
                samples.append(time.perf_counter() - started)
            if response.status_code != 302:
                result.notes.append(f"grid_submit: POST {url} answered {response.status_code}")
        else:
            entries = [
                rating.AssignmentInput(
                    aid,
                    version,
                    [rating.RatingInput(item_id=i, value=scores[(aid, i)]) for i, _ in items],
                )
                for aid, version in own
            ]
            actor = Actor.for_user(user, source="web")
            with QueryCounter() as ctx:
                started = time.perf_counter()
                rating.ratings_save(actor=actor, user=user, entries=entries, submit=True)
                samples.append(time.perf_counter() - started)
        queries.append(ctx.count)
    submitted = Assignment.objects.filter(
        cycle=cycle, rater_id__in=[r for r, _ in raters], status=AssignmentStatus.SUBMITTED
    ).count()
    result.figures.append(
        Figure(
            "grid_submit",
            f"提交评分表（{GRID_RATEES} 人，含重算）submit the grid, 30 rescored",
            statistics.median(samples),
            len(samples),
            int(statistics.median(queries)),
            (f"POST {url}" if page else "rating.ratings_save (the grid page was not there)")
            + f", {len(items)} items a person, {len(samples)} raters once each "
            f"(min {min(samples) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms); "
            f"{submitted} of their peer assignments now submitted",
        )
    )


# ---------------------------------------------------------------- the shapes


def _setup(
    result: CycleBenchResult, people: int, seed: int, had_data: bool, say: Callable[[str], None]
) -> tuple[User, Department]:
    say(f"生成 {people} 人的组织 / building an organization of {people} people")
    if had_data:
        appraisals_demo.delete_appraisals()
        goals_demo.delete_goals()
    started = time.perf_counter()
    demo.build_demo(seed=seed, people=people, reset=had_data)
    result.figures.append(
        Figure("build_org", "生成组织 build organization", time.perf_counter() - started)
    )
    # Statistics for the freshly loaded organization, as after any bulk load (autovacuum
    # would take a minute to get there; without them the scope queries plan badly).
    _analyze(Person, Department, Post, PersonStatusChange)
    perfadmin = User.objects.get(username="perfadmin")
    unit = Department.objects.get(parent__isnull=True)
    return perfadmin, unit


def _create_cycle(
    result: CycleBenchResult,
    actor: Actor,
    perfadmin: User,
    data: schemes.SchemeData,
    unit: Department,
    say: Callable[[str], None],
) -> Cycle:
    scheme = schemes.scheme_create(actor=actor, user=perfadmin, data=data)
    say("计时：创建考核周期（含全部评分任务）/ timing cycle_create with every assignment")
    started = time.perf_counter()
    cycle = cycles.cycle_create(
        actor=actor, user=perfadmin, data=_cycle_data(scheme, unit, f"基准 {data.name}")
    )
    seconds = time.perf_counter() - started
    appraisals = Appraisal.objects.filter(cycle=cycle).count()
    by_group = dict(
        Assignment.objects.filter(cycle=cycle)
        .values_list("group")
        .annotate(n=Count("id"))
        .values_list("group", "n")
        .order_by()
    )
    result.figures.append(
        Figure(
            "cycle_create",
            "创建考核周期（含评分任务）create the cycle with its raters",
            seconds,
            note=f"{appraisals} appraisals, {sum(by_group.values())} assignments {by_group}",
        )
    )
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.RATING)
    cycle.refresh_from_db()
    return cycle


def run_org(
    result: CycleBenchResult,
    perfadmin: User,
    unit: Department,
    runs: int,
    seed: int,
    say: Callable[[str], None],
) -> None:
    actor = Actor.for_user(perfadmin, source="cli")
    cycle = _create_cycle(result, actor, perfadmin, org_scheme_data(), unit, say)
    say("载入评分（不计时）/ loading the ratings (setup, not timed)")
    started = time.perf_counter()
    with transaction.atomic():
        ratings, kpis = load_org_ratings(cycle, np.random.default_rng(seed))
    result.notes.append(
        f"setup: {ratings} ratings and {kpis} KPI scores loaded "
        f"({'binary COPY' if connection.vendor == 'postgresql' else 'insert_rows'}) in "
        f"{time.perf_counter() - started:.1f} s ({ratings + kpis} inputs; not timed)"
    )
    result.extra["inputs"] = ratings + kpis
    _recompute_figure(result, cycle, say)
    Cycle.objects.filter(pk=cycle.pk).update(phase=CyclePhase.RESULTS)
    cycle.refresh_from_db()
    client = Client()
    client.force_login(perfadmin)
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(ALLOWED_HOSTS=hosts), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No directory at")
        say("计时：结果列表 / timing the results list")
        _results_page(result, client, cycle, runs)
        _export_figure(result, cycle, perfadmin, say)
        _grid_figures(result, cycle, runs, say)


def _self_inputs(items: list[tuple[int, rating.ItemRules]], level: int) -> list[rating.RatingInput]:
    return [rating.RatingInput(item_id=i, level=level) for i, _rules in items]


def _summary_service() -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("jixiao.appraisals.self_assessment")
    except ImportError:
        return None
    fn = getattr(module, "appraisal_summary_save", None)
    return fn if callable(fn) else None


def run_per_person(
    result: CycleBenchResult,
    perfadmin: User,
    unit: Department,
    runs: int,
    seed: int,
    sample: int,
    say: Callable[[str], None],
) -> None:
    actor = Actor.for_user(perfadmin, source="cli")
    cycle = _create_cycle(result, actor, perfadmin, per_person_scheme_data(), unit, say)
    rng = np.random.default_rng(seed)
    a = appraisals_demo.CycleAssignments.read(cycle.pk)
    appraisal_ids = np.unique(a.appraisal)
    kpi = np.array(
        SchemeItem.objects.filter(section__scheme=cycle.scheme, section__kind=SectionKind.KPI)
        .order_by("position")
        .values_list("id", flat=True),
        dtype=np.int64,
    )
    copy_columns(
        KpiScore,
        {
            "appraisal": np.repeat(appraisal_ids, kpi.size),
            "item": np.tile(kpi, appraisal_ids.size),
            "computed": np.clip(rng.normal(84.0, 9.0, appraisal_ids.size * kpi.size), 0, 100),
            "override_reason": "",
            "source_note": "",
            "comment": "",
            "version": 1,
        },
    )
    rules = rating.items_for_groups(cycle.scheme_id)
    peer_items = sorted(rules[RaterGroup.PEER].items())
    self_items = sorted(rules[RaterGroup.SELF].items())
    chosen = (
        appraisal_ids
        if appraisal_ids.size <= sample
        else np.sort(rng.choice(appraisal_ids, sample, replace=False))
    )
    timed = np.isin(a.appraisal, chosen)
    # The rest of the cycle rated in bulk first, so the timed forms meet a full database.
    rest = ~timed
    if rest.any():
        say("载入其余评分（不计时）/ loading the other ratings (setup, not timed)")
        level_points = {
            item_id: np.array([r.levels.get(n, 0.0) for n in range(6)]) for item_id, r in peer_items
        }
        ids = a.ids[rest]
        truth = _truth(a.ratee[rest], rng)
        for item_id, _r in peer_items:
            levels = np.clip(np.rint(3.8 + 0.6 * truth + rng.normal(0, 0.5, ids.size)), 1, 5)
            copy_columns(
                Rating,
                {
                    "assignment": ids,
                    "item": np.full(ids.size, item_id, dtype=np.int64),
                    "value": level_points[item_id][levels.astype(np.int64)],
                    "level": levels.astype(np.int64),
                },
            )
        rest_ids = ids.tolist()
        for start in range(0, len(rest_ids), 20_000):
            Assignment.objects.filter(pk__in=rest_ids[start : start + 20_000]).update(
                status=AssignmentStatus.SUBMITTED, version=2
            )
    _analyze(Assignment, Rating, KpiScore, Appraisal)
    people = set(a.rater[timed & (a.rater > 0)].tolist()) | set(a.ratee[timed].tolist())
    say(f"准备 {len(people)} 个账号 / accounts for {len(people)} raters (setup)")
    users = ensure_users(sorted(people))
    summary_save = _summary_service()
    say(
        f"计时：逐份提交 {chosen.size} 人的同事评分和自评 / "
        f"timing the forms of {chosen.size} appraisals, one by one"
    )
    order = np.argsort(a.appraisal[timed], kind="stable")
    rows = np.flatnonzero(timed)[order]
    by_appraisal: dict[int, list[int]] = {}
    for k in rows.tolist():
        by_appraisal.setdefault(int(a.appraisal[k]), []).append(k)
    peer_times: list[float] = []
    self_rating_times: list[float] = []
    summary_times: list[float] = []
    self_times: list[float] = []
    peer_queries: list[int] = []
    self_rating_queries: list[int] = []
    summary_queries: list[int] = []
    self_queries: list[int] = []
    ratee_of = {int(x): int(p) for x, p in zip(a.appraisal.tolist(), a.ratee.tolist(), strict=True)}
    for appraisal_id in rng.permutation(np.array(sorted(by_appraisal), dtype=np.int64)).tolist():
        ks = by_appraisal[appraisal_id]
        for k in ks:
            if a.group[k] != RaterGroup.PEER:
                continue
            user = _fresh_user(users[int(a.rater[k])])
            entry = rating.AssignmentInput(
                int(a.ids[k]),
                1,
                [
                    rating.RatingInput(item_id=i, level=int(rng.integers(3, 6)))
                    for i, _r in peer_items
                ],
            )
            with QueryCounter() as ctx:
                started = time.perf_counter()
                rating.ratings_save(
                    actor=Actor.for_user(user, source="web"),
                    user=user,
                    entries=[entry],
                    submit=True,
                )
                peer_times.append(time.perf_counter() - started)
            peer_queries.append(ctx.count)
        self_k = next((k for k in ks if a.group[k] == RaterGroup.SELF), None)
        if self_k is None:
            continue
        user = _fresh_user(users[ratee_of[appraisal_id]])
        user_actor = Actor.for_user(user, source="web")
        with QueryCounter() as ctx:
            started = time.perf_counter()
            rating.ratings_save(
                actor=user_actor,
                user=user,
                entries=[
                    rating.AssignmentInput(
                        int(a.ids[self_k]), 1, _self_inputs(self_items, int(rng.integers(3, 6)))
                    )
                ],
                submit=True,
            )
            self_rating_times.append(time.perf_counter() - started)
        self_rating_queries.append(ctx.count)
        if summary_save is None:
            self_times.append(self_rating_times[-1])
            self_queries.append(ctx.count)
            continue
        with QueryCounter() as ctx:
            started = time.perf_counter()
            summary_save(
                actor=user_actor,
                user=user,
                appraisal_id=appraisal_id,
                expected_version=1,
                summary="本年度认真履行岗位职责，按时完成各项工作任务。",
                submit=True,
            )
            summary_times.append(time.perf_counter() - started)
        summary_queries.append(ctx.count)
        self_times.append(self_rating_times[-1] + summary_times[-1])
        self_queries.append(self_rating_queries[-1] + ctx.count)
    every = peer_times + self_rating_times + summary_times
    for name, label, samples, queries in (
        ("peer_submission", "同事评分表提交（每份）peer form, each", peer_times, peer_queries),
        (
            "self_rating_submission",
            "自评评分提交（每份）self-ratings, each",
            self_rating_times,
            self_rating_queries,
        ),
        ("summary_submission", "述职提交（每份）summary, each", summary_times, summary_queries),
        (
            "submission",
            "全部提交（每次）every submission",
            every,
            peer_queries + self_rating_queries + summary_queries,
        ),
        (
            "self_submission",
            "自评合计（评分+述职）self-assessment, both submissions",
            self_times,
            self_queries,
        ),
    ):
        if not samples:
            continue
        result.figures.append(
            Figure(
                f"{name}_median",
                f"{label}, median",
                statistics.median(samples),
                len(samples),
                int(statistics.median(queries)),
                f"p95 {_percentile(samples, 95) * 1000:.2f} ms, "
                f"max {max(samples) * 1000:.1f} ms, total {sum(samples):.1f} s",
            )
        )
        result.extra[f"{name}_p95_seconds"] = round(_percentile(samples, 95), 6)
    if summary_save is None:
        result.notes.append("self-assessment: self ratings only (no summary service was there)")
    else:
        result.notes.append(
            "self-assessment: the self ratings (ratings_save) and the personal summary "
            "(self_assessment.appraisal_summary_save) are two submissions, as on the page "
            "(two forms, two buttons); each counts once in 'every submission'"
        )
    if chosen.size < appraisal_ids.size:
        result.notes.append(
            f"forms submitted one by one for a random sample of {chosen.size} of "
            f"{appraisal_ids.size} appraisals; the others' ratings were loaded in bulk first"
        )
    say("全部重算 / the full recompute")
    _recompute_figure(result, cycle, say)
    client = Client()
    client.force_login(perfadmin)

    def overview() -> tuple[dict[str, int], dict[str, int]]:
        by_status: dict[str, int] = dict(
            Assignment.objects.filter(cycle=cycle)
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
            .order_by()
        )
        by_grade: dict[str, int] = dict(
            Appraisal.objects.filter(cycle=cycle)
            .values_list("suggested_grade")
            .annotate(n=Count("id"))
            .values_list("suggested_grade", "n")
            .order_by()
        )
        return by_status, by_grade

    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(ALLOWED_HOSTS=hosts), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No directory at")
        _time_page_or(
            result,
            client,
            "overview",
            "周期概览（按状态、等次计数）cycle overview",
            _url(["appraisals:cycle_detail"], pk=cycle.pk),
            overview,
            "ORM: assignments per status, appraisals per suggested grade",
            runs,
        )
    by_status, by_grade = overview()
    result.notes.append(f"overview: assignments {by_status}; suggested grades {by_grade}")


def run(
    *,
    people: int = DEFAULT_PEOPLE,
    shape: str = "org",
    force: bool = False,
    runs: int = RUNS,
    seed: int = demo.DEFAULT_SEED,
    sample: int = PER_PERSON_SAMPLE,
    say: Callable[[str], None] = print,
) -> CycleBenchResult:
    """Build the organization and measure one shape. Refuses a database with data unless
    forced (its organization, goals and appraisals are then deleted)."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}")
    _migrate_if_needed(say)
    had_data = database_has_data()
    if had_data and not force:
        raise BenchRefused()
    result = CycleBenchResult(people=people, database=connection.vendor, shape=shape)
    perfadmin, unit = _setup(result, people, seed, had_data, say)
    if shape == "org":
        run_org(result, perfadmin, unit, runs, seed, say)
    else:
        run_per_person(result, perfadmin, unit, runs, seed, sample, say)
    return result


def format_table(result: BenchResult) -> str:
    shape = getattr(result, "shape", "")
    return figures_table(result, f"考核基准 / appraisal benchmark ({shape})", 58, ms_decimals=2)
