"""Check-ins on goals: progress moves up the tree, validation, permissions, compare-and-set,
comments, the history partial and the API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jixiao.core.actor import Actor
from jixiao.core.errors import DomainError
from jixiao.core.models import AuditRecord
from jixiao.goals import checkins
from jixiao.goals.models import CheckIn, CheckInComment, Goal, GoalLevel, GoalStatus, KeyResult
from jixiao.goals.progress import recompute_goals
from tests.conftest import Org
from tests.goals.factories import add_kr, make_goal

pytestmark = pytest.mark.django_db


@dataclass
class Tree:
    office_goal: Goal
    goal: Goal  # 李文's personal goal, aligned to the office goal
    kr: KeyResult


@pytest.fixture
def tree(org: Org) -> Tree:
    office_goal = make_goal(
        "办公室年度目标", department=org.office, level=GoalLevel.DEPARTMENT, status="approved"
    )
    goal = make_goal(
        "按时办结公文", person=org.employee, parent=office_goal, status=GoalStatus.APPROVED
    )
    kr = add_kr(goal, "办结率", baseline=0, target=100, unit="%")
    recompute_goals([goal.pk])
    return Tree(office_goal, goal, kr)


def actor_of(org: Org, persona: str) -> Actor:
    return Actor.for_user(org.users[persona], source="web")


def data(**kw) -> checkins.CheckInData:
    kw.setdefault("confidence", 7)
    return checkins.CheckInData(**kw)


def test_a_check_in_moves_the_goal_and_the_goal_above(org, tree, client_for) -> None:
    assert Goal.objects.get(pk=tree.office_goal.pk).progress in (None, 0.0)
    response = client_for("employee").post(
        f"/goals/{tree.goal.pk}/checkins/new/",
        {
            f"kr_{tree.kr.pk}": "50",
            "confidence": "8",
            "went_well": "流程理顺",
            "blocked": "",
            "next_steps": "月底前清零积压",
            "last_checkin": "0",
        },
    )
    assert response.status_code == 302
    goal = Goal.objects.get(pk=tree.goal.pk)
    kr = KeyResult.objects.get(pk=tree.kr.pk)
    assert kr.current == Decimal(50) and kr.current_at is not None
    assert goal.progress == pytest.approx(0.5)
    assert goal.last_checkin_at is not None
    assert Goal.objects.get(pk=tree.office_goal.pk).progress == pytest.approx(0.5)
    checkin = CheckIn.objects.get(goal=goal)
    assert checkin.confidence == 8 and checkin.author_label == "李文"
    assert [(v.key_result_id, v.value) for v in checkin.values.all()] == [(kr.pk, Decimal(50))]
    record = AuditRecord.objects.get(action="goals.checkin.create")
    assert record.object_id == str(goal.pk)
    assert record.changes[f"key_result:{kr.pk}"] == [None, "50"]
    assert record.changes["progress"][1] == pytest.approx(0.5)
    assert record.scope_path == org.secretariat.path


def test_the_percent_counts_when_no_key_result_is_measurable(org) -> None:
    goal = make_goal("撰写调研报告", person=org.employee, status=GoalStatus.LOCKED)
    checkins.checkin_create(
        actor=actor_of(org, "employee"),
        user=org.users["employee"],
        goal_id=goal.pk,
        data=data(percent=40),
    )
    goal.refresh_from_db()
    assert goal.reported_progress == pytest.approx(0.4)
    assert goal.progress == pytest.approx(0.4)
    record = AuditRecord.objects.get(action="goals.checkin.create")
    assert record.changes["reported_progress"] == [None, 0.4]


def test_a_second_check_in_records_before_and_after(org, tree) -> None:
    for value in ("30", "45"):
        checkins.checkin_create(
            actor=actor_of(org, "employee"),
            user=org.users["employee"],
            goal_id=tree.goal.pk,
            data=data(values={tree.kr.pk: Decimal(value)}),
        )
    last = AuditRecord.objects.filter(action="goals.checkin.create").order_by("-id").first()
    assert last is not None
    assert last.changes[f"key_result:{tree.kr.pk}"] == ["30", "45"]


def test_validation_shows_field_errors_and_keeps_the_typed_values(org, tree, client_for) -> None:
    response = client_for("employee").post(
        f"/goals/{tree.goal.pk}/checkins/new/",
        {
            f"kr_{tree.kr.pk}": "abc",
            "confidence": "",
            "percent": "120",
            "went_well": "窗口排队明显缩短",
            "last_checkin": "0",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field-error="confidence"' in html
    assert 'data-field-error="percent"' in html
    assert f'data-field-error="kr_{tree.kr.pk}"' in html
    assert "窗口排队明显缩短" in html
    assert 'value="abc"' in html
    assert not CheckIn.objects.exists()


def test_the_service_validates_on_its_own(org, tree) -> None:
    auto = add_kr(tree.goal, "自动指标", source="indicator")
    with pytest.raises(DomainError) as caught:
        checkins.checkin_create(
            actor=actor_of(org, "employee"),
            user=org.users["employee"],
            goal_id=tree.goal.pk,
            data=checkins.CheckInData(
                confidence=11,
                percent=-1,
                values={auto.pk: Decimal(3), 999999: Decimal(1), tree.kr.pk: Decimal("1e15")},
                went_well="x" * 5001,
            ),
        )
    codes = {(e.field, e.code) for e in caught.value.all_errors()}
    assert codes == {
        ("confidence", "out_of_range"),
        ("percent", "out_of_range"),
        (f"kr_{auto.pk}", "automatic_key_result"),
        ("kr_999999", "unknown_key_result"),
        (f"kr_{tree.kr.pk}", "too_large"),
        ("went_well", "too_long"),
    }
    with pytest.raises(DomainError) as caught:
        checkins.checkin_create(
            actor=actor_of(org, "employee"),
            user=org.users["employee"],
            goal_id=tree.goal.pk,
            data=checkins.CheckInData(confidence=None),
        )
    assert caught.value.all_errors()[0].code == "required"
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 404), ("peer", 404), ("head", 403), ("auditor", 403), ("employee", 200)],
)
def test_who_may_check_in_on_a_personal_goal(tree, client_for, persona, status) -> None:
    response = client_for(persona).get(f"/goals/{tree.goal.pk}/checkins/new/")
    assert response.status_code == status


def test_planners_check_in_on_department_goals(tree, client_for) -> None:
    assert client_for("head").get(f"/goals/{tree.office_goal.pk}/checkins/new/").status_code == 200
    assert (
        client_for("employee").get(f"/goals/{tree.office_goal.pk}/checkins/new/").status_code == 403
    )


def test_no_check_in_on_a_closed_goal(org, tree, client_for) -> None:
    Goal.objects.filter(pk=tree.goal.pk).update(status=GoalStatus.CLOSED, outcome="achieved")
    response = client_for("employee").get(f"/goals/{tree.goal.pk}/checkins/new/")
    assert response.status_code == 409
    with pytest.raises(DomainError) as caught:
        checkins.checkin_create(
            actor=actor_of(org, "employee"),
            user=org.users["employee"],
            goal_id=tree.goal.pk,
            data=data(),
        )
    assert caught.value.code == "goal_closed"


def test_a_stale_form_is_refused_with_409_and_keeps_the_entries(org, tree, client_for) -> None:
    """Two planners open the form on the same department goal; the second one to send it is
    told, instead of overwriting the first one's values."""
    kr = add_kr(tree.office_goal, "制度修订数", baseline=0, target=10)
    head = client_for("head")
    form = {f"kr_{kr.pk}": "4", "confidence": "6", "last_checkin": "0"}
    assert head.post(f"/goals/{tree.office_goal.pk}/checkins/new/", form).status_code == 302
    stale = {**form, f"kr_{kr.pk}": "7", "blocked": "等待法制科意见"}
    response = client_for("perfadmin").post(f"/goals/{tree.office_goal.pk}/checkins/new/", stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-error-code="checkin_conflict"' in html
    assert "等待法制科意见" in html and 'value="7"' in html
    assert KeyResult.objects.get(pk=kr.pk).current == Decimal(4)
    assert CheckIn.objects.filter(goal=tree.office_goal).count() == 1


def test_the_goal_row_is_the_compare_and_set_guard(org, tree) -> None:
    """Even without the form's token, the update of the goal row filters on the
    last_checkin_at it read: a check-in that slipped in between makes it fail."""
    goal = Goal.objects.get(pk=tree.goal.pk)
    checkins.checkin_create(
        actor=actor_of(org, "employee"), user=org.users["employee"], goal_id=goal.pk, data=data()
    )
    guard = Goal.objects.filter(pk=goal.pk, last_checkin_at__isnull=True)
    assert guard.update(reported_progress=0.9) == 0


def test_the_superior_comments_with_htmx(org, tree, client_for) -> None:
    checkin = checkins.checkin_create(
        actor=actor_of(org, "employee"),
        user=org.users["employee"],
        goal_id=tree.goal.pk,
        data=data(values={tree.kr.pk: Decimal(20)}, blocked="缺人手"),
    )
    response = client_for("head").post(
        f"/goals/checkins/{checkin.pk}/comments/",
        {"text": "下周从综合科借调一人"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and f'id="checkins-{tree.goal.pk}"' in html
    assert "下周从综合科借调一人" in html and "缺人手" in html
    comment = CheckInComment.objects.get(checkin=checkin)
    assert comment.author_label == "王主任"
    assert AuditRecord.objects.filter(action="goals.checkin.comment").count() == 1


def test_an_empty_comment_comes_back_with_its_error(org, tree, client_for) -> None:
    checkin = checkins.checkin_create(
        actor=actor_of(org, "employee"),
        user=org.users["employee"],
        goal_id=tree.goal.pk,
        data=data(),
    )
    response = client_for("head").post(
        f"/goals/checkins/{checkin.pk}/comments/", {"text": "  "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert 'data-field-error="text"' in response.content.decode()
    assert not CheckInComment.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 404), ("peer", 404), ("auditor", 403)]
)
def test_who_may_not_comment(org, tree, client_for, persona, status) -> None:
    checkin = checkins.checkin_create(
        actor=actor_of(org, "employee"),
        user=org.users["employee"],
        goal_id=tree.goal.pk,
        data=data(),
    )
    response = client_for(persona).post(f"/goals/checkins/{checkin.pk}/comments/", {"text": "好"})
    assert response.status_code == status
    assert not CheckInComment.objects.exists()


def test_the_history_partial_shows_values_trend_and_forms(org, tree, client_for) -> None:
    for value, confidence in (("10", 4), ("35", 6), ("60", 9)):
        checkins.checkin_create(
            actor=actor_of(org, "employee"),
            user=org.users["employee"],
            goal_id=tree.goal.pk,
            data=data(values={tree.kr.pk: Decimal(value)}, confidence=confidence),
        )
    response = client_for("head").get(f"/goals/{tree.goal.pk}/checkins/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "4 → 6 → 9" in html
    assert "办结率: <strong>60</strong>" in html
    assert 'id="new-checkin"' not in html  # the head reads and comments; the person checks in
    assert 'name="text"' in html
    page = client_for("employee").get(f"/goals/{tree.goal.pk}/checkins/").content.decode()
    assert 'id="new-checkin"' in page and "<html" in page
    assert client_for("outsider").get(f"/goals/{tree.goal.pk}/checkins/").status_code == 404


def test_the_history_costs_three_queries_whatever_its_length(org, tree) -> None:
    for i in range(6):
        checkin = checkins.checkin_create(
            actor=actor_of(org, "employee"),
            user=org.users["employee"],
            goal_id=tree.goal.pk,
            data=data(values={tree.kr.pk: Decimal(i * 10)}),
        )
        CheckInComment.objects.create(checkin=checkin, author_label="王主任", text=f"意见{i}")
    with CaptureQueriesContext(connection) as ctx:
        history = checkins.goal_checkins_for_display(tree.goal)
        rendered = [(len(r.values), len(r.comments)) for r in history]
    assert rendered == [(1, 1)] * 6
    assert len(ctx.captured_queries) == 3
    assert len(history.trend) == 6 and history.latest_id == checkin.pk


# ---------------------------------------------------------------- API


def test_api_lists_and_creates_check_ins_with_the_same_permissions(org, tree, client_for) -> None:
    employee = client_for("employee")
    response = employee.post(
        f"/api/goals/{tree.goal.pk}/checkins",
        {"confidence": 6, "values": [{"key_result_id": tree.kr.pk, "value": "75"}]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["values"] == [{"key_result_id": tree.kr.pk, "value": "75"}]
    assert Goal.objects.get(pk=tree.office_goal.pk).progress == pytest.approx(0.75)

    listed = client_for("head").get(f"/api/goals/{tree.goal.pk}/checkins").json()
    assert listed["count"] == 1 and listed["items"][0]["confidence"] == 6
    assert client_for("outsider").get(f"/api/goals/{tree.goal.pk}/checkins").status_code == 404
    refused = client_for("head").post(
        f"/api/goals/{tree.goal.pk}/checkins", {"confidence": 5}, content_type="application/json"
    )
    assert refused.status_code == 403

    bad = employee.post(
        f"/api/goals/{tree.goal.pk}/checkins",
        {"confidence": 5, "values": [{"key_result_id": tree.kr.pk, "value": "x"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "values[0].value"

    stale = employee.post(
        f"/api/goals/{tree.goal.pk}/checkins",
        {"confidence": 5, "last_checkin_id": 0},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "checkin_conflict"

    comment = client_for("head").post(
        f"/api/goals/checkins/{body['id']}/comments",
        {"text": "继续保持"},
        content_type="application/json",
    )
    assert comment.status_code == 201 and comment.json()["author"] == "王主任"
    assert (
        client_for("auditor")
        .post(
            f"/api/goals/checkins/{body['id']}/comments",
            {"text": "?"},
            content_type="application/json",
        )
        .status_code
        == 403
    )


def test_the_goal_page_includes_the_history(org, tree, client_for) -> None:
    checkins.checkin_create(
        actor=actor_of(org, "employee"),
        user=org.users["employee"],
        goal_id=tree.goal.pk,
        data=data(values={tree.kr.pk: Decimal(30)}, next_steps="下周复盘"),
    )
    html = client_for("head").get(f"/goals/{tree.goal.pk}/").content.decode()
    assert f'id="checkins-{tree.goal.pk}"' in html and "下周复盘" in html
    assert f"/goals/checkins/{tree.goal.checkins.get().pk}/comments/" in html
