"""Work plans: validation, compare-and-set, audit, permissions (planners, owners, readers,
outsiders), earned value on the pages and the API, timeline and budgets with query counts
that do not grow with the number of items."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.http import Http404
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from jixiao.goals import work_plans as wp
from jixiao.goals.models import (
    DepartmentBudget,
    GoalLevel,
    GoalStatus,
    Milestone,
    WorkItem,
    WorkItemStatus,
)
from jixiao.goals.work_plans import MilestoneData, WorkItemData
from tests.goals.factories import make_goal

TODAY = timezone.localdate()
YEAR = TODAY.year


def actor(user):
    return Actor.for_user(user, source="web")


def plan(**kw) -> WorkItemData:
    """A ten-day item around today: day 5 of 10 is today, so it is planned 50% done."""
    fields: dict[str, Any] = {
        "title": "办公楼改造",
        "kind": "project",
        "planned_start": TODAY - dt.timedelta(days=4),
        "planned_end": TODAY + dt.timedelta(days=5),
        "budget": Decimal(10_000),
    }
    fields.update(kw)
    return WorkItemData(**fields)


@pytest.fixture
def office_goal(org):
    return make_goal(
        "办公室年度重点工作",
        department=org.office,
        level=GoalLevel.DEPARTMENT,
        period=str(YEAR),
        status=GoalStatus.APPROVED,
    )


def create(org, goal, as_user="head", **kw) -> WorkItem:
    user = org.users[as_user]
    return wp.work_item_create(actor=actor(user), user=user, goal_id=goal.pk, data=plan(**kw))


def codes(err: pytest.ExceptionInfo[DomainError]) -> dict[str | None, str]:
    return {e.field: e.code for e in err.value.all_errors()}


# ---------------------------------------------------------------- validation


def test_validation_names_each_field(org, office_goal):
    user = org.users["head"]
    bad = plan(
        title=" ",
        planned_end=TODAY - dt.timedelta(days=10),
        percent_complete=101,
        budget=Decimal(-1),
        actual_cost=Decimal("1e13"),
        actual_start=TODAY + dt.timedelta(days=2),
        owner_id=org.outsider.pk,
    )
    with pytest.raises(DomainError) as err:
        wp.work_item_create(actor=actor(user), user=user, goal_id=office_goal.pk, data=bad)
    assert err.value.code == "validation_failed" and err.value.status == 400
    assert codes(err) == {
        "title": "required",
        "planned_end": "before_start",
        "percent_complete": "out_of_range",
        "budget": "negative",
        "actual_cost": "too_large",
        "actual_start": "in_future",
        "owner": "owner_outside",
    }
    with pytest.raises(DomainError) as err:
        wp.work_item_create(
            actor=actor(user),
            user=user,
            goal_id=office_goal.pk,
            data=plan(planned_start=dt.date(1999, 12, 31)),
        )
    assert codes(err) == {"planned_start": "out_of_range"}
    assert not WorkItem.objects.exists()


def test_owner_may_be_anyone_active_below_the_goals_department(org, office_goal):
    item = create(org, office_goal, owner_id=org.employee.pk)  # 文秘科 is under 办公室
    assert item.owner_id == org.employee.pk
    org.peer.is_active = False
    org.peer.save(update_fields=["is_active"])
    with pytest.raises(DomainError) as err:
        create(org, office_goal, owner_id=org.peer.pk)
    assert codes(err) == {"owner": "owner_outside"}


def test_status_follows_percent(org, office_goal):
    user = org.users["head"]
    item = create(org, office_goal, percent_complete=30)
    assert item.status == WorkItemStatus.IN_PROGRESS
    data = WorkItemData.of(item)
    data.percent_complete = 100
    item = wp.work_item_update(
        actor=actor(user), user=user, item_id=item.pk, expected_version=item.version, data=data
    )
    assert item.status == WorkItemStatus.DONE
    data = WorkItemData.of(item)
    data.percent_complete = 90  # lowering the percent of a done item reopens it
    item = wp.work_item_update(
        actor=actor(user), user=user, item_id=item.pk, expected_version=item.version, data=data
    )
    assert item.status == WorkItemStatus.IN_PROGRESS and item.percent_complete == 90


def test_milestone_shares_and_dates(org, office_goal):
    user = org.users["head"]
    item = create(org, office_goal)
    m = wp.milestone_add(
        actor=actor(user),
        user=user,
        item_id=item.pk,
        expected_version=item.version,
        data=MilestoneData("方案评审", TODAY, Decimal(60)),
    )
    item.refresh_from_db()
    assert item.version == 2 and m.share == Decimal("60.00")
    with pytest.raises(DomainError) as err:
        wp.milestone_add(
            actor=actor(user),
            user=user,
            item_id=item.pk,
            expected_version=item.version,
            data=MilestoneData("施工", TODAY, Decimal("40.01")),
        )
    assert codes(err) == {"share": "shares_over_100"}
    with pytest.raises(DomainError) as err:
        wp.milestone_add(
            actor=actor(user),
            user=user,
            item_id=item.pk,
            expected_version=item.version,
            data=MilestoneData("验收", item.planned_end + dt.timedelta(days=1), Decimal(10)),
        )
    assert codes(err) == {"due_date": "outside_plan"}
    # Re-planning the item may not leave a milestone outside it.
    data = WorkItemData.of(item)
    data.planned_start = TODAY + dt.timedelta(days=1)
    with pytest.raises(DomainError) as err:
        wp.work_item_update(
            actor=actor(user), user=user, item_id=item.pk, expected_version=item.version, data=data
        )
    assert codes(err) == {"planned_end": "milestones_outside"}


# ---------------------------------------------------------------- compare-and-set and audit


def test_concurrent_edits_conflict(org, office_goal):
    user = org.users["head"]
    item = create(org, office_goal)
    first = WorkItemData.of(item)
    first.title = "办公楼改造（一期）"
    second = WorkItemData.of(item)
    second.budget = Decimal(12_000)
    wp.work_item_update(
        actor=actor(user), user=user, item_id=item.pk, expected_version=1, data=first
    )
    with pytest.raises(DomainError) as err:
        wp.work_item_update(
            actor=actor(user), user=user, item_id=item.pk, expected_version=1, data=second
        )
    assert err.value.code == "concurrent_edit" and err.value.status == 409
    item.refresh_from_db()
    assert (
        item.title == "办公楼改造（一期）" and item.budget == Decimal(10_000) and item.version == 2
    )
    # A milestone change moves the item's version too: a stale milestone write conflicts.
    with pytest.raises(DomainError) as err:
        wp.milestone_add(
            actor=actor(user),
            user=user,
            item_id=item.pk,
            expected_version=1,
            data=MilestoneData("验收", TODAY, Decimal(10)),
        )
    assert err.value.status == 409 and not Milestone.objects.exists()
    with pytest.raises(DomainError) as err:
        wp.work_item_delete(actor=actor(user), user=user, item_id=item.pk, expected_version=1)
    assert err.value.status == 409 and WorkItem.objects.filter(pk=item.pk).exists()


def test_page_answers_409_on_a_stale_version(org, office_goal, client_for):
    item = create(org, office_goal)
    c = client_for("head")
    form = {
        "kind": "project",
        "title": "改名",
        "planned_start": item.planned_start.isoformat(),
        "planned_end": item.planned_end.isoformat(),
        "budget": "10000",
        "status": "not_started",
        "percent_complete": "0",
        "version": "1",
    }
    assert c.post(f"/goals/work/items/{item.pk}/edit/", form).status_code == 302
    response = c.post(f"/goals/work/items/{item.pk}/edit/", {**form, "title": "再改"})
    assert response.status_code == 409
    item.refresh_from_db()
    assert item.title == "改名"


def test_every_write_is_audited_in_the_goals_subtree(org, office_goal):
    user = org.users["head"]
    item = create(org, office_goal)
    data = WorkItemData.of(item)
    data.percent_complete = 20
    item = wp.work_item_update(
        actor=actor(user),
        user=user,
        item_id=item.pk,
        expected_version=1,
        data=data,
        reason="周报",
    )
    m = wp.milestone_add(
        actor=actor(user),
        user=user,
        item_id=item.pk,
        expected_version=item.version,
        data=MilestoneData("方案评审", TODAY, Decimal(50)),
    )
    wp.milestone_complete(
        actor=actor(user), user=user, milestone_id=m.pk, expected_version=item.version + 1
    )
    wp.milestone_remove(
        actor=actor(user), user=user, milestone_id=m.pk, expected_version=item.version + 2
    )
    wp.work_item_delete(
        actor=actor(user), user=user, item_id=item.pk, expected_version=item.version + 3
    )
    records = list(
        AuditRecord.objects.filter(object_type="goals.workitem", object_id=str(item.pk)).order_by(
            "id"
        )
    )
    assert [r.action for r in records] == [
        "goals.work_item.create",
        "goals.work_item.update",
        "goals.milestone.add",
        "goals.milestone.complete",
        "goals.milestone.remove",
        "goals.work_item.delete",
    ]
    assert all(r.scope_path == org.office.path for r in records)
    assert all(r.actor_id == user.pk for r in records)
    update = records[1]
    assert update.changes["percent_complete"] == [0, 20]
    assert update.changes["status"] == ["not_started", "in_progress"]
    assert update.reason == "周报"
    assert records[3].changes["milestone"][1]["done_on"] == TODAY.isoformat()
    assert records[5].changes["title"] == ["办公楼改造", None]


# ---------------------------------------------------------------- permissions


def test_who_plans_and_who_reports(org, office_goal):
    item = create(org, office_goal, owner_id=org.peer.pk)
    # A reader (the auditor) and a non-owner of the department (employee) may not plan.
    for persona in ("auditor", "employee"):
        user = org.users[persona]
        with pytest.raises(DomainError) as err:
            wp.work_item_create(actor=actor(user), user=user, goal_id=office_goal.pk, data=plan())
        assert err.value.status == 403
    # The outsider does not even see the goal.
    with pytest.raises(Http404):
        wp.work_item_create(
            actor=actor(org.users["outsider"]),
            user=org.users["outsider"],
            goal_id=office_goal.pk,
            data=plan(),
        )
    # The owner reports progress...
    peer = org.users["peer"]
    data = WorkItemData.of(item)
    data.percent_complete = 40
    data.actual_start = TODAY - dt.timedelta(days=3)
    data.actual_cost = Decimal(4_500)
    item = wp.work_item_update(
        actor=actor(peer), user=peer, item_id=item.pk, expected_version=item.version, data=data
    )
    assert item.percent_complete == 40 and item.version == 2
    # ...but does not re-plan, cancel or delete it.
    for change in (
        {"planned_end": item.planned_end + dt.timedelta(days=9)},
        {"budget": Decimal(20_000)},
        {"status": WorkItemStatus.CANCELLED},
    ):
        data = WorkItemData.of(item)
        for k, v in change.items():
            setattr(data, k, v)
        with pytest.raises(DomainError) as err:
            wp.work_item_update(
                actor=actor(peer), user=peer, item_id=item.pk, expected_version=2, data=data
            )
        assert err.value.code == "forbidden" and err.value.status == 403
    with pytest.raises(DomainError) as err:
        wp.work_item_delete(actor=actor(peer), user=peer, item_id=item.pk, expected_version=2)
    assert err.value.status == 403
    # The owner marks milestones done, but does not add them.
    head = org.users["head"]
    m = wp.milestone_add(
        actor=actor(head),
        user=head,
        item_id=item.pk,
        expected_version=2,
        data=MilestoneData("方案评审", TODAY, Decimal(50)),
    )
    done = wp.milestone_complete(
        actor=actor(peer), user=peer, milestone_id=m.pk, expected_version=3
    )
    assert done.done_on == TODAY
    with pytest.raises(DomainError) as err:
        wp.milestone_add(
            actor=actor(peer),
            user=peer,
            item_id=item.pk,
            expected_version=4,
            data=MilestoneData("验收", TODAY, Decimal(10)),
        )
    assert err.value.status == 403


def test_personal_goal_plans_belong_to_the_person_and_their_superior(org):
    goal = make_goal("整理档案", person=org.employee, period=str(YEAR))
    mine = create(org, goal, as_user="employee")
    theirs = create(org, goal, as_user="head", title="复核")
    assert {mine.goal_id, theirs.goal_id} == {goal.pk}
    with pytest.raises(Http404):
        create(org, goal, as_user="peer")


def test_closed_goals_keep_their_plans(org, office_goal):
    item = create(org, office_goal)
    office_goal.status = GoalStatus.CLOSED
    office_goal.outcome = "achieved"
    office_goal.save(update_fields=["status", "outcome"])
    user = org.users["head"]
    with pytest.raises(DomainError) as err:
        create(org, office_goal)
    assert err.value.code == "goal_closed" and err.value.status == 409
    with pytest.raises(DomainError) as err:
        wp.work_item_update(
            actor=actor(user),
            user=user,
            item_id=item.pk,
            expected_version=1,
            data=WorkItemData.of(item),
        )
    assert err.value.code == "goal_closed"
    with pytest.raises(DomainError) as err:
        wp.work_item_update(
            actor=actor(org.users["auditor"]),
            user=org.users["auditor"],
            item_id=item.pk,
            expected_version=1,
            data=WorkItemData.of(item),
        )
    assert err.value.status == 403


def test_page_permissions(org, office_goal, client_for):
    item = create(org, office_goal, owner_id=org.peer.pk)
    plan_url = f"/goals/{office_goal.pk}/work/"
    new_url = f"/goals/{office_goal.pk}/work/new/"
    edit_url = f"/goals/work/items/{item.pk}/edit/"
    progress_url = f"/goals/work/items/{item.pk}/progress/"
    assert client_for("outsider").get(plan_url).status_code == 404
    assert client_for("outsider").get(f"/goals/work/items/{item.pk}/").status_code == 404
    for persona in ("auditor", "employee"):
        c = client_for(persona)
        assert c.get(plan_url).status_code == 200
        assert c.get(new_url).status_code == 403
        assert c.get(edit_url).status_code == 403
        assert (
            c.post(
                progress_url, {"percent_complete": "50", "status": "in_progress", "version": "1"}
            ).status_code
            == 403
        )
    head = client_for("head")
    assert head.get(plan_url).status_code == 200
    assert head.get(new_url).status_code == 200
    assert head.get(edit_url).status_code == 200
    response = head.post(
        new_url,
        {
            "kind": "task",
            "title": "采购家具",
            "planned_start": TODAY.isoformat(),
            "planned_end": (TODAY + dt.timedelta(days=30)).isoformat(),
            "status": "not_started",
            "percent_complete": "0",
            "budget": "5000",
        },
    )
    assert response.status_code == 302
    assert WorkItem.objects.filter(title="采购家具", goal=office_goal).exists()
    # The owner (peer, who cannot see the department goal's plan page otherwise) reports.
    peer = client_for("peer")
    assert peer.get(f"/goals/work/items/{item.pk}/").status_code == 200
    assert peer.get(edit_url).status_code == 403
    response = peer.post(
        progress_url,
        {
            "percent_complete": "40",
            "status": "in_progress",
            "actual_start": (TODAY - dt.timedelta(days=3)).isoformat(),
            "actual_cost": "4500",
            "version": "1",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.percent_complete == 40 and item.actual_cost == Decimal(4500)
    # Errors come back on the field.
    response = peer.post(
        progress_url, {"percent_complete": "140", "status": "in_progress", "version": "2"}
    )
    assert response.status_code == 200
    assert 'data-field-error="percent_complete"' in response.content.decode()


# ---------------------------------------------------------------- earned value on the pages


def seeded_project(org, goal):
    """BAC 10,000, day 5 of 10, 40% done, 4,500 spent: SPI 0.80, CPI 0.89."""
    return create(
        org,
        goal,
        owner_id=org.employee.pk,
        percent_complete=40,
        actual_start=TODAY - dt.timedelta(days=4),
        actual_cost=Decimal(4_500),
    )


def test_spi_and_cpi_of_a_seeded_project(org, office_goal, client_for):
    item = seeded_project(org, office_goal)
    page = client_for("head").get(f"/goals/{office_goal.pk}/work/").content.decode()
    assert f'data-item="{item.pk}"' in page
    assert 'data-spi="0.80"' in page and 'data-cpi="0.89"' in page
    assert 'data-planned="50.0"' in page and 'data-actual="40.0"' in page
    assert 'data-flag="over_budget"' in page and 'data-flag="overdue"' not in page
    chart = json.loads(
        page.split('id="work-timeline-data" type="application/json">')[1].split("</script>")[0]
    )
    assert chart["items"][0]["spi"] == 0.8 and chart["items"][0]["cpi"] == 0.89
    detail = client_for("employee").get(f"/goals/work/items/{item.pk}/").content.decode()
    assert 'data-spi="0.80"' in detail and 'data-cpi="0.89"' in detail
    assert 'id="progress-form"' in detail and 'id="edit-work-item"' not in detail
    # The goal page's partial.
    plan_ = wp.goal_work_items_for_display(office_goal)
    html = render_to_string(
        "goals/_work_plan.html",
        {"goal": office_goal, "work_items": plan_, "can_edit_work": True},
    )
    assert 'data-total="spi">0.80' in html and 'data-total="cpi">0.89' in html
    assert f"/goals/{office_goal.pk}/work/" in html


def test_overdue_items_are_flagged(org, office_goal):
    create(
        org,
        office_goal,
        title="逾期",
        planned_start=TODAY - dt.timedelta(days=20),
        planned_end=TODAY - dt.timedelta(days=1),
        percent_complete=60,
    )
    create(
        org,
        office_goal,
        title="已完成",
        planned_start=TODAY - dt.timedelta(days=20),
        planned_end=TODAY - dt.timedelta(days=1),
        percent_complete=100,
    )
    plan_ = wp.goal_work_plan(office_goal)
    flags = {r.item.title: r.overdue for r in plan_}
    assert flags == {"逾期": True, "已完成": False}
    assert plan_.total.overdue == 1 and plan_.total.items == 2


def _many_items(org, goals, n):
    people = [org.employee, org.peer, org.head]
    for k in range(n):
        goal = goals[k % len(goals)]
        owner = goal.person or people[k % 3]
        item = WorkItem.objects.create(
            goal=goal,
            title=f"事项{k}",
            owner=owner,
            planned_start=dt.date(YEAR, 1, 1) + dt.timedelta(days=k),
            planned_end=dt.date(YEAR, 6, 30),
            budget=Decimal(1000 + k),
            percent_complete=k % 100,
            actual_cost=Decimal(500),
        )
        Milestone.objects.create(
            work_item=item, title="中期", due_date=dt.date(YEAR, 3, 31), share=Decimal(50)
        )


def _queries(client, url) -> int:
    client.get(url)  # warm caches (sessions, scope) out of the count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_timeline_and_budgets_query_counts_do_not_grow(org, office_goal, client_for):
    personal = make_goal("个人工作", person=org.head, period=str(YEAR))
    goals = [office_goal, personal]
    c = client_for("perfadmin")
    timeline = f"/goals/work/department/{org.office.pk}/?year={YEAR}"
    budgets = f"/goals/work/budgets/?year={YEAR}"
    plan_page = f"/goals/{office_goal.pk}/work/"
    _many_items(org, goals, 2)
    DepartmentBudget.objects.create(department=org.office, year=YEAR, amount=Decimal(5000))
    few = (_queries(c, timeline), _queries(c, budgets), _queries(c, plan_page))
    _many_items(org, goals, 20)
    DepartmentBudget.objects.create(department=org.service, year=YEAR, amount=Decimal(1))
    many = (_queries(c, timeline), _queries(c, budgets), _queries(c, plan_page))
    assert many == few
    page = c.get(timeline).content.decode()
    assert page.count('data-item="') == 22
    assert "work-timeline-data" in page and 'id="work-items"' in page


def test_timeline_shows_only_what_the_viewer_sees(org, office_goal, client_for):
    create(org, office_goal, title="部门事项")
    secret = make_goal("同事个人目标", person=org.peer, period=str(YEAR))
    WorkItem.objects.create(goal=secret, title="同事事项", planned_start=TODAY, planned_end=TODAY)
    own = make_goal("本人目标", person=org.employee, period=str(YEAR))
    WorkItem.objects.create(goal=own, title="本人事项", planned_start=TODAY, planned_end=TODAY)
    url = f"/goals/work/department/{org.secretariat.pk}/?year={YEAR}"
    page = client_for("employee").get(url).content.decode()
    assert "本人事项" in page and "同事事项" not in page
    head = client_for("head").get(url).content.decode()
    assert "本人事项" in head and "同事事项" in head and "部门事项" not in head
    with_sub = (
        client_for("head")
        .get(f"/goals/work/department/{org.office.pk}/?year={YEAR}&sub=1")
        .content.decode()
    )
    assert all(t in with_sub for t in ("本人事项", "同事事项", "部门事项"))
    assert client_for("outsider").get(url).status_code == 404


# ---------------------------------------------------------------- budgets


def test_budget_rights_and_compare_and_set(org, office_goal, client_for):
    perfadmin, head = org.users["perfadmin"], org.users["head"]
    budget = wp.department_budget_set(
        actor=actor(perfadmin),
        user=perfadmin,
        department_id=org.office.pk,
        year=YEAR,
        amount=Decimal(8000),
        note="年初批复",
    )
    assert budget.version == 1
    record = AuditRecord.objects.get(action="goals.department_budget.set")
    assert record.scope_path == org.office.path and record.changes["amount"] == [None, "8000.00"]
    # The head of 办公室 sets its sections' budgets, not its own.
    with pytest.raises(DomainError) as err:
        wp.department_budget_set(
            actor=actor(head),
            user=head,
            department_id=org.office.pk,
            year=YEAR,
            amount=Decimal(9000),
            expected_version=1,
        )
    assert err.value.status == 403
    wp.department_budget_set(
        actor=actor(head),
        user=head,
        department_id=org.secretariat.pk,
        year=YEAR,
        amount=Decimal(1000),
    )
    with pytest.raises(Http404):
        wp.department_budget_set(
            actor=actor(head),
            user=head,
            department_id=org.service.pk,
            year=YEAR,
            amount=Decimal(1000),
        )
    # Two editors who both read version 1: the second one conflicts.
    wp.department_budget_set(
        actor=actor(perfadmin),
        user=perfadmin,
        department_id=org.office.pk,
        year=YEAR,
        amount=Decimal(9000),
        expected_version=1,
    )
    with pytest.raises(DomainError) as err:
        wp.department_budget_set(
            actor=actor(perfadmin),
            user=perfadmin,
            department_id=org.office.pk,
            year=YEAR,
            amount=Decimal(7000),
            expected_version=1,
        )
    assert err.value.status == 409
    with pytest.raises(DomainError) as err:  # "there was none" while someone created one
        wp.department_budget_set(
            actor=actor(perfadmin),
            user=perfadmin,
            department_id=org.office.pk,
            year=YEAR,
            amount=Decimal(7000),
            expected_version=0,
        )
    assert err.value.status == 409
    with pytest.raises(DomainError) as err:
        wp.department_budget_set(
            actor=actor(perfadmin),
            user=perfadmin,
            department_id=org.office.pk,
            year=YEAR,
            amount=Decimal(-5),
            expected_version=2,
        )
    assert codes(err) == {"amount": "negative"}
    assert DepartmentBudget.objects.get(department=org.office, year=YEAR).amount == 9000


def test_budgets_page(org, office_goal, client_for):
    create(org, office_goal, budget=Decimal(6000), actual_cost=Decimal(100))
    create(org, office_goal, budget=Decimal(5000), status=WorkItemStatus.CANCELLED)
    DepartmentBudget.objects.create(department=org.office, year=YEAR, amount=Decimal(5000))
    page = client_for("perfadmin").get(f"/goals/work/budgets/?year={YEAR}").content.decode()
    row = page.split(f'data-department="{org.office.pk}"')[1].split("</tr>")[0]
    assert 'data-flag="over_budget"' in row  # 6,000 planned of 5,000; the cancelled one is out
    assert "6000.00" in row and "5000.00" in row and "100.00" in row
    assert f"/goals/work/budgets/{org.office.pk}/{YEAR}/" in row
    head_page = client_for("head").get(f"/goals/work/budgets/?year={YEAR}").content.decode()
    head_row = head_page.split(f'data-department="{org.office.pk}"')[1].split("</tr>")[0]
    assert "data-edit-budget" not in head_row
    assert f'data-department="{org.service.pk}"' not in head_page
    assert client_for("employee").get("/goals/work/budgets/").status_code == 403
    assert client_for("head").get(f"/goals/work/budgets/{org.office.pk}/{YEAR}/").status_code == 403
    c = client_for("perfadmin")
    url = f"/goals/work/budgets/{org.office.pk}/{YEAR}/"
    assert c.get(url).status_code == 200
    assert c.post(url, {"amount": "7000", "note": "追加", "version": "1"}).status_code == 302
    assert c.post(url, {"amount": "7500", "version": "1"}).status_code == 409


# ---------------------------------------------------------------- API


def api(client, method, url, body=None):
    kwargs = {"content_type": "application/json"}
    if body is not None:
        kwargs["data"] = json.dumps(body, default=str)
    return getattr(client, method.lower())(url, **kwargs)


def test_api_work_items(org, office_goal, client_for):
    head, peer = client_for("head"), client_for("peer")
    url = f"/api/goals/{office_goal.pk}/work-items"
    body = {
        "kind": "project",
        "title": "档案室改造",
        "owner_id": org.peer.pk,
        "planned_start": (TODAY - dt.timedelta(days=4)).isoformat(),
        "planned_end": (TODAY + dt.timedelta(days=5)).isoformat(),
        "budget": 10000,
    }
    created = api(head, "POST", url, body)
    assert created.status_code == 201, created.content
    item = created.json()
    assert item["version"] == 1 and item["planned_percent"] == 50.0 and item["pv"] == 5000
    assert api(client_for("auditor"), "POST", url, body).status_code == 403
    assert api(client_for("outsider"), "GET", url).status_code == 404
    bad = api(head, "POST", url, {**body, "planned_end": "2000-01-01"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "planned_end"
    # The owner reports progress; SPI and CPI come back.
    item_url = f"/api/goals/work-items/{item['id']}"
    progress = api(
        peer,
        "PATCH",
        item_url,
        {
            "version": 1,
            "percent_complete": 40,
            "actual_cost": 4500,
            "actual_start": (TODAY - dt.timedelta(days=4)).isoformat(),
        },
    )
    assert progress.status_code == 200, progress.content
    got = progress.json()
    assert got["spi"] == pytest.approx(0.8) and got["cpi"] == pytest.approx(0.8889, abs=1e-4)
    assert got["status"] == "in_progress" and got["over_budget"] is True
    refused = api(peer, "PATCH", item_url, {"version": 2, "budget": 20000})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    stale = api(head, "PATCH", item_url, {"version": 1, "title": "新名"})
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    # Milestones travel with the item's version.
    ms = api(
        head,
        "POST",
        f"{item_url}/milestones",
        {"version": 2, "title": "方案评审", "due_date": TODAY.isoformat(), "share": 50},
    )
    assert ms.status_code == 201 and ms.json()["version"] == 3
    assert ms.json()["planned_percent"] == 50.0
    mid = ms.json()["milestones"][0]["id"]
    done = api(peer, "POST", f"/api/goals/milestones/{mid}/complete", {"version": 3})
    assert done.status_code == 200 and done.json()["milestones"][0]["done_on"] == TODAY.isoformat()
    patched = api(head, "PATCH", f"/api/goals/milestones/{mid}", {"version": 4, "share": 30})
    assert patched.status_code == 200 and patched.json()["milestones"][0]["share"] == 30
    removed = api(head, "DELETE", f"/api/goals/milestones/{mid}?version=5")
    assert removed.status_code == 200 and removed.json()["milestones"] == []
    listing = api(client_for("employee"), "GET", url)
    assert listing.status_code == 200
    assert listing.json()["can_edit"] is False and listing.json()["totals"]["items"] == 1
    assert api(peer, "DELETE", f"{item_url}?version=6").status_code == 403
    assert api(head, "DELETE", f"{item_url}?version=6").status_code == 204
    assert not WorkItem.objects.exists()


def test_api_budgets(org, office_goal, client_for):
    c = client_for("perfadmin")
    put = api(
        c,
        "PUT",
        f"/api/goals/work/budgets/{org.office.pk}/{YEAR}",
        {"amount": 5000, "note": "批复", "version": 0},
    )
    assert put.status_code == 200 and put.json()["version"] == 1
    stale = api(
        c, "PUT", f"/api/goals/work/budgets/{org.office.pk}/{YEAR}", {"amount": 6000, "version": 0}
    )
    assert stale.status_code == 409
    listing = api(c, "GET", f"/api/goals/work/budgets?year={YEAR}").json()
    office = next(i for i in listing["items"] if i["department"]["id"] == org.office.pk)
    assert office["amount"] == 5000 and office["can_edit"] is True
    assert api(client_for("employee"), "GET", "/api/goals/work/budgets").status_code == 403
    assert (
        api(
            client_for("head"),
            "PUT",
            f"/api/goals/work/budgets/{org.office.pk}/{YEAR}",
            {"amount": 1, "version": 1},
        ).status_code
        == 403
    )
    assert (
        api(
            client_for("head"),
            "PUT",
            f"/api/goals/work/budgets/{org.service.pk}/{YEAR}",
            {"amount": 1, "version": 0},
        ).status_code
        == 404
    )


def test_budget_conflict_check_and_page_agree(org, office_goal):
    """The planning check counts the same items as the budgets page."""
    from jixiao.goals.checks import budget_conflicts

    create(org, office_goal, budget=Decimal(6000))
    create(org, office_goal, budget=Decimal(9000), status=WorkItemStatus.CANCELLED)
    DepartmentBudget.objects.create(department=org.office, year=YEAR, amount=Decimal(5000))
    rows = wp.department_budget_rows(org.users["perfadmin"], [org.office], YEAR)
    assert rows[0].planned == Decimal(6000) and rows[0].over
    assert [c.kind for c in budget_conflicts([org.office.pk], YEAR)] == ["over_budget"]


def test_goal_page_shows_the_work_plan_partial(org, office_goal, client_for):
    seeded_project(org, office_goal)
    page = client_for("head").get(f"/goals/{office_goal.pk}/").content.decode()
    assert 'id="goal-work-plan"' in page and 'data-total="spi">0.80' in page
    assert f'href="/goals/{office_goal.pk}/work/new/"' in page
    reader = client_for("auditor").get(f"/goals/{office_goal.pk}/").content.decode()
    assert 'id="goal-work-plan"' in reader and f"/goals/{office_goal.pk}/work/new/" not in reader


def test_api_operations_are_documented(org):
    from django.test import Client

    paths = Client().get("/api/openapi.json").json()["paths"]
    assert {
        "/api/goals/{goal_id}/work-items": {"get", "post"},
        "/api/goals/work-items/{item_id}": {"get", "patch", "delete"},
        "/api/goals/work-items/{item_id}/milestones": {"post"},
        "/api/goals/milestones/{milestone_id}": {"patch", "delete"},
        "/api/goals/milestones/{milestone_id}/complete": {"post"},
        "/api/goals/work/budgets": {"get"},
        "/api/goals/work/budgets/{department_id}/{year}": {"put"},
    }.items() <= {p: set(ops) for p, ops in paths.items()}.items()
