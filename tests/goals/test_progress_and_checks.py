"""Progress kept up to date through the tree, and the planning checks: SMART, conflicting
indicators, budgets, capacity, balance and strategy coverage."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from jixiao.goals import checks, progress
from jixiao.goals.models import (
    DepartmentBudget,
    Goal,
    GoalLevel,
    GoalStatus,
    Horizon,
    KeyResult,
    PlanningPolicy,
    ProgressMode,
    WorkItem,
)
from jixiao.indicators.models import Direction, Indicator
from jixiao.org.models import Role, RoleGrant
from tests.goals.factories import add_kr, make_goal


@pytest.fixture
def tree(org):
    unit = make_goal("全局目标", department=org.unit, level=GoalLevel.UNIT)
    office = make_goal("办公室目标", department=org.office, parent=unit, weight=60)
    service = make_goal("服务科目标", department=org.service, parent=unit, weight=40)
    mine = make_goal("个人目标", person=org.employee, parent=office, weight=100)
    add_kr(office, "会议保障", target=100, baseline=0, current=50)
    add_kr(service, "窗口满意率", target=100, baseline=80, current=90)
    kr = add_kr(mine, "按时办结率", target=100, baseline=0, current=80, weight=50)
    add_kr(mine, "差错", target=0, baseline=10, current=5, weight=50, direction=Direction.LOWER)
    return {"unit": unit, "office": office, "service": service, "mine": mine, "kr": kr}


def fresh(goal: Goal) -> Goal:
    return Goal.objects.get(pk=goal.pk)


def test_full_recompute_rolls_up_by_weight(tree):
    summary = progress.recompute_all()
    assert summary.goals == 4 and summary.key_results == 4
    mine = fresh(tree["mine"])
    assert mine.own_progress == pytest.approx((0.8 + 0.5) / 2)
    assert mine.progress == pytest.approx(0.65)
    office = fresh(tree["office"])  # AUTO: its own key result counts, not the person's goal
    assert office.progress == pytest.approx(0.5)
    service = fresh(tree["service"])
    assert service.progress == pytest.approx(0.5)
    unit = fresh(tree["unit"])  # no key results: the weighted mean of its aligned goals
    assert unit.own_progress is None
    assert unit.progress == pytest.approx(0.6 * 0.5 + 0.4 * 0.5)
    assert KeyResult.objects.get(pk=tree["kr"].pk).progress == pytest.approx(0.8)
    again = progress.recompute_all()
    assert again.goals_changed == 0 and again.key_results_changed == 0


def test_incremental_recompute_moves_the_chain_above(tree):
    progress.recompute_all()
    Goal.objects.filter(pk=tree["office"].pk).update(progress_mode=ProgressMode.BOTH)
    KeyResult.objects.filter(pk=tree["kr"].pk).update(current=Decimal(100))
    progress.recompute_goals([tree["mine"].pk, tree["office"].pk])
    mine = fresh(tree["mine"])
    assert mine.progress == pytest.approx((1.0 + 0.5) / 2)
    office = fresh(tree["office"])
    assert office.progress == pytest.approx((0.5 + 0.75) / 2)
    unit = fresh(tree["unit"])
    assert office.progress is not None
    assert unit.progress == pytest.approx(0.6 * office.progress + 0.4 * 0.5)
    incremental = {g.pk: g.progress for g in Goal.objects.all()}
    Goal.objects.update(progress=None, own_progress=None)
    progress.recompute_all()
    full = {g.pk: g.progress for g in Goal.objects.all()}
    assert incremental == pytest.approx(full)


def test_reported_progress_counts_when_nothing_is_measurable(org):
    goal = make_goal("调研报告", person=org.employee, reported_progress=0.4)
    progress.recompute_goals([goal.pk])
    assert fresh(goal).progress == pytest.approx(0.4)


def test_incremental_recompute_query_count_does_not_grow_with_the_tree(
    org, django_assert_max_num_queries
):
    unit = make_goal("全局目标", department=org.unit, level=GoalLevel.UNIT)
    office = make_goal("办公室目标", department=org.office, parent=unit)
    people = [
        make_goal(f"个人{i}", person=org.employee, parent=office, weight=1) for i in range(30)
    ]
    for g in people:
        add_kr(g, current=50)
    with django_assert_max_num_queries(16):
        progress.recompute_goals([g.pk for g in people])
    assert fresh(unit).progress == pytest.approx(0.5)


# ---------------------------------------------------------------- SMART


def test_smart_findings(org):
    goal = make_goal("做好工作", person=org.employee, weight=0, due_date=None)
    codes = {f.code for f in checks.smart_findings_for(goal)}
    assert codes == {"no_measure", "no_deadline", "zero_weight"}
    add_kr(goal, "没有目标值", target=None)
    codes = {f.code for f in checks.smart_findings_for(fresh(goal))}
    assert "no_target" in codes and "no_measure" in codes
    good = make_goal("按期办结", person=org.employee)
    add_kr(good, target=98)
    assert checks.smart_findings_for(good) == []


def test_a_department_goal_without_a_head_has_no_owner(org):
    no_head = make_goal("政务服务科目标", department=org.service)
    add_kr(no_head, target=1)
    assert [f.code for f in checks.smart_findings_for(no_head)] == ["no_owner"]
    headed = make_goal("办公室目标", department=org.office)
    add_kr(headed, target=1)
    assert checks.smart_findings_for(headed) == []
    many = checks.smart_findings_many([no_head, headed])
    assert [f.code for f in many[no_head.pk]] == ["no_owner"] and many[headed.pk] == []


def test_a_milestone_plan_makes_a_goal_measurable(org):
    from jixiao.goals.models import Milestone

    goal = make_goal("办公楼改造", department=org.office)
    item = WorkItem.objects.create(
        goal=goal,
        title="施工",
        planned_start=datetime.date(2026, 3, 1),
        planned_end=datetime.date(2026, 9, 30),
    )
    assert "no_measure" in {f.code for f in checks.smart_findings_for(goal)}
    Milestone.objects.create(
        work_item=item, title="完成招标", due_date=datetime.date(2026, 4, 1), share=20
    )
    assert "no_measure" not in {f.code for f in checks.smart_findings_for(goal)}


# ---------------------------------------------------------------- conflicts


@pytest.fixture
def supplies() -> Indicator:
    indicator = Indicator.objects.filter(is_latest=True).order_by("code").first()
    assert indicator is not None
    return indicator


def test_the_same_indicator_pushed_in_opposite_directions(org, supplies):
    a = make_goal("压减办公用品消耗", department=org.office, weight=50)
    b = make_goal("保障会议物资充足", department=org.office, weight=50)
    add_kr(a, indicator=supplies, direction=Direction.LOWER, target=100)
    add_kr(b, indicator=supplies, direction=Direction.HIGHER, target=80)
    krs = list(KeyResult.objects.select_related("indicator"))
    found = checks.indicator_conflicts([a, b], krs)
    assert [c.kind for c in found] == ["opposite_directions"]
    assert found[0].goal_ids == sorted([a.pk, b.pk])


def test_targets_that_cannot_both_be_met(org, supplies):
    a = make_goal("压减", person=org.employee, weight=50)
    b = make_goal("增加", person=org.employee, weight=50)
    add_kr(a, indicator=supplies, direction=Direction.LOWER, target=100)
    add_kr(b, indicator=supplies, direction=Direction.HIGHER, target=150)
    found = checks.indicator_conflicts([a, b], list(KeyResult.objects.select_related("indicator")))
    assert [c.kind for c in found] == ["infeasible_targets"]
    assert "150" in found[0].message and "100" in found[0].message


def test_no_conflict_for_the_same_direction_or_different_owners(org, supplies):
    a = make_goal("甲", person=org.employee, weight=50)
    b = make_goal("乙", person=org.employee, weight=50)
    c = make_goal("丙", person=org.peer, weight=100)
    add_kr(a, indicator=supplies, direction=Direction.HIGHER, target=100)
    add_kr(b, indicator=supplies, direction=Direction.HIGHER, target=150)
    add_kr(c, indicator=supplies, direction=Direction.LOWER, target=50)
    assert (
        checks.indicator_conflicts([a, b, c], list(KeyResult.objects.select_related("indicator")))
        == []
    )


def test_siblings_under_one_parent_are_checked_too(org, supplies):
    parent = make_goal("办公室目标", department=org.office)
    a = make_goal("甲", person=org.employee, parent=parent)
    b = make_goal("乙", person=org.peer, parent=parent)
    add_kr(a, indicator=supplies, direction=Direction.HIGHER, target=100)
    add_kr(b, indicator=supplies, direction=Direction.LOWER, target=50)
    found = checks.indicator_conflicts(
        [parent, a, b], list(KeyResult.objects.select_related("indicator"))
    )
    assert [c.kind for c in found] == ["infeasible_targets"]


def test_work_plans_over_the_department_budget(org):
    goal = make_goal("办公楼改造", department=org.office)
    start, end = datetime.date(2026, 3, 1), datetime.date(2026, 6, 30)
    WorkItem.objects.create(
        goal=goal, title="施工", planned_start=start, planned_end=end, budget=Decimal(800000)
    )
    WorkItem.objects.create(
        goal=goal, title="家具", planned_start=start, planned_end=end, budget=Decimal(300000)
    )
    assert checks.budget_conflicts([org.office.pk], 2026) == []
    DepartmentBudget.objects.create(department=org.office, year=2026, amount=Decimal(1000000))
    found = checks.budget_conflicts([org.office.pk], 2026)
    assert [c.kind for c in found] == ["over_budget"] and found[0].goal_ids == [goal.pk]
    DepartmentBudget.objects.filter(department=org.office).update(amount=Decimal(1100000))
    assert checks.budget_conflicts([org.office.pk], 2026) == []


def test_people_planned_beyond_their_working_days(org):
    goal = make_goal("调研", person=org.employee)
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)
    WorkItem.objects.create(
        goal=goal,
        title="调研",
        owner=org.employee,
        planned_start=start,
        planned_end=end,
        planned_days=Decimal(40),
    )
    WorkItem.objects.create(
        goal=goal,
        title="写报告",
        owner=org.employee,
        planned_start=datetime.date(2026, 2, 1),
        planned_end=end,
        planned_days=Decimal(25),
    )
    found = checks.capacity_conflicts(
        [org.employee.pk, org.peer.pk], start=start, end=end, available_days=58
    )
    assert [c.kind for c in found] == ["over_capacity"]
    assert "65" in found[0].message and "58" in found[0].message
    assert (
        checks.capacity_conflicts([org.employee.pk], start=start, end=end, available_days=65) == []
    )


def test_balance_of_capacity_building(org):
    make_goal("日常保障", department=org.office, weight=95)
    make_goal("数字化转型", department=org.office, weight=5, horizon=Horizon.CAPACITY)
    balance = checks.balances([org.office], "2026", org.unit.pk)[0]
    assert balance.share == Decimal("5.0") and not balance.ok
    PlanningPolicy.objects.create(unit=org.unit, min_capacity_share=Decimal(5))
    assert checks.balances([org.office], "2026", org.unit.pk)[0].ok


def test_strategy_coverage(org):
    carried = make_goal("政务服务便民", department=org.unit, level=GoalLevel.UNIT)
    nobody = make_goal("没人承接", department=org.unit, level=GoalLevel.UNIT)
    office = make_goal("办公室承接", department=org.office, parent=carried, weight=70)
    make_goal("办公室其他", department=org.office, weight=30)
    make_goal("个人承接", person=org.employee, parent=office)
    make_goal("个人承接2", person=org.peer, parent=office)
    coverage = checks.strategy_coverage(org.unit, 2026)
    rows = {r.goal.pk: r for r in coverage.rows}
    assert (rows[carried.pk].departments, rows[carried.pk].people) == (1, 2)
    assert not rows[nobody.pk].carried
    assert coverage.aligned_share[org.office.pk] == Decimal("70.0")


def test_acknowledging_a_conflict(org, supplies):
    from jixiao.core.actor import Actor
    from jixiao.core.errors import DomainError
    from jixiao.goals.strategy import conflict_acknowledge

    a = make_goal("压减", department=org.office, weight=50)
    b = make_goal("增加", department=org.office, weight=50)
    add_kr(a, indicator=supplies, direction=Direction.LOWER, target=100)
    add_kr(b, indicator=supplies, direction=Direction.HIGHER, target=150)
    conflict = checks.indicator_conflicts(
        [a, b], list(KeyResult.objects.select_related("indicator"))
    )[0]
    outsider = org.users["outsider"]
    with pytest.raises(Exception):  # noqa: B017 - 404 or 403, either refuses
        conflict_acknowledge(
            actor=Actor.for_user(outsider, source="web"),
            user=outsider,
            key=conflict.key,
            kind=conflict.kind,
            note="x",
            goal_ids=conflict.goal_ids,
        )
    head = org.users["head"]
    with pytest.raises(DomainError):
        conflict_acknowledge(
            actor=Actor.for_user(head, source="web"),
            user=head,
            key=conflict.key,
            kind=conflict.kind,
            note=" ",
            goal_ids=conflict.goal_ids,
        )
    conflict_acknowledge(
        actor=Actor.for_user(head, source="web"),
        user=head,
        key=conflict.key,
        kind=conflict.kind,
        note="上半年压减，下半年会议集中，全年总量受控",
        goal_ids=conflict.goal_ids,
    )
    again = checks.with_acknowledgements(
        checks.indicator_conflicts([a, b], list(KeyResult.objects.select_related("indicator")))
    )
    assert again[0].acknowledged is not None
    assert RoleGrant.objects.filter(role=Role.DEPARTMENT_HEAD).exists()
    assert fresh(a).status == GoalStatus.DRAFT
