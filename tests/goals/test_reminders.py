"""Check-in reminders: which goals are due, who is told, and that telling is idempotent."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jixiao.core.actor import Actor
from jixiao.core.models import Notification
from jixiao.goals import checkins
from jixiao.goals.models import CheckInCadence, Goal, GoalLevel, GoalStatus
from jixiao.goals.reminders import checkin_reminders_send, checkins_due, checkins_due_for
from jixiao.goals.tasks import send_checkin_reminders
from jixiao.org.models import Role
from tests import factories as f
from tests.conftest import Org
from tests.goals.factories import make_goal

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def days_ago(n: int) -> datetime.datetime:
    return at(TODAY - datetime.timedelta(days=n))


def goal(org: Org, title: str, *, approved_days_ago: int = 40, **kw) -> Goal:
    kw.setdefault("person", org.employee)
    kw.setdefault("status", GoalStatus.APPROVED)
    kw.setdefault("checkin_cadence", CheckInCadence.MONTHLY)
    g = make_goal(title, **kw)
    Goal.objects.filter(pk=g.pk).update(approved_at=days_ago(approved_days_ago))
    g.refresh_from_db()
    return g


def due_ids(today: datetime.date = TODAY) -> set[int]:
    return {d.goal_id for d in checkins_due(today)}


def test_due_and_not_due(org) -> None:
    due = goal(org, "月度：批准40天未填报")
    weekly = goal(
        org, "每周：8天前批准", checkin_cadence=CheckInCadence.WEEKLY, approved_days_ago=8
    )
    locked = goal(org, "已锁定", status=GoalStatus.LOCKED)
    recent = goal(org, "月度：刚批准", approved_days_ago=3)
    no_cadence = goal(org, "不定期", checkin_cadence=CheckInCadence.NONE)
    draft = goal(org, "草稿", status=GoalStatus.DRAFT)
    submitted = goal(org, "待审批", status=GoalStatus.SUBMITTED)
    closed = goal(org, "已关闭", status=GoalStatus.CLOSED, outcome="achieved")
    future = goal(org, "下半年", period="2026-H2")
    checked = goal(org, "10天前填报过")
    Goal.objects.filter(pk=checked.pk).update(last_checkin_at=days_ago(10))
    stale = goal(org, "35天前填报过", approved_days_ago=100)
    Goal.objects.filter(pk=stale.pk).update(last_checkin_at=days_ago(35))

    found = due_ids()
    assert due.pk in found and weekly.pk in found and locked.pk in found and stale.pk in found
    for g in (recent, no_cadence, draft, submitted, closed, future, checked):
        assert g.pk not in found, g.title


def test_the_due_date_is_the_last_check_in_plus_the_cadence(org) -> None:
    weekly = goal(org, "每周", checkin_cadence=CheckInCadence.WEEKLY, approved_days_ago=30)
    Goal.objects.filter(pk=weekly.pk).update(last_checkin_at=days_ago(7))
    assert weekly.pk in due_ids()  # exactly one cadence old: due today
    assert weekly.pk not in due_ids(TODAY - datetime.timedelta(days=1))
    (row,) = checkins_due(TODAY)
    assert row.due_on == TODAY and not row.is_first
    assert row.key == f"goals.checkin_due:{weekly.pk}:{TODAY.isoformat()}"


def test_the_selector_is_one_query_whatever_the_number_of_goals(org) -> None:
    for i in range(25):
        goal(org, f"目标{i}")
    with CaptureQueriesContext(connection) as ctx:
        rows = checkins_due(TODAY)
    assert len(rows) == 25
    assert len(ctx.captured_queries) == 1


def test_reminders_go_to_the_person_or_the_heads_and_only_once(org) -> None:
    personal = goal(org, "个人目标")
    department = goal(
        org, "办公室目标", person=None, department=org.office, level=GoalLevel.DEPARTMENT
    )
    unit = goal(org, "局目标", person=None, department=org.unit, level=GoalLevel.UNIT)
    second_head = f.make_user("deputy")
    f.grant(second_head, Role.DEPARTMENT_HEAD, org.office)

    created = checkin_reminders_send(today=TODAY)
    assert created == 4
    by_user = {
        (n.user.username, n.key.split(":")[1]) for n in Notification.objects.select_related("user")
    }
    assert by_user == {
        ("employee", str(personal.pk)),
        ("head", str(department.pk)),
        ("deputy", str(department.pk)),
        ("leader", str(unit.pk)),
    }
    n = Notification.objects.get(user=org.users["employee"])
    assert n.url == f"/goals/{personal.pk}/checkins/new/"
    assert "个人目标" in n.title

    # Running again (the task is queued daily) sends nothing new.
    assert checkin_reminders_send(today=TODAY) == 0
    assert send_checkin_reminders.call(TODAY.isoformat()) == 0
    assert checkin_reminders_send(today=TODAY + datetime.timedelta(days=1)) == 0
    assert Notification.objects.count() == 4


def test_a_new_check_in_starts_a_new_due_date(org) -> None:
    g = goal(org, "个人目标", checkin_cadence=CheckInCadence.WEEKLY, approved_days_ago=30)
    assert checkin_reminders_send(today=TODAY) == 1
    checkins.checkin_create(
        actor=Actor.for_user(org.users["employee"], source="web"),
        user=org.users["employee"],
        goal_id=g.pk,
        data=checkins.CheckInData(confidence=6),
    )
    Goal.objects.filter(pk=g.pk).update(last_checkin_at=days_ago(8))
    assert checkin_reminders_send(today=TODAY) == 1
    assert Notification.objects.filter(user=org.users["employee"]).count() == 2


def test_a_person_without_an_account_is_skipped(org) -> None:
    nobody = f.make_person("无账号", org.secretariat, employee_no="A0999")
    goal(org, "无人提醒", person=nobody)
    assert checkin_reminders_send(today=TODAY) == 0


def test_due_check_ins_of_a_user(org) -> None:
    mine = goal(org, "我的目标")
    office = goal(org, "办公室目标", person=None, department=org.office, level=GoalLevel.DEPARTMENT)
    goal(org, "别人的目标", person=org.peer)
    assert [d.goal_id for d in checkins_due_for(org.users["employee"], TODAY)] == [mine.pk]
    assert [d.goal_id for d in checkins_due_for(org.users["head"], TODAY)] == [office.pk]
    assert checkins_due_for(org.users["outsider"], TODAY) == []


def test_the_management_command(org) -> None:
    goal(org, "个人目标")
    out = StringIO()
    call_command("send_checkin_reminders", "--date", TODAY.isoformat(), stdout=out)
    assert "1" in out.getvalue()
    call_command("send_checkin_reminders", "--date", TODAY.isoformat(), stdout=out)
    assert Notification.objects.count() == 1


def test_notifications_page_and_mark_read(org, client_for) -> None:
    g = goal(org, "个人目标")
    checkin_reminders_send(today=TODAY)
    client = client_for("employee")
    page = client.get("/notifications/").content.decode()
    assert "个人目标" in page
    home = client.get("/goals/one-on-ones/").content.decode()
    assert 'id="notifications-count">1<' in home
    n = Notification.objects.get()
    response = client.post("/notifications/read/", {"id": n.pk, "follow": "1"})
    assert response.status_code == 302 and response["Location"] == f"/goals/{g.pk}/checkins/new/"
    n.refresh_from_db()
    assert n.read_at is not None
    # Nobody else's notifications can be read or marked.
    other = Notification.objects.create(user=org.users["peer"], key="x", title="别人的")
    client.post("/notifications/read/", {"all": "1"})
    other.refresh_from_db()
    assert other.read_at is None
    assert "别人的" not in client.get("/notifications/").content.decode()
