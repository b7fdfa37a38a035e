"""KPI items computed from goals count only the goals whose targets were agreed: a draft,
submitted or returned goal is still its owner's proposal, whatever progress it reports."""

from __future__ import annotations

import datetime

import pytest

from jixiao.appraisals import scoring
from jixiao.appraisals.models import Appraisal, KpiScore
from jixiao.goals.models import Goal, GoalLevel, GoalOutcome, GoalStatus
from jixiao.goals.periods import PeriodKind


def personal_goal(person, title: str, status: str, weight: int, progress: float) -> Goal:
    return Goal.objects.create(
        level=GoalLevel.PERSON,
        department=person.department,
        person=person,
        period="2026",
        period_kind=PeriodKind.YEAR,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        title=title,
        weight=weight,
        status=status,
        outcome=GoalOutcome.PARTIAL if status == GoalStatus.CLOSED else "",
        progress=progress,
    )


def goals_score(cycle, person) -> float | None:
    appraisal = Appraisal.objects.get(cycle=cycle, person=person)
    return KpiScore.objects.get(appraisal=appraisal, item__code="goals").computed


@pytest.mark.parametrize("status", [GoalStatus.DRAFT, GoalStatus.SUBMITTED, GoalStatus.RETURNED])
def test_a_goal_not_yet_agreed_does_not_count(org, cycle, status):
    personal_goal(org.employee, "已批准的目标", GoalStatus.APPROVED, 50, 0.6)
    personal_goal(org.employee, "尚未确认的目标", status, 50, 1.0)
    scoring.recompute_cycle(cycle.pk)
    assert goals_score(cycle, org.employee) == pytest.approx(60.0)


def test_approved_locked_and_closed_goals_count_by_weight(org, cycle):
    personal_goal(org.employee, "批准", GoalStatus.APPROVED, 20, 1.0)
    personal_goal(org.employee, "锁定", GoalStatus.LOCKED, 30, 0.5)
    personal_goal(org.employee, "关闭", GoalStatus.CLOSED, 50, 0.8)
    scoring.recompute_cycle(cycle.pk)
    # (20 × 1.0 + 30 × 0.5 + 50 × 0.8) / 100 = 0.75 of the item's 100 points
    assert goals_score(cycle, org.employee) == pytest.approx(75.0)


def test_only_proposals_leave_the_item_without_a_score(org, cycle):
    personal_goal(org.peer, "草稿", GoalStatus.DRAFT, 100, 0.9)
    scoring.recompute_cycle(cycle.pk)
    assert goals_score(cycle, org.peer) is None
