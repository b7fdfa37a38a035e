"""The demo goals: built from the seed for any size, in the shapes the planning checks and the
demo accounts' pages need (most goals approved, some waiting, one returned with its comment,
a few weights and SMART problems, conflicts, a department over budget), with their progress."""

from __future__ import annotations

import datetime
import io
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client

from jixiao.accounts.models import User
from jixiao.core.models import AuditRecord
from jixiao.goals import checks, overview, progress
from jixiao.goals import demo as goals_demo
from jixiao.goals.models import (
    CheckIn,
    CheckInValue,
    DepartmentBudget,
    Goal,
    GoalLevel,
    GoalStatus,
    GoalTemplate,
    KeyResult,
    Milestone,
    PlanningPolicy,
    StrategicObjective,
    StrategicTheme,
    WorkItem,
)
from jixiao.goals.strategy import DEFAULT_THEMES
from jixiao.org import demo
from jixiao.org.models import Department, Person

TODAY = datetime.date(datetime.date.today().year, 10, 15)
PEOPLE = 60


@pytest.fixture
def built(db):
    demo.build_demo(seed=3, people=PEOPLE, today=TODAY)
    return goals_demo.build_goals_demo(seed=3, today=TODAY)


def _client(username: str) -> Client:
    c = Client()
    c.force_login(User.objects.get(username=username))
    return c


def test_split_100_keeps_steps_minimum_and_total():
    assert goals_demo.split_100([25, 25, 20, 20, 10]) == [25, 25, 20, 20, 10]
    assert sum(goals_demo.split_100([3, 1, 1])) == 100
    assert all(w % 5 == 0 and w >= 5 for w in goals_demo.split_100([100, 1, 1, 1]))
    assert sum(goals_demo.split_100([1, 1, 1], total=70)) == 70


def test_strategy_templates_and_policy(built):
    unit = Department.objects.get(parent__isnull=True)
    assert list(StrategicTheme.objects.order_by("sort_order").values_list("name", flat=True)) == [
        t[0] for t in DEFAULT_THEMES
    ]
    assert StrategicObjective.objects.filter(parent__isnull=True).count() == 5
    assert 4 <= StrategicObjective.objects.filter(start_year=TODAY.year).count() <= 6
    assert PlanningPolicy.objects.get(unit=unit).min_capacity_share == Decimal(15)
    window = GoalTemplate.objects.get(name=goals_demo.WINDOW_TEMPLATE)
    assert window.key_results.count() == 3
    assert Goal.objects.filter(template=window, person__post__name="窗口受理岗").exists()
    unit_goals = Goal.objects.filter(level=GoalLevel.UNIT, period=str(TODAY.year))
    assert 5 <= unit_goals.count() <= 8
    assert all(g.objective_id for g in unit_goals)
    assert KeyResult.objects.filter(goal__in=unit_goals, indicator__code="RX-02").exists()


def test_every_active_person_has_three_to_five_goals_and_weights_mostly_add_up(built):
    year = str(TODAY.year)
    per_person = (
        Goal.objects.filter(level=GoalLevel.PERSON, period=year)
        .values("person")
        .annotate(total=Sum("weight"))
    )
    counts = Counter(
        Goal.objects.filter(level=GoalLevel.PERSON, period=year).values_list("person", flat=True)
    )
    active = set(Person.objects.filter(is_active=True).values_list("id", flat=True))
    assert set(counts) == active
    assert all(3 <= n <= 5 for n in counts.values())
    totals = [r["total"] for r in per_person]
    off = [t for t in totals if t != Decimal(100)]
    assert 1 <= len(off) <= len(totals) // 5  # a few people's weights do not add up
    for row in (
        Goal.objects.filter(level=GoalLevel.DEPARTMENT)
        .values("department", "period")
        .annotate(total=Sum("weight"))
    ):
        assert row["total"] == Decimal(100)
    departments = Counter(
        Goal.objects.filter(level=GoalLevel.DEPARTMENT, period=year).values_list(
            "department", flat=True
        )
    )
    assert all(3 <= n <= 5 for n in departments.values())


def test_statuses_versions_and_the_returned_comment(built):
    year = str(TODAY.year)
    statuses = Counter(Goal.objects.filter(period=year).values_list("status", flat=True))
    approved = statuses[GoalStatus.APPROVED] + statuses[GoalStatus.LOCKED]
    assert approved > sum(statuses.values()) / 2
    assert statuses[GoalStatus.SUBMITTED] and statuses[GoalStatus.RETURNED]
    assert statuses[GoalStatus.DRAFT]
    last_year = Goal.objects.filter(period=str(TODAY.year - 1))
    assert last_year.exists() and not last_year.exclude(status=GoalStatus.CLOSED).exists()
    assert set(last_year.values_list("outcome", flat=True)) <= {
        "achieved",
        "partial",
        "not_achieved",
    }
    for status, version in goals_demo.VERSION_OF.items():
        assert not Goal.objects.filter(status=status).exclude(version=version).exists()
    locked = Goal.objects.filter(status=GoalStatus.LOCKED)
    assert not locked.filter(approved_at__isnull=True).exists()
    assert not locked.filter(locked_at__isnull=True).exists()
    returned = Goal.objects.filter(status=GoalStatus.RETURNED)
    records = AuditRecord.objects.filter(action="goals.goal.return")
    assert set(records.values_list("object_id", flat=True)) == {str(g.pk) for g in returned}
    assert all(r.reason for r in records)
    # Demo data is nobody's action: no other audit records for goals.
    assert (
        not AuditRecord.objects.filter(object_type="goals.goal")
        .exclude(action="goals.goal.return")
        .exists()
    )


def test_progress_is_computed_and_recompute_changes_nothing(built):
    year = str(TODAY.year)
    measured = Goal.objects.filter(
        period=year, status__in=[GoalStatus.APPROVED, GoalStatus.LOCKED], progress__isnull=False
    )
    values = [v for v in measured.values_list("progress", flat=True) if v is not None]
    assert len(values) > 50
    expected = (TODAY - datetime.date(TODAY.year, 1, 1)).days / 365
    assert any(v > expected + 0.1 for v in values)  # some ahead of the calendar
    assert any(v < expected - 0.25 for v in values)  # some well behind
    assert KeyResult.objects.filter(current__isnull=False, progress__isnull=False).exists()
    summary = progress.recompute_all()
    assert summary.goals_changed == 0 and summary.key_results_changed == 0
    # Key-result values are those of the latest check-in.
    kr = KeyResult.objects.filter(current__isnull=False).order_by("id").first()
    assert kr is not None
    latest = (
        CheckInValue.objects.filter(key_result=kr).order_by("-checkin__at", "-checkin_id").first()
    )
    assert latest is not None and latest.value == kr.current
    goal = kr.goal
    newest = CheckIn.objects.filter(goal=goal).order_by("-at").first()
    assert newest is not None and goal.last_checkin_at == newest.at


def test_the_planning_checks_have_something_to_show(built):
    year = TODAY.year
    office = Department.objects.get(name="办公室")
    hotline = Department.objects.get(name="12345热线中心")
    for dept in (office, hotline):
        goals = list(Goal.objects.filter(period=str(year), department__path__startswith=dept.path))
        krs = list(
            KeyResult.objects.filter(goal__in=goals, indicator__isnull=False).select_related(
                "indicator"
            )
        )
        assert checks.indicator_conflicts(goals, krs), dept.name
    over = checks.budget_conflicts(
        list(DepartmentBudget.objects.values_list("department", flat=True)), year
    )
    assert [c.key for c in over] == [f"over_budget:{office.pk}:{year}"]
    unit = Department.objects.get(parent__isnull=True)
    balances = checks.balances(list(Department.objects.filter(depth__gte=1)), str(year), unit.pk)
    below = [b for b in balances if b.total_weight > 0 and not b.ok]
    assert below and len(below) < len([b for b in balances if b.total_weight > 0]) / 2
    everything = list(Goal.objects.filter(period=str(year)).select_related("person", "department"))
    codes = Counter(
        f.code for found in checks.smart_findings_many(everything).values() for f in found
    )
    assert codes["no_measure"] + codes["no_target"] + codes["no_deadline"] >= 2
    renovation = WorkItem.objects.get(title="办公楼改造工程")
    assert renovation.budget and renovation.actual_cost
    late = Milestone.objects.filter(work_item=renovation, done_on__isnull=True, due_date__lt=TODAY)
    assert late.exists()


def test_aligned_share_matches_the_strategy_coverage(built):
    unit = Department.objects.get(parent__isnull=True)
    coverage = checks.strategy_coverage(unit, TODAY.year).aligned_share
    for dept in Department.objects.filter(depth__gte=1):
        assert overview.aligned_share_of(dept, unit.pk, TODAY.year) == coverage.get(dept.pk)


def test_the_demo_accounts_see_sensible_pages(built):
    employee = User.objects.get(username="employee")
    mine = Goal.objects.filter(person__user=employee, period=str(datetime.date.today().year))
    page = _client("employee").get("/goals/")
    assert page.status_code == 200
    text = page.content.decode()
    if mine.exists():  # the data is built for TODAY's year, the page shows today's
        assert all(g.title in text for g in mine)
    statuses = set(
        Goal.objects.filter(person__user=employee, period=str(TODAY.year)).values_list(
            "status", flat=True
        )
    )
    assert {GoalStatus.RETURNED, GoalStatus.SUBMITTED, GoalStatus.LOCKED} <= statuses
    returned = Goal.objects.get(person__user=employee, status=GoalStatus.RETURNED)
    detail = _client("employee").get(f"/goals/{returned.pk}/")
    assert detail.status_code == 200 and 'id="returned-comment"' in detail.content.decode()

    approvals = _client("head").get("/goals/approvals/")
    assert approvals.status_code == 200
    waiting = Goal.objects.filter(
        status=GoalStatus.SUBMITTED,
        department__path__startswith=Department.objects.get(name="办公室").path,
    )
    assert waiting.count() >= 3
    html = approvals.content.decode()
    shown = [g for g in waiting if f'data-goal="{g.pk}"' in html]
    mine_pending = [
        g for g in waiting if g.person and g.person.user_id == approvals.wsgi_request.user.pk
    ]
    assert len(shown) == waiting.count() - len(mine_pending)


def test_a_large_tree_counts_personal_goals_instead_of_listing_them(built, monkeypatch):
    from jixiao.goals import views_planning

    hotline = Department.objects.get(name="12345热线中心")
    url = f"/goals/tree/?department={hotline.pk}&period={TODAY.year}"
    full = _client("perfadmin").get(url).content.decode()
    monkeypatch.setattr(views_planning, "MAX_TREE_NODES", 5)
    short = _client("perfadmin").get(url).content.decode()
    people = Goal.objects.filter(
        level=GoalLevel.PERSON,
        period=str(TODAY.year),
        department__path__startswith=hotline.path,
    )
    person_goal = people.first()
    assert person_goal is not None
    assert f'data-node="{person_goal.pk}"' in full
    assert f'data-node="{person_goal.pk}"' not in short
    counted = sum(int(x.split('"')[0]) for x in short.split('data-people="')[1:])
    assert counted == people.count()


def test_rebuilding_needs_reset_and_gives_the_same_data(built):
    first = Counter(Goal.objects.values_list("level", "status"))
    with pytest.raises(goals_demo.GoalsExist):
        goals_demo.build_goals_demo(seed=3, today=TODAY)
    goals_demo.build_goals_demo(seed=3, today=TODAY, reset=True)
    assert Counter(Goal.objects.values_list("level", "status")) == first
    titles: dict[str, int] = defaultdict(int)
    for t in Goal.objects.values_list("title", flat=True):
        titles[t] += 1
    assert "办公楼改造和机关节能降耗" in titles


@pytest.mark.django_db
def test_the_demo_command_builds_goals_and_reset_clears_them_first():
    out = io.StringIO()
    call_command("demo", "--people", str(PEOPLE), "--seed", "5", stdout=out)
    assert "demo goals built" in out.getvalue()
    before = Goal.objects.count()
    assert before > 3 * PEOPLE
    call_command("demo", "--reset", "--people", str(PEOPLE), "--seed", "5", stdout=io.StringIO())
    assert Goal.objects.count() == before
    assert StrategicTheme.objects.count() == len(DEFAULT_THEMES)
