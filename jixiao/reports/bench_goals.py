"""The goals benchmark: the demo organization with its goals (≈5 per person, 500,000 at
100,000 people), then the figures of issue 4 (never asserted):

- one large department's alignment tree, as a page and as JSON; a person's "my goals" page;
  the department's planning page (its goals, people and checks);
- recomputing every roll-up after a bulk import of key-result values (end to end);
- assigning a goal template to 10,000 people through the service.

Pages are timed in-process through Django's test client (server time, no network), median of
several runs after a warm-up, with their SQL query counts.
"""

from __future__ import annotations

import datetime
import random
import time
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings

from jixiao.accounts.models import User
from jixiao.core.actor import Actor
from jixiao.core.bulk import bulk_update_rows
from jixiao.goals import demo as goals_demo
from jixiao.goals import progress
from jixiao.goals.goal_templates import AssignmentTarget, template_assign
from jixiao.goals.models import Goal, GoalLevel, GoalTemplate, KeyResult
from jixiao.org import demo
from jixiao.org.models import Department, Person
from jixiao.reports.bench_org import (
    BenchRefused,
    BenchResult,
    Figure,
    _count_queries,
    _median_seconds,
    _migrate_if_needed,
    figures_table,
)
from jixiao.reports.bench_org import (
    database_has_data as org_has_data,
)

DEFAULT_PEOPLE = 100_000
RUNS = 7
ASSIGN_PEOPLE = 10_000
IMPORT_SHARE = 0.10  # the bulk import changes the value of one key result in ten
TREE_DEPARTMENT = "12345热线中心"

__all__ = ["BenchRefused", "format_table", "run"]


def database_has_data() -> bool:
    return org_has_data() or Goal.objects.exists()


def _time_page(
    result: BenchResult, client: Client, name: str, label: str, url: str, runs: int
) -> None:
    response = client.get(url, secure=True)
    if response.status_code != 200:
        result.notes.append(f"{name}: {url} answered {response.status_code}; not timed")
        return

    def fetch() -> None:
        r = client.get(url, secure=True)
        assert r.status_code == 200, r.status_code

    seconds = _median_seconds(fetch, runs)
    size = len(response.content)
    result.figures.append(
        Figure(name, label, seconds, runs, _count_queries(fetch), f"{url} ({size / 1000:.0f} kB)")
    )


def _simulate_import(share: float, seed: int, year: int) -> tuple[int, float]:
    """New values for a share of this year's measured key results, written as an import
    writes them (bulk_update_rows, one UPDATE per batch); returns (count, seconds)."""
    rng = random.Random(seed)
    rows = list(
        KeyResult.objects.filter(current__isnull=False, goal__period=str(year))
        .order_by("id")
        .values_list("id", "current", "baseline", "target")
    )
    chosen = [r for r in rows if rng.random() < share]
    now = datetime.datetime.now(datetime.UTC)
    changed = []
    for kr_id, current, baseline, target in chosen:
        step = (target - baseline) if target is not None and baseline is not None else Decimal(1)
        bump = (step * Decimal(rng.uniform(0.02, 0.12))).quantize(Decimal("0.0001"))
        changed.append(KeyResult(pk=kr_id, current=(current or 0) + bump, current_at=now))
    started = time.perf_counter()
    bulk_update_rows(KeyResult, changed, ["current", "current_at"])
    return len(changed), time.perf_counter() - started


def _assignment_targets(root: Department) -> tuple[list[Department], int]:
    """Departments (largest first) with together at least ASSIGN_PEOPLE active people: a
    single one when one is large enough, else several; and their head count."""
    top = list(Department.objects.filter(parent=root).order_by("code"))
    per_department = (
        Person.objects.filter(is_active=True)
        .values_list("department__path")
        .annotate(n=Count("id"))
        .values_list("department__path", "n")
    )
    sizes = {d.pk: 0 for d in top}
    for path, n in per_department:
        for d in top:
            if path.startswith(d.path):
                sizes[d.pk] += n
                break
    ranked = sorted(top, key=lambda d: (-sizes[d.pk], d.code))
    single = [d for d in ranked if sizes[d.pk] >= ASSIGN_PEOPLE]
    if single:
        best = min(single, key=lambda d: sizes[d.pk])
        return [best], sizes[best.pk]
    chosen: list[Department] = []
    total = 0
    for d in ranked:
        if total >= ASSIGN_PEOPLE:
            break
        chosen.append(d)
        total += sizes[d.pk]
    return chosen, total


def run(
    *,
    people: int = DEFAULT_PEOPLE,
    force: bool = False,
    runs: int = RUNS,
    seed: int = demo.DEFAULT_SEED,
    say: Callable[[str], None] = print,
) -> BenchResult:
    """Build the organization and its goals, and measure. Refuses a database with data unless
    forced (its organization and goals are then deleted)."""
    _migrate_if_needed(say)
    had_data = database_has_data()
    if had_data and not force:
        raise BenchRefused()
    result = BenchResult(people=people, database=connection.vendor)
    today = datetime.date.today()

    say(f"生成 {people} 人的组织 / building an organization of {people} people")
    if had_data:
        goals_demo.delete_goals()
    started = time.perf_counter()
    demo.build_demo(seed=seed, people=people, reset=had_data, today=today)
    result.figures.append(
        Figure("build_org", "生成组织 build organization", time.perf_counter() - started)
    )
    say("生成目标 / building the goals")
    built = goals_demo.build_goals_demo(seed=seed, today=today, reset=True)
    result.figures.append(
        Figure(
            "build_goals",
            "生成目标 build goals",
            built.seconds,
            note=f"{built.goals} goals, {built.key_results} key results, "
            f"{built.checkins} check-ins (recompute inside: {built.recompute_seconds:.2f} s)",
        )
    )

    perfadmin = User.objects.get(username="perfadmin")
    employee = User.objects.get(username="employee")
    root = Department.objects.get(parent__isnull=True)
    tree_dept = (
        Department.objects.filter(name=TREE_DEPARTMENT).first()
        or Department.objects.filter(parent=root).order_by("code").first()
    )
    assert tree_dept is not None
    admin_client = Client()
    admin_client.force_login(perfadmin)
    employee_client = Client()
    employee_client.force_login(employee)
    year = today.year
    in_tree = Goal.objects.filter(
        department__path__startswith=tree_dept.path, period_start__year=year
    ).count()
    mine = Goal.objects.filter(person__user=employee, period_start__year=year).count()
    result.notes.append(
        f"tree of {tree_dept.name}: {in_tree} goals of {year} in its subtree; "
        f"my goals of the demo employee: {mine} goals of {year}; "
        f"goals in the database: {Goal.objects.count()}"
    )

    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(ALLOWED_HOSTS=hosts), warnings.catch_warnings():
        # WhiteNoise warns when static files have not been collected; pages do not need them.
        warnings.filterwarnings("ignore", message="No directory at")
        say("计时：目标对齐树 / timing the alignment tree")
        query = f"?department={tree_dept.pk}&period={year}"
        _time_page(
            result,
            admin_client,
            "tree_page",
            f"对齐树页面（{tree_dept.name}）alignment tree page",
            f"/goals/tree/{query}",
            runs,
        )
        _time_page(
            result,
            admin_client,
            "tree_json",
            f"对齐树 JSON（{tree_dept.name}）alignment tree JSON",
            f"/goals/tree.json{query}",
            runs,
        )
        say("计时：我的目标 / timing my goals")
        _time_page(
            result, employee_client, "my_goals", "我的目标 my goals (employee)", "/goals/", runs
        )
        say("计时：部门目标页 / timing the department page")
        _time_page(
            result,
            admin_client,
            "department_page",
            f"部门目标页（{tree_dept.name}）department page",
            f"/goals/department/{tree_dept.pk}/?period={year}",
            runs,
        )

    say("模拟批量导入并重算 / a bulk import, then recomputing every roll-up")
    changed, import_seconds = _simulate_import(IMPORT_SHARE, seed, year)
    summary = progress.recompute_all()
    result.figures.append(
        Figure(
            "recompute_after_import",
            "批量导入后全部重算 recompute all after import",
            summary.seconds,
            note=f"import changed {changed} key-result values (written in {import_seconds:.2f} s, "
            f"not included); recompute read {summary.goals} goals and {summary.key_results} "
            f"key results, wrote {summary.goals_changed} goals and "
            f"{summary.key_results_changed} key results",
        )
    )
    again = progress.recompute_all()
    result.figures.append(
        Figure(
            "recompute_unchanged",
            "全部重算（无变化）recompute all, nothing changed",
            again.seconds,
            note=f"wrote {again.goals_changed} goals",
        )
    )

    say("批量分配目标模板 / assigning a template in bulk")
    template = GoalTemplate.objects.get(name=goals_demo.TRAINING_TEMPLATE)
    targets, heads = _assignment_targets(root)
    actor = Actor.for_user(perfadmin, source="cli")
    created = 0
    started = time.perf_counter()
    for d in targets:
        outcome = template_assign(
            actor=actor,
            user=cast(Any, perfadmin),
            template_id=template.pk,
            period_key=str(year),
            target=AssignmentTarget(department_id=d.pk),
        )
        created += outcome.created
    seconds = time.perf_counter() - started
    where = (
        targets[0].name
        if len(targets) == 1
        else f"{len(targets)} departments, largest first ({targets[0].name}, …), one call each"
    )
    result.figures.append(
        Figure(
            "assign_template",
            f"模板批量分配 assign a template to {created} people",
            seconds,
            note=f"{template.name} → {where}: {created} goals created "
            f"({heads} active people), with their key results, audit records and roll-up",
        )
    )
    result.notes.append(
        f"personal goals now: {Goal.objects.filter(level=GoalLevel.PERSON).count()}"
    )
    return result


def format_table(result: BenchResult) -> str:
    return figures_table(result, "目标基准 / goals benchmark", 56)
